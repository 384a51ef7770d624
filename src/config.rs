//! `config.toml` and the environment. Every key is optional; a bad value is refused with
//! a message that names the key.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::desk::Limits;
use crate::domain::codes::{CodeError, CodePolicy, HashCost};
use crate::domain::phone::HomeRegion;
use crate::domain::redemption::NIST_MAX_TOTAL_FAILURES;
use crate::domain::two_person::VelocityLimits;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub database_url: String,
    pub max_connections: u32,
    pub codes: CodePolicy,
    pub reveal_seconds: u64,
    pub password_cost: HashCost,
    pub limits: Limits,
    pub idle_lock_minutes: u64,
    /// How often an open user detail reads its 2FA section again.
    pub refresh_seconds: u64,
    pub log_file: PathBuf,
    pub log_level: String,
    pub no_color: bool,
    /// Draw borders, markers and masked codes in ASCII: `ui.ascii`, or a locale that is
    /// not UTF-8 (what a bare `ssh` to a server often gives).
    pub ascii: bool,
    /// `database.trusted_network`: the operator names the link to a PostgreSQL server on
    /// another host as trusted, so its URL may do without `sslmode=verify-full`.
    pub trusted_network: bool,
    /// `[serve]`: the redemption service's settings.
    pub serve: ServeConfig,
}

/// `[serve]`, for `helpdesk serve`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub address: std::net::SocketAddr,
    /// `serve.certificate` and `serve.private_key`; `None` when not set.
    pub certificate: Option<PathBuf>,
    pub private_key: Option<PathBuf>,
    pub queue: usize,
    pub max_connections: usize,
    pub header_timeout_secs: u64,
    pub body_timeout_secs: u64,
    pub drain_secs: u64,
    pub refusals_per_minute: u64,
    pub nice: i32,
}

/// How the link to the database is protected, as `Config::transport` decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// SQLite: a file on this machine.
    File,
    /// PostgreSQL on loopback or a Unix socket: nothing crosses a network.
    Local,
    /// TLS with the server's certificate checked (`sslmode=verify-full` or `verify-ca`).
    Verified(String),
    /// Another host without a verified certificate, allowed by `database.trusted_network`.
    Trusted { sslmode: Option<String> },
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::File => f.write_str("a SQLite file on this machine"),
            Transport::Local => f.write_str("PostgreSQL on this machine (loopback or a Unix socket)"),
            Transport::Verified(mode) => {
                write!(f, "PostgreSQL over TLS with the certificate verified (sslmode={mode})")
            }
            Transport::Trusted { sslmode } => write!(
                f,
                "PostgreSQL on another host WITHOUT a verified certificate (sslmode={}), allowed by database.trusted_network",
                sslmode.as_deref().unwrap_or("unset: TLS if offered, else plain text")
            ),
        }
    }
}

/// The rule for a database URL: a PostgreSQL server that is not on this machine is reached
/// over TLS with its certificate verified (`sslmode=verify-full` or `verify-ca`; sqlx's
/// default "prefer" falls back to plain text, and "require" accepts any certificate),
/// unless `trusted` names the network as trusted. The error says what to change.
pub fn transport(url: &str, trusted: bool) -> Result<Transport, String> {
    if url.starts_with("sqlite:") {
        return Ok(Transport::File);
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    let param = |name: &str| parsed.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let sslmode = param("sslmode");
    // libpq's `host` parameter outranks the URL's host; a path there is a Unix socket.
    let host = param("host").or_else(|| parsed.host_str().map(str::to_owned)).unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let decoded = url::form_urlencoded::parse(host.as_bytes()).map(|(k, _)| k.into_owned()).next().unwrap_or_default();
    let local = host.is_empty()
        || decoded.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match sslmode.as_deref() {
        _ if local => Ok(Transport::Local),
        Some(mode @ ("verify-full" | "verify-ca")) => Ok(Transport::Verified(mode.to_owned())),
        _ if trusted => Ok(Transport::Trusted { sslmode }),
        _ => Err(format!(
            "names the PostgreSQL host {host}, which is not this machine: add sslmode=verify-full (with \
             sslrootcert=… when the server's CA is not the system's) so that the link is encrypted and the \
             server proven, or set database.trusted_network = true if the network itself is trusted"
        )),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} is not valid TOML: {reason}")]
    Syntax { path: String, reason: String },
    #[error("{path}: `{key}` {problem}")]
    Key { path: String, key: String, problem: String },
    #[error("{path}: unknown key `{key}` (every key is listed in the config.toml at the top of the repository)")]
    Unknown { path: String, key: String },
    #[error("environment variable {var}: {problem}")]
    Env { var: String, problem: String },
}

pub const DEFAULT_URL: &str = "sqlite://helpdesk.db";

/// The folder a configuration file's relative paths start from: the file's own. A file
/// that is not a regular file (`--config /dev/null`, a pipe) has none that means anything,
/// so the current directory stands in.
fn config_folder(file: &Path) -> PathBuf {
    if file.is_file() {
        match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    } else {
        PathBuf::from(".")
    }
}

/// `sqlite://PATH` or `sqlite:PATH`, split into the scheme as written and the rest.
fn sqlite_path(url: &str) -> Option<(&str, &str)> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        Some(("sqlite://", rest))
    } else {
        url.strip_prefix("sqlite:").map(|rest| ("sqlite:", rest))
    }
}

/// Whether the locale's character set is UTF-8, as POSIX picks the locale: `LC_ALL`, else
/// `LC_CTYPE`, else `LANG`, the first that is set and not empty. None set is the POSIX
/// locale, which is ASCII.
pub fn locale_is_utf8(env: impl Fn(&str) -> Option<String>) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"].iter().find_map(|var| env(var).filter(|v| !v.is_empty())).is_some_and(|locale| {
        let l = locale.to_ascii_lowercase();
        l.contains("utf-8") || l.contains("utf8")
    })
}

/// Reads values out of the parsed file, remembering which keys were used.
struct Reader<'a> {
    path: String,
    table: &'a Table,
    known: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    fn lookup(&self, key: &str) -> Option<&'a Value> {
        let mut current = self.table;
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            let value = current.get(part)?;
            if parts.peek().is_none() {
                return Some(value);
            }
            current = value.as_table()?;
        }
        None
    }

    fn bad(&self, key: &str, problem: String) -> ConfigError {
        ConfigError::Key { path: self.path.clone(), key: key.into(), problem }
    }

    fn int(&mut self, key: &'static str, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
        self.known.push(key);
        match self.lookup(key) {
            None => Ok(default),
            Some(Value::Integer(n)) if (min..=max).contains(n) => Ok(*n),
            Some(v) => Err(self.bad(key, format!("must be a whole number from {min} to {max} (found {v})"))),
        }
    }

    fn string(&mut self, key: &'static str, default: &str) -> Result<String, ConfigError> {
        self.known.push(key);
        match self.lookup(key) {
            None => Ok(default.into()),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(v) => Err(self.bad(key, format!("must be a non-empty string (found {v})"))),
        }
    }

    /// A file path; an empty string (the shipped default) is no path.
    fn path(&mut self, key: &'static str) -> Result<Option<PathBuf>, ConfigError> {
        self.known.push(key);
        match self.lookup(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(PathBuf::from(s))),
            Some(v) => Err(self.bad(key, format!("must be a file path in quotes (found {v})"))),
        }
    }

    fn boolean(&mut self, key: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.known.push(key);
        match self.lookup(key) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(self.bad(key, format!("must be true or false (found {v})"))),
        }
    }

    /// Every key in the file that no reader asked for is a typo or a stale key.
    fn check_unknown(&self) -> Result<(), ConfigError> {
        fn walk(prefix: &str, table: &Table, out: &mut Vec<String>) {
            for (k, v) in table {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match v {
                    Value::Table(t) => walk(&key, t, out),
                    _ => out.push(key),
                }
            }
        }
        let mut keys = Vec::new();
        walk("", self.table, &mut keys);
        match keys.into_iter().find(|k| !self.known.contains(&k.as_str())) {
            Some(key) => Err(ConfigError::Unknown { path: self.path.clone(), key }),
            None => Ok(()),
        }
    }
}

impl Config {
    /// Finds the file (`--config`, else `HELPDESK_CONFIG`, else `./config.toml` if it
    /// exists; a missing default file means all defaults), reads it, resolves the relative
    /// database and log paths in it against its folder, then applies
    /// `HELPDESK_DATABASE_URL` or, failing that, `DATABASE_URL` (a relative path in those
    /// is the caller's: it resolves from the current directory).
    pub fn load(path: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let named = match path {
            Some(p) => Some(p.to_path_buf()),
            None => match env("HELPDESK_CONFIG") {
                Some(p) if p.trim().is_empty() => {
                    return Err(ConfigError::Env { var: "HELPDESK_CONFIG".into(), problem: "is set but empty".into() });
                }
                Some(p) => Some(PathBuf::from(p)),
                None => None,
            },
        };
        let (file, text) = match named {
            Some(p) => {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| ConfigError::Read { path: p.display().to_string(), reason: e.to_string() })?;
                (p, text)
            }
            None => match std::fs::read_to_string("config.toml") {
                Ok(text) => (PathBuf::from("config.toml"), text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (PathBuf::from("config.toml"), String::new()),
                Err(e) => return Err(ConfigError::Read { path: "config.toml".into(), reason: e.to_string() }),
            },
        };
        let shown = file.display().to_string();
        let mut config = Self::parse(&shown, &text)?;
        config.resolve_against(&config_folder(&file))?;
        for var in ["HELPDESK_DATABASE_URL", "DATABASE_URL"] {
            if let Some(url) = env(var) {
                if url.trim().is_empty() {
                    return Err(ConfigError::Env { var: var.into(), problem: "is set but empty".into() });
                }
                config.database_url = url;
                break;
            }
        }
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            config.no_color = true;
        }
        if !locale_is_utf8(&env) {
            config.ascii = true;
        }
        Ok(config)
    }

    /// Makes the file's relative paths (a SQLite database, the log) absolute from `folder`,
    /// so that the program finds the same files wherever it is started.
    pub fn resolve_against(&mut self, folder: &Path) -> Result<(), ConfigError> {
        let absolute = |p: &Path| {
            std::path::absolute(folder.join(p))
                .map_err(|e| ConfigError::Read { path: folder.display().to_string(), reason: e.to_string() })
        };
        if self.log_file.is_relative() {
            self.log_file = absolute(&self.log_file)?;
        }
        for file in [&mut self.serve.certificate, &mut self.serve.private_key].into_iter().flatten() {
            if file.is_relative() {
                *file = absolute(file)?;
            }
        }
        if let Some((scheme, rest)) = sqlite_path(&self.database_url) {
            let (file, query) = match rest.split_once('?') {
                Some((file, query)) => (file, Some(query)),
                None => (rest, None),
            };
            if !file.is_empty() && !file.starts_with(':') && Path::new(file).is_relative() {
                let mut url = format!("{scheme}{}", absolute(Path::new(file))?.display());
                if let Some(query) = query {
                    url.push('?');
                    url.push_str(query);
                }
                self.database_url = url;
            }
        }
        Ok(())
    }

    pub fn parse(path: &str, text: &str) -> Result<Self, ConfigError> {
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax { path: path.into(), reason: e.to_string() })?;
        let mut r = Reader { path: path.into(), table: &table, known: Vec::new() };

        let database_url = r.string("database.url", DEFAULT_URL)?;
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(r.bad("database.url", "must start with sqlite:// or postgres://".into()));
        }
        let max_connections = r.int("database.max_connections", 2, 1, 200)? as u32;
        let trusted_network = r.boolean("database.trusted_network", false)?;

        let count = r.int("codes.count", 10, 1, 100)? as usize;
        let length = r.int("codes.length", 12, 1, 32)? as usize;
        let group = r.int("codes.group", 4, 1, 32)? as usize;
        let expiry_hours = r.int("codes.expiry_hours", 72, 0, 24 * 365)?;
        let reveal_seconds = r.int("codes.reveal_seconds", 20, 3, 600)? as u64;
        let code_cost = HashCost {
            memory_kib: r.int("codes.argon2.memory_kib", 19_456, 8, 4 * 1024 * 1024)? as u32,
            iterations: r.int("codes.argon2.iterations", 2, 1, 100)? as u32,
            parallelism: r.int("codes.argon2.parallelism", 1, 1, 16)? as u32,
        };
        let expiry = (expiry_hours > 0).then_some(expiry_hours * 3600);
        code_cost.meets_owasp_minimum().map_err(|e| r.bad("codes.argon2", format!("is refused: {e}")))?;
        let codes = CodePolicy::new(count, length, group, expiry, code_cost).map_err(|e| {
            let key = match e {
                CodeError::TooWeak { .. } | CodeError::TooLong(_) | CodeError::BatchTooGuessable { .. } => {
                    "codes.length"
                }
                CodeError::BadCount(_) => "codes.count",
                _ => "codes.argon2",
            };
            r.bad(key, format!("is refused: {e}"))
        })?;

        let password_cost = HashCost {
            memory_kib: r.int("staff.argon2.memory_kib", 19_456, 8, 4 * 1024 * 1024)? as u32,
            iterations: r.int("staff.argon2.iterations", 2, 1, 100)? as u32,
            parallelism: r.int("staff.argon2.parallelism", 1, 1, 16)? as u32,
        };
        password_cost.meets_owasp_minimum().map_err(|e| r.bad("staff.argon2", format!("is refused: {e}")))?;
        password_cost.argon2().map_err(|e| r.bad("staff.argon2", format!("is refused: {e}")))?;

        let limits = Limits {
            // NIST SP 800-63B allows at most 100 consecutive failures.
            redeem_max_failures: r.int("throttle.redeem_max_failures", 10, 1, 100)?,
            redeem_lockout_secs: r.int("throttle.redeem_lockout_minutes", 15, 1, 24 * 60)? * 60,
            redeem_max_total_failures: r.int("codes.max_total_failures", 100, 1, NIST_MAX_TOTAL_FAILURES)?,
            session_max_secs: r.int("ui.session_max_hours", 12, 1, 24)? * 3600,
            session_idle_secs: r.int("ui.idle_lock_minutes", 5, 1, 240)? * 60,
            login_max_failures: r.int("throttle.login_max_failures", 5, 1, 100)?,
            login_lockout_secs: r.int("throttle.login_lockout_minutes", 15, 1, 24 * 60)? * 60,
            contact_cooloff_secs: r.int("codes.cooloff_after_contact_change_hours", 24, 0, 24 * 30)? * 3600,
            request_secs: r.int("codes.request_minutes", 30, 1, 24 * 60)? * 60,
            approval_secs: r.int("codes.approval_minutes", 10, 1, 120)? * 60,
            velocity: VelocityLimits {
                per_agent_hour: r.int("codes.max_batches_per_agent_hour", 5, 1, 1_000)?,
                per_agent_day: r.int("codes.max_batches_per_agent_day", 20, 1, 10_000)?,
                per_user_day: r.int("codes.max_batches_per_user_day", 2, 1, 100)?,
            },
            home_region: {
                let code = r.string("institution.home_region", "US")?;
                HomeRegion::parse(&code).ok_or_else(|| {
                    r.bad(
                        "institution.home_region",
                        format!("must be an ISO 3166-1 alpha-2 region code such as US, GB or NG (found {code:?})"),
                    )
                })?
            },
        };
        let idle_lock_minutes = (limits.session_idle_secs / 60) as u64;
        let refresh_seconds = r.int("ui.refresh_seconds", 5, 1, 300)? as u64;
        let no_color = r.boolean("ui.no_color", false)?;
        let ascii = r.boolean("ui.ascii", false)?;
        let log_file = PathBuf::from(r.string("log.file", "helpdesk.log")?);
        let log_level = r.string("log.level", "info")?;
        if !["error", "warn", "info", "debug"].contains(&log_level.as_str()) {
            return Err(r.bad("log.level", format!("must be error, warn, info or debug (found {log_level:?})")));
        }
        let serve = ServeConfig {
            address: {
                let text = r.string("serve.address", "127.0.0.1:8443")?;
                text.parse().map_err(|_| {
                    r.bad(
                        "serve.address",
                        format!("must be an IP address and port such as 127.0.0.1:8443 or [::]:8443 (found {text:?})"),
                    )
                })?
            },
            certificate: r.path("serve.certificate")?,
            private_key: r.path("serve.private_key")?,
            queue: r.int("serve.queue", 64, 0, 10_000)? as usize,
            max_connections: r.int("serve.max_connections", 512, 1, 100_000)? as usize,
            header_timeout_secs: r.int("serve.header_timeout_seconds", 10, 1, 300)? as u64,
            body_timeout_secs: r.int("serve.body_timeout_seconds", 10, 1, 300)? as u64,
            drain_secs: r.int("serve.drain_seconds", 20, 1, 600)? as u64,
            refusals_per_minute: r.int("serve.refusals_per_minute", 10, 1, 1000)? as u64,
            nice: r.int("serve.nice", 10, 0, 19)? as i32,
        };
        r.check_unknown()?;
        Ok(Config {
            database_url,
            max_connections,
            codes,
            reveal_seconds,
            password_cost,
            limits,
            idle_lock_minutes,
            refresh_seconds,
            log_file,
            log_level,
            no_color,
            ascii,
            trusted_network,
            serve,
        })
    }

    /// How this configuration reaches its database (`transport`); an error names the key.
    pub fn transport(&self) -> Result<Transport, ConfigError> {
        transport(&self.database_url, self.trusted_network).map_err(|problem| ConfigError::Key {
            path: "the database URL".into(),
            key: "database.url".into(),
            problem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_toml_is_the_defaults() {
        let shipped = Config::parse("config.toml", include_str!("../config.toml")).unwrap();
        assert_eq!(shipped, Config::parse("empty", "").unwrap());
    }

    #[test]
    fn a_locale_that_is_not_utf8_draws_ascii() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert!(locale_is_utf8(env(&[("LANG", "en_GB.UTF-8")])));
        assert!(locale_is_utf8(env(&[("LC_ALL", "C.utf8"), ("LANG", "C")])));
        assert!(!locale_is_utf8(env(&[("LC_ALL", "POSIX"), ("LANG", "en_US.UTF-8")])));
        assert!(!locale_is_utf8(env(&[("LANG", "C")])));
        assert!(!locale_is_utf8(env(&[])));
        assert!(locale_is_utf8(env(&[("LC_ALL", ""), ("LC_CTYPE", "de_DE.UTF-8")])));
    }

    #[test]
    fn bad_values_name_their_key() {
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
    fn relative_paths_resolve_from_the_config_files_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("helpdesk.toml");
        std::fs::write(&file, "[database]\nurl = \"sqlite://data/hd.db?mode=rwc\"\n[log]\nfile = \"logs/hd.log\"\n")
            .unwrap();
        let c = Config::load(None, |k| (k == "HELPDESK_CONFIG").then(|| file.display().to_string())).unwrap();
        let base = std::path::absolute(dir.path()).unwrap();
        assert_eq!(c.database_url, format!("sqlite://{}?mode=rwc", base.join("data/hd.db").display()));
        assert_eq!(c.log_file, base.join("logs/hd.log"));
        // --config wins over HELPDESK_CONFIG; absolute paths and PostgreSQL URLs stay.
        std::fs::write(&file, "[database]\nurl = \"postgres://db/hd\"\n[log]\nfile = \"/var/log/hd.log\"\n").unwrap();
        let c = Config::load(Some(&file), |k| (k == "HELPDESK_CONFIG").then(|| "/nowhere.toml".into())).unwrap();
        assert_eq!((c.database_url.as_str(), c.log_file.as_path()), ("postgres://db/hd", Path::new("/var/log/hd.log")));
        assert!(matches!(
            Config::load(None, |k| (k == "HELPDESK_CONFIG").then(String::new)),
            Err(ConfigError::Env { .. })
        ));
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = |k: &str| match k {
            "HELPDESK_DATABASE_URL" => Some("postgres://a/b".to_owned()),
            "DATABASE_URL" => Some("postgres://c/d".to_owned()),
            _ => None,
        };
        let c = Config::load(Some(Path::new("config.toml")), env).unwrap();
        assert_eq!(c.database_url, "postgres://a/b");
        let c = Config::load(Some(Path::new("config.toml")), |k| (k == "DATABASE_URL").then(|| "sqlite://x.db".into()))
            .unwrap();
        assert_eq!(c.database_url, "sqlite://x.db");
    }
}

#[cfg(test)]
mod transport_tests {
    use super::{Transport, transport};

    #[test]
    fn a_remote_postgres_needs_a_verified_certificate_or_a_trusted_network() {
        assert_eq!(transport("sqlite://helpdesk.db", false), Ok(Transport::File));
        for local in [
            "postgres://app@127.0.0.1:5432/hd",
            "postgres://app@localhost/hd",
            "postgres://app@[::1]:5432/hd",
            "postgres:///hd",
            "postgres://app@%2Fvar%2Frun%2Fpostgresql/hd",
            "postgres:///hd?host=/var/run/postgresql",
        ] {
            assert_eq!(transport(local, false), Ok(Transport::Local), "{local}");
        }
        let remote = "postgres://app@db.bank.example/hd";
        for refused in [remote.to_owned(), format!("{remote}?sslmode=require"), format!("{remote}?sslmode=prefer")] {
            let why = transport(&refused, false).unwrap_err();
            assert!(why.contains("sslmode=verify-full") && why.contains("trusted_network"), "{why}");
        }
        let verified = format!("{remote}?sslmode=verify-full&sslrootcert=/etc/ssl/bank-ca.pem");
        assert_eq!(transport(&verified, false), Ok(Transport::Verified("verify-full".into())));
        assert_eq!(
            transport(&format!("{remote}?sslmode=verify-ca"), false),
            Ok(Transport::Verified("verify-ca".into()))
        );
        let trusted = transport(&format!("{remote}?sslmode=require"), true).unwrap();
        assert_eq!(trusted, Transport::Trusted { sslmode: Some("require".into()) });
        // The host parameter outranks the URL's: a remote one is not hidden behind localhost.
        assert!(transport("postgres://app@localhost/hd?host=db.bank.example", false).is_err());
    }
}
