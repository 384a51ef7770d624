//! `config.toml` and the environment, in two layers: the file as written (`file.rs`, which
//! refuses a key it does not know) and the running `Config` checked from it (`checked.rs`,
//! where every default is). Every key is optional; a bad value is refused with a message
//! that names the key. The rule for the database link is `tls_link.rs`.

use std::path::{Path, PathBuf};

pub mod audit_key;
mod checked;
pub mod factor_key;
mod file;
mod key_file;
mod tls_link;

pub use file::ConfigFile;
pub use tls_link::{Transport, transport};

use crate::desk::Limits;
use crate::domain::codes::{CodePolicy, HashCost};

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
    /// `audit.key_file`: the audit chain's key (`audit_key`), outside the database.
    pub audit_key_file: PathBuf,
    /// `staff.factor_key_file`: the key that seals the staff's authenticator secrets
    /// (`factor_key`), outside the database; not the audit key.
    pub factor_key_file: PathBuf,
    /// The SSH key this process's session authenticated with (`--ssh-key`, given by the
    /// ForceCommand wrapper from sshd's `ExposeAuthInfo`); never from the file.
    pub ssh_key: Option<crate::domain::second_factor::KeyFingerprint>,
}

/// `[serve]`, for `helpdesk serve`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub address: std::net::SocketAddr,
    /// `serve.metrics_address`: where `/metrics` is answered over plain HTTP; `None` when
    /// it is `off` (or empty), and then nothing is counted either.
    pub metrics_address: Option<std::net::SocketAddr>,
    /// `serve.certificate` and `serve.private_key`; `None` when not set.
    pub certificate: Option<PathBuf>,
    pub private_key: Option<PathBuf>,
    pub queue: usize,
    pub max_connections: usize,
    /// `serve.max_connections_per_address` (IPv6 by its /64).
    pub max_per_address: usize,
    /// `serve.idle_seconds`: a connection with no call in flight this long is closed.
    pub idle_secs: u64,
    pub header_timeout_secs: u64,
    pub body_timeout_secs: u64,
    pub drain_secs: u64,
    pub refusals_per_minute: u64,
    pub nice: i32,
    /// `serve.trusted_proxies`: the load balancers whose connections open with a PROXY
    /// protocol v2 header naming the real caller (`serve::proxy`); empty by default.
    pub trusted_proxies: crate::serve::proxy::TrustedProxies,
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
    #[error("--database is empty: give a URL such as sqlite://helpdesk.db")]
    EmptyDatabaseFlag,
    #[error("`audit.key_file` ({file}) {problem}")]
    AuditKey { file: String, problem: String },
    #[error("`staff.factor_key_file` ({file}) {problem}")]
    FactorKey { file: String, problem: String },
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

impl Config {
    /// Finds the file (`--config`, else `HELPDESK_CONFIG`, else `./config.toml` if it
    /// exists; a missing default file means all defaults), reads it, resolves the relative
    /// paths in it against its folder, and decides the database URL, the
    /// first given of: `database` (the command line's `--database`, else the command's own
    /// default, as the demo's), `HELPDESK_DATABASE_URL`, `DATABASE_URL`, the file's
    /// `database.url`, the default. A relative path in the first three is the caller's: it
    /// resolves from the current directory. An empty `database` is `EmptyDatabaseFlag`.
    pub fn load(
        path: Option<&Path>,
        database: Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
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
        if let Some(url) = database {
            if url.trim().is_empty() {
                return Err(ConfigError::EmptyDatabaseFlag);
            }
            config.database_url = url;
        }
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            config.no_color = true;
        }
        if !locale_is_utf8(&env) {
            config.ascii = true;
        }
        Ok(config)
    }

    /// Makes the file's relative paths (a SQLite database, the log, the audit key, the
    /// server's certificate and key) absolute from `folder`,
    /// so that the program finds the same files wherever it is started.
    pub fn resolve_against(&mut self, folder: &Path) -> Result<(), ConfigError> {
        let absolute = |p: &Path| {
            std::path::absolute(folder.join(p))
                .map_err(|e| ConfigError::Read { path: folder.display().to_string(), reason: e.to_string() })
        };
        for file in [&mut self.log_file, &mut self.audit_key_file, &mut self.factor_key_file] {
            if file.is_relative() {
                *file = absolute(file)?;
            }
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

    /// Reads and checks a file's text; `path` is how errors name the file.
    pub fn parse(path: &str, text: &str) -> Result<Self, ConfigError> {
        ConfigFile::read(path, text)?.check(path)
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
    fn relative_paths_resolve_from_the_config_files_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("helpdesk.toml");
        std::fs::write(&file, "[database]\nurl = \"sqlite://data/hd.db?mode=rwc\"\n[log]\nfile = \"logs/hd.log\"\n")
            .unwrap();
        let c = Config::load(None, None, |k| (k == "HELPDESK_CONFIG").then(|| file.display().to_string())).unwrap();
        let base = std::path::absolute(dir.path()).unwrap();
        assert_eq!(c.database_url, format!("sqlite://{}?mode=rwc", base.join("data/hd.db").display()));
        assert_eq!(c.log_file, base.join("logs/hd.log"));
        assert_eq!(c.audit_key_file, base.join("helpdesk-audit.key"), "the audit key is beside the file");
        // --config wins over HELPDESK_CONFIG; absolute paths and PostgreSQL URLs stay.
        std::fs::write(&file, "[database]\nurl = \"postgres://db/hd\"\n[log]\nfile = \"/var/log/hd.log\"\n").unwrap();
        let c = Config::load(Some(&file), None, |k| (k == "HELPDESK_CONFIG").then(|| "/nowhere.toml".into())).unwrap();
        assert_eq!((c.database_url.as_str(), c.log_file.as_path()), ("postgres://db/hd", Path::new("/var/log/hd.log")));
        assert!(matches!(
            Config::load(None, None, |k| (k == "HELPDESK_CONFIG").then(String::new)),
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
        let c = Config::load(Some(Path::new("config.toml")), None, env).unwrap();
        assert_eq!(c.database_url, "postgres://a/b");
        let c = Config::load(Some(Path::new("config.toml")), None, |k| {
            (k == "DATABASE_URL").then(|| "sqlite://x.db".into())
        })
        .unwrap();
        assert_eq!(c.database_url, "sqlite://x.db");
        // The command line's database (`--database`, or the demo's) outranks them all.
        let c = Config::load(Some(Path::new("config.toml")), Some("sqlite://given.db".into()), env).unwrap();
        assert_eq!(c.database_url, "sqlite://given.db");
        let empty = Config::load(Some(Path::new("config.toml")), Some(" ".into()), env);
        assert_eq!(empty, Err(ConfigError::EmptyDatabaseFlag));
    }
}
