//! The file as written (`ConfigFile`) turned into the running `Config`: each value checked
//! for its type and range with a sentence that names the key, then built through the
//! domain's own constructors (`CodePolicy::new`, `HashCost::meets_owasp_minimum`,
//! `HomeRegion::parse`). Every default is here, at the key it belongs to; the shipped
//! config.toml, `Limits::default()` and `VelocityLimits::default()` are tested equal to them.

use std::path::PathBuf;

use toml::Value;

use super::file::{Argon2File, CodesFile, ConfigFile, ServeFile, Setting};
use super::{Config, ConfigError, DEFAULT_URL, ServeConfig};
use crate::desk::Limits;
use crate::domain::codes::{CodeError, CodePolicy, HashCost};
use crate::domain::phone::HomeRegion;
use crate::domain::redemption::NIST_MAX_TOTAL_FAILURES;
use crate::domain::two_person::VelocityLimits;

/// `serve.metrics_address` by default: loopback, on the port OpenTelemetry's Prometheus
/// exporter also uses by default.
const DEFAULT_METRICS_ADDRESS: ([u8; 4], u16) = ([127, 0, 0, 1], 9464);

/// Checks values of one file; `path` is how errors name it.
struct Check<'a> {
    path: &'a str,
}

impl Check<'_> {
    fn bad(&self, key: &str, problem: String) -> ConfigError {
        ConfigError::Key { path: self.path.into(), key: key.into(), problem }
    }

    fn int(&self, value: &Setting, key: &str, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
        match value {
            None => Ok(default),
            Some(Value::Integer(n)) if (min..=max).contains(n) => Ok(*n),
            Some(v) => Err(self.bad(key, format!("must be a whole number from {min} to {max} (found {v})"))),
        }
    }

    fn string(&self, value: &Setting, key: &str, default: &str) -> Result<String, ConfigError> {
        match value {
            None => Ok(default.into()),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(v) => Err(self.bad(key, format!("must be a non-empty string (found {v})"))),
        }
    }

    /// A file path; an empty string (the shipped default) is no path.
    fn path(&self, value: &Setting, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        match value {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(PathBuf::from(s))),
            Some(v) => Err(self.bad(key, format!("must be a file path in quotes (found {v})"))),
        }
    }

    fn boolean(&self, value: &Setting, key: &str, default: bool) -> Result<bool, ConfigError> {
        match value {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(self.bad(key, format!("must be true or false (found {v})"))),
        }
    }

    /// `[codes.argon2]` or `[staff.argon2]`, held to OWASP's minimum and the ceiling
    /// (`HashCost::within_bounds`).
    fn cost(&self, file: &Argon2File, section: &str) -> Result<HashCost, ConfigError> {
        let key = |name: &str| format!("{section}.{name}");
        let cost = HashCost {
            memory_kib: self.int(&file.memory_kib, &key("memory_kib"), 19_456, 8, 4 * 1024 * 1024)? as u32,
            iterations: self.int(&file.iterations, &key("iterations"), 2, 1, 100)? as u32,
            parallelism: self.int(&file.parallelism, &key("parallelism"), 1, 1, 16)? as u32,
        };
        cost.within_bounds().map_err(|e| self.bad(section, format!("is refused: {e}")))?;
        Ok(cost)
    }

    /// The code policy, and `codes.reveal_seconds` (read between them, as the file lists it).
    fn codes(&self, c: &CodesFile) -> Result<(CodePolicy, u64), ConfigError> {
        let count = self.int(&c.count, "codes.count", 10, 1, 100)? as usize;
        let length = self.int(&c.length, "codes.length", 12, 1, 32)? as usize;
        let group = self.int(&c.group, "codes.group", 4, 1, 32)? as usize;
        let expiry_hours = self.int(&c.expiry_hours, "codes.expiry_hours", 72, 0, 24 * 365)?;
        let reveal_seconds = self.int(&c.reveal_seconds, "codes.reveal_seconds", 20, 3, 600)? as u64;
        let cost = self.cost(&c.argon2, "codes.argon2")?;
        let expiry = (expiry_hours > 0).then_some(expiry_hours * 3600);
        let policy = CodePolicy::new(count, length, group, expiry, cost).map_err(|e| {
            let key = match e {
                CodeError::TooWeak { .. } | CodeError::TooLong(_) | CodeError::BatchTooGuessable { .. } => {
                    "codes.length"
                }
                CodeError::BadCount(_) => "codes.count",
                _ => "codes.argon2",
            };
            self.bad(key, format!("is refused: {e}"))
        })?;
        Ok((policy, reveal_seconds))
    }

    fn limits(&self, file: &ConfigFile) -> Result<Limits, ConfigError> {
        let (c, t, ui) = (&file.codes, &file.throttle, &file.ui);
        Ok(Limits {
            // NIST SP 800-63B allows at most 100 consecutive failures, as it does in total.
            redeem_max_failures: self.int(
                &t.redeem_max_failures,
                "throttle.redeem_max_failures",
                10,
                1,
                NIST_MAX_TOTAL_FAILURES,
            )?,
            redeem_lockout_secs: self.int(
                &t.redeem_lockout_minutes,
                "throttle.redeem_lockout_minutes",
                15,
                1,
                24 * 60,
            )? * 60,
            redeem_max_total_failures: self.int(
                &c.max_total_failures,
                "codes.max_total_failures",
                100,
                1,
                NIST_MAX_TOTAL_FAILURES,
            )?,
            session_max_secs: self.int(&ui.session_max_hours, "ui.session_max_hours", 12, 1, 24)? * 3600,
            session_idle_secs: self.int(&ui.idle_lock_minutes, "ui.idle_lock_minutes", 5, 1, 240)? * 60,
            login_max_failures: self.int(&t.login_max_failures, "throttle.login_max_failures", 5, 1, 100)?,
            login_lockout_secs: self.int(&t.login_lockout_minutes, "throttle.login_lockout_minutes", 15, 1, 24 * 60)?
                * 60,
            contact_cooloff_secs: self.int(
                &c.cooloff_after_contact_change_hours,
                "codes.cooloff_after_contact_change_hours",
                24,
                0,
                24 * 30,
            )? * 3600,
            request_secs: self.int(&c.request_minutes, "codes.request_minutes", 30, 1, 24 * 60)? * 60,
            approval_secs: self.int(&c.approval_minutes, "codes.approval_minutes", 10, 1, 120)? * 60,
            step_up_secs: self.int(&file.staff.step_up_minutes, "staff.step_up_minutes", 5, 1, 60)? * 60,
            velocity: VelocityLimits {
                per_agent_hour: self.int(
                    &c.max_batches_per_agent_hour,
                    "codes.max_batches_per_agent_hour",
                    5,
                    1,
                    1_000,
                )?,
                per_agent_day: self.int(
                    &c.max_batches_per_agent_day,
                    "codes.max_batches_per_agent_day",
                    20,
                    1,
                    10_000,
                )?,
                per_user_day: self.int(&c.max_batches_per_user_day, "codes.max_batches_per_user_day", 2, 1, 100)?,
            },
            home_region: {
                let code = self.string(&file.institution.home_region, "institution.home_region", "US")?;
                HomeRegion::parse(&code).ok_or_else(|| {
                    self.bad(
                        "institution.home_region",
                        format!("must be an ISO 3166-1 alpha-2 region code such as US, GB or NG (found {code:?})"),
                    )
                })?
            },
        })
    }

    fn serve(&self, s: &ServeFile) -> Result<ServeConfig, ConfigError> {
        Ok(ServeConfig {
            address: {
                let text = self.string(&s.address, "serve.address", "127.0.0.1:8443")?;
                text.parse().map_err(|_| {
                    self.bad(
                        "serve.address",
                        format!("must be an IP address and port such as 127.0.0.1:8443 or [::]:8443 (found {text:?})"),
                    )
                })?
            },
            metrics_address: match &s.metrics_address {
                Some(Value::String(text)) if text.trim().is_empty() || text.trim() == "off" => None,
                Some(Value::String(text)) => Some(text.trim().parse().map_err(|_| {
                    self.bad(
                        "serve.metrics_address",
                        format!("must be an IP address and port such as 127.0.0.1:9464, or \"off\" (found {text:?})"),
                    )
                })?),
                None => Some(DEFAULT_METRICS_ADDRESS.into()),
                Some(v) => Err(self.bad(
                    "serve.metrics_address",
                    format!("must be an IP address and port in quotes, or \"off\" (found {v})"),
                ))?,
            },
            certificate: self.path(&s.certificate, "serve.certificate")?,
            private_key: self.path(&s.private_key, "serve.private_key")?,
            queue: self.int(&s.queue, "serve.queue", 64, 0, 10_000)? as usize,
            max_connections: self.int(&s.max_connections, "serve.max_connections", 512, 1, 100_000)? as usize,
            max_per_address: self.int(
                &s.max_connections_per_address,
                "serve.max_connections_per_address",
                64,
                1,
                100_000,
            )? as usize,
            idle_secs: self.int(&s.idle_seconds, "serve.idle_seconds", 30, 1, 3600)? as u64,
            header_timeout_secs: self.int(&s.header_timeout_seconds, "serve.header_timeout_seconds", 10, 1, 300)?
                as u64,
            body_timeout_secs: self.int(&s.body_timeout_seconds, "serve.body_timeout_seconds", 10, 1, 300)? as u64,
            drain_secs: self.int(&s.drain_seconds, "serve.drain_seconds", 20, 1, 600)? as u64,
            refusals_per_minute: self.int(&s.refusals_per_minute, "serve.refusals_per_minute", 10, 1, 1000)? as u64,
            nice: self.int(&s.nice, "serve.nice", 10, 0, 19)? as i32,
            trusted_proxies: self.proxies(&s.trusted_proxies)?,
        })
    }

    /// `serve.trusted_proxies`: a list of addresses and CIDR blocks in quotes.
    fn proxies(&self, value: &Setting) -> Result<crate::serve::proxy::TrustedProxies, ConfigError> {
        const KEY: &str = "serve.trusted_proxies";
        let entries = match value {
            None => return Ok(Default::default()),
            Some(Value::Array(entries)) => entries,
            Some(v) => {
                return Err(
                    self.bad(KEY, format!("must be a list such as [\"10.0.0.0/8\", \"192.0.2.7\"] (found {v})"))
                );
            }
        };
        let texts: Vec<&str> = entries
            .iter()
            .map(|e| e.as_str().ok_or_else(|| self.bad(KEY, format!("must list addresses in quotes (found {e})"))))
            .collect::<Result<_, _>>()?;
        crate::serve::proxy::TrustedProxies::parse(&texts).map_err(|problem| self.bad(KEY, problem))
    }
}

impl ConfigFile {
    /// The running configuration, or the first value refused (in the order of the keys in
    /// the shipped config.toml, section by section); `path` is how errors name the file.
    pub fn check(&self, path: &str) -> Result<Config, ConfigError> {
        let check = Check { path };
        let db = &self.database;
        let database_url = check.string(&db.url, "database.url", DEFAULT_URL)?;
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(check.bad("database.url", "must start with sqlite:// or postgres://".into()));
        }
        let max_connections = check.int(&db.max_connections, "database.max_connections", 2, 1, 200)? as u32;
        let trusted_network = check.boolean(&db.trusted_network, "database.trusted_network", false)?;
        let (codes, reveal_seconds) = check.codes(&self.codes)?;
        let password_cost = check.cost(&self.staff.argon2, "staff.argon2")?;
        password_cost.argon2().map_err(|e| check.bad("staff.argon2", format!("is refused: {e}")))?;
        let limits = check.limits(self)?;
        let ui = &self.ui;
        let refresh_seconds = check.int(&ui.refresh_seconds, "ui.refresh_seconds", 5, 1, 300)? as u64;
        let no_color = check.boolean(&ui.no_color, "ui.no_color", false)?;
        let ascii = check.boolean(&ui.ascii, "ui.ascii", false)?;
        let log_file = PathBuf::from(check.string(&self.log.file, "log.file", "helpdesk.log")?);
        let log_level = check.string(&self.log.level, "log.level", "info")?;
        if !["error", "warn", "info", "debug"].contains(&log_level.as_str()) {
            return Err(check.bad("log.level", format!("must be error, warn, info or debug (found {log_level:?})")));
        }
        Ok(Config {
            database_url,
            max_connections,
            codes,
            reveal_seconds,
            password_cost,
            limits,
            idle_lock_minutes: (limits.session_idle_secs / 60) as u64,
            refresh_seconds,
            log_file,
            log_level,
            no_color,
            ascii,
            trusted_network,
            serve: check.serve(&self.serve)?,
            ssh_key: None,
            factor_key_file: PathBuf::from(check.string(
                &self.staff.factor_key_file,
                "staff.factor_key_file",
                "helpdesk-factor.key",
            )?),
            audit_key_file: PathBuf::from(check.string(
                &self.audit.key_file,
                "audit.key_file",
                "helpdesk-audit.key",
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults live here; the shipped file and the rules' own defaults (which most
    /// tests run on) are held to them.
    #[test]
    fn the_shipped_config_toml_and_the_rules_defaults_are_these_defaults() {
        let defaults = Config::parse("empty", "").unwrap();
        let shipped = Config::parse("config.toml", include_str!("../../config.toml")).unwrap();
        assert_eq!(shipped, defaults);
        assert_eq!(defaults.limits, Limits::default());
        assert_eq!(defaults.limits.velocity, VelocityLimits::default());
        assert_eq!(defaults.limits.redeem_max_total_failures, NIST_MAX_TOTAL_FAILURES);
    }

    #[test]
    fn bad_values_name_their_key() {
        for proxies in ["\"10.0.0.0/8\"", "[\"10.0.0.0/33\"]", "[10]", "[\"lb.internal\"]"] {
            let err = Config::parse("c.toml", &format!("[serve]\ntrusted_proxies = {proxies}\n")).unwrap_err();
            assert!(err.to_string().contains("`serve.trusted_proxies`"), "{proxies}: {err}");
        }
        let ok = Config::parse("c.toml", "[serve]\ntrusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7\"]\n").unwrap();
        assert!(ok.serve.trusted_proxies.contains("192.0.2.7".parse().unwrap()));
        let err = Config::parse("c.toml", "[codes]\nlength = 6\n").unwrap_err();
        assert!(err.to_string().contains("`codes.length`"), "{err}");
        assert!(err.to_string().contains("40 bits"), "{err}");
        let err = Config::parse("c.toml", "[institution]\nhome_region = \"UK\"\n").unwrap_err();
        assert!(err.to_string().contains("`institution.home_region`"), "{err}");
        let gb = Config::parse("c.toml", "[institution]\nhome_region = \"gb\"\n").unwrap();
        assert_eq!(gb.limits.home_region.code(), "GB");
        let err = Config::parse("c.toml", "[codes]\ncount = \"ten\"\n").unwrap_err();
        assert!(err.to_string().contains("`codes.count`"), "{err}");
        let err = Config::parse("c.toml", "[throttle]\nredeem_max_failures = 101\n").unwrap_err();
        assert!(err.to_string().contains("`throttle.redeem_max_failures`"), "{err}");
        let err = Config::parse("c.toml", "[codes]\nmax_total_failures = 101\n").unwrap_err();
        assert!(err.to_string().contains("`codes.max_total_failures`") && err.to_string().contains("100"), "{err}");
        let ok = Config::parse("c.toml", "[codes]\nmax_total_failures = 40\n[ui]\nsession_max_hours = 8\n").unwrap();
        assert_eq!((ok.limits.redeem_max_total_failures, ok.limits.session_max_secs), (40, 8 * 3600));
        let err = Config::parse("c.toml", "[codes]\nlength = 8\n").unwrap_err();
        assert!(err.to_string().contains("`codes.length`") && err.to_string().contains("50"), "{err}");
        let err = Config::parse("c.toml", "[codes]\ncount = 100\nlength = 10\n").unwrap_err();
        assert!(err.to_string().contains("`codes.length`"), "{err}");
        for weak in ["[codes.argon2]\nmemory_kib = 8\niterations = 1\n", "[codes.argon2]\niterations = 1\n"] {
            let err = Config::parse("c.toml", weak).unwrap_err();
            assert!(err.to_string().contains("`codes.argon2`") && err.to_string().contains("OWASP"), "{err}");
        }
        let err = Config::parse("c.toml", "[staff.argon2]\nmemory_kib = 8192\n").unwrap_err();
        assert!(err.to_string().contains("`staff.argon2`"), "{err}");
        assert!(Config::parse("c.toml", "[codes.argon2]\nmemory_kib = 47104\niterations = 1\n").is_ok());
        let err = Config::parse("c.toml", "[codes]\nlenght = 12\n").unwrap_err();
        assert_eq!(err, ConfigError::Unknown { path: "c.toml".into(), key: "codes.lenght".into() });
        let err = Config::parse("c.toml", "[database]\nurl = \"mysql://x\"\n").unwrap_err();
        assert!(err.to_string().contains("`database.url`"), "{err}");
        assert!(matches!(Config::parse("c.toml", "[codes"), Err(ConfigError::Syntax { .. })));
    }

    #[test]
    fn the_metrics_address_is_loopback_by_default_an_address_or_off() {
        let defaults = Config::parse("c.toml", "").unwrap();
        assert_eq!(defaults.serve.metrics_address, Some("127.0.0.1:9464".parse().unwrap()));
        let set = Config::parse("c.toml", "[serve]\nmetrics_address = \"[::1]:9100\"\n").unwrap();
        assert_eq!(set.serve.metrics_address, Some("[::1]:9100".parse().unwrap()));
        for off in ["\"off\"", "\"\""] {
            let config = Config::parse("c.toml", &format!("[serve]\nmetrics_address = {off}\n")).unwrap();
            assert_eq!(config.serve.metrics_address, None, "{off}");
        }
        for bad in ["\"localhost:9464\"", "\"127.0.0.1\"", "9464"] {
            let err = Config::parse("c.toml", &format!("[serve]\nmetrics_address = {bad}\n")).unwrap_err();
            assert!(err.to_string().contains("`serve.metrics_address`"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_section_that_is_not_a_table_is_an_unknown_key() {
        let err = Config::parse("c.toml", "codes = 5\n").unwrap_err();
        assert_eq!(err, ConfigError::Unknown { path: "c.toml".into(), key: "codes".into() });
        let err = Config::parse("c.toml", "[staff.argon2]\nlanes = 2\n").unwrap_err();
        assert_eq!(err, ConfigError::Unknown { path: "c.toml".into(), key: "staff.argon2.lanes".into() });
        let err = Config::parse("c.toml", "colour = true\n").unwrap_err();
        assert_eq!(err, ConfigError::Unknown { path: "c.toml".into(), key: "colour".into() });
    }
}
