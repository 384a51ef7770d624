//! `config.toml` as written: every section and key the program reads, and nothing else.
//! Each value is kept as the file gives it (a `toml::Value`), so that the checked layer
//! (`checked.rs`) can refuse a wrong type with the same sentence as a value out of range,
//! naming the key and what it found.

use serde::Deserialize;
use toml::{Table, Value};

use super::ConfigError;

/// One key as written; `None` when the file leaves it out (its default applies).
pub type Setting = Option<Value>;

/// The whole file. A key that is not here is refused (`deny_unknown_fields`): it is a typo
/// or a key this version no longer reads, and would otherwise be silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    pub database: DatabaseFile,
    pub codes: CodesFile,
    pub staff: StaffFile,
    pub throttle: ThrottleFile,
    pub institution: InstitutionFile,
    pub ui: UiFile,
    pub log: LogFile,
    pub serve: ServeFile,
    pub audit: AuditFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseFile {
    pub url: Setting,
    pub trusted_network: Setting,
    pub max_connections: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodesFile {
    pub count: Setting,
    pub length: Setting,
    pub group: Setting,
    pub expiry_hours: Setting,
    pub reveal_seconds: Setting,
    pub cooloff_after_contact_change_hours: Setting,
    pub request_minutes: Setting,
    pub approval_minutes: Setting,
    pub max_batches_per_agent_hour: Setting,
    pub max_batches_per_agent_day: Setting,
    pub max_batches_per_user_day: Setting,
    pub max_total_failures: Setting,
    pub argon2: Argon2File,
}

/// `[codes.argon2]` and `[staff.argon2]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2File {
    pub memory_kib: Setting,
    pub iterations: Setting,
    pub parallelism: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffFile {
    pub argon2: Argon2File,
    pub step_up_minutes: Setting,
    pub factor_key_file: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleFile {
    pub redeem_max_failures: Setting,
    pub redeem_lockout_minutes: Setting,
    pub login_max_failures: Setting,
    pub login_lockout_minutes: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstitutionFile {
    pub home_region: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiFile {
    pub idle_lock_minutes: Setting,
    pub refresh_seconds: Setting,
    pub session_max_hours: Setting,
    pub no_color: Setting,
    pub ascii: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogFile {
    pub file: Setting,
    pub level: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeFile {
    pub address: Setting,
    pub metrics_address: Setting,
    pub certificate: Setting,
    pub private_key: Setting,
    pub queue: Setting,
    pub max_connections: Setting,
    pub max_connections_per_address: Setting,
    pub idle_seconds: Setting,
    pub header_timeout_seconds: Setting,
    pub body_timeout_seconds: Setting,
    pub drain_seconds: Setting,
    pub refusals_per_minute: Setting,
    pub nice: Setting,
    pub trusted_proxies: Setting,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditFile {
    pub key_file: Setting,
}

impl ConfigFile {
    /// Reads the file's text; `path` is how errors name the file. `Syntax` for text that
    /// is not TOML, `Unknown` with the dotted key for a key (or a section) the program
    /// does not read.
    pub fn read(path: &str, text: &str) -> Result<Self, ConfigError> {
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax { path: path.into(), reason: e.to_string() })?;
        // The only thing the mirror can refuse is a key or a section it has no place for
        // (every value is kept as written), so the path of the refusal is that key.
        serde_path_to_error::deserialize(Value::Table(table))
            .map_err(|e| ConfigError::Unknown { path: path.into(), key: e.path().to_string() })
    }
}
