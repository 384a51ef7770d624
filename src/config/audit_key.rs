//! The audit key's file (`audit.key_file`): 64 hex digits, readable by helpdesk's account
//! only, outside the database, so that a writer of the database cannot link an audit event
//! (`domain::audit_chain`). `helpdesk migrate` and the demo create it when it is missing;
//! every other command only reads it, and refuses a missing file or one its group or
//! others may read. Errors name the file and the key; none shows the key.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::ConfigError;
use crate::domain::audit_chain::AuditKey;

/// The configuration key that names the file.
pub const KEY_FILE: &str = "audit.key_file";

fn refused(file: &Path, problem: impl Into<String>) -> ConfigError {
    ConfigError::AuditKey { file: file.display().to_string(), problem: problem.into() }
}

/// Reads the key. Refused: a missing file, anything but a regular file, a file its group
/// or others may read or write, and text that is not 64 hex digits.
pub fn read(file: &Path) -> Result<AuditKey, ConfigError> {
    let meta = match std::fs::symlink_metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refused(
                file,
                "does not exist: `helpdesk migrate` creates it. If it was lost, restore it from its backup: \
                 events linked under it cannot be checked with another key",
            ));
        }
        Err(e) => return Err(refused(file, format!("cannot be read: {e}"))),
    };
    if !meta.file_type().is_file() {
        return Err(refused(file, "is not a regular file (a link or a folder is refused)"));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(refused(
            file,
            format!(
                "may be read or written by its group or others (mode {mode:04o}): only helpdesk's account may \
                 (chmod 600 {})",
                file.display()
            ),
        ));
    }
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(file).map_err(|e| refused(file, e.to_string()))?);
    AuditKey::parse_hex(&text).ok_or_else(|| refused(file, "does not hold a key (64 hex digits)"))
}

/// Creates the file with a new key from the OS CSPRNG when there is none, mode 0600, and
/// never replaces one: the key is written to a private temporary file beside it, which is
/// then linked to the name (a link fails if the name exists), so that no reader ever sees
/// a partial key. `true` when it was created.
pub fn create_if_missing(file: &Path) -> Result<bool, ConfigError> {
    if std::fs::symlink_metadata(file).is_ok() {
        return Ok(false);
    }
    let key = AuditKey::random().map_err(|e| refused(file, format!("cannot be made: {e}")))?;
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.new", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut out = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
        out.write_all(key.to_hex().as_bytes())?;
        out.write_all(b"\n")?;
        out.sync_all()?;
        std::fs::hard_link(&temporary, file)
    })();
    let _ = std::fs::remove_file(&temporary);
    match written {
        Ok(()) => Ok(true),
        // Another process made it meanwhile: theirs stands.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(refused(file, format!("cannot be created: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_made_once_private_and_refused_when_others_may_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("audit.key");
        assert!(read(&file).unwrap_err().to_string().contains(KEY_FILE));
        assert!(create_if_missing(&file).unwrap());
        let made = std::fs::read(&file).unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!create_if_missing(&file).unwrap(), "an existing key was replaced");
        assert_eq!(std::fs::read(&file).unwrap(), made);
        assert!(read(&file).is_ok());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a temporary file was left");
        for mode in [0o640, 0o604, 0o660, 0o602] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let said = read(&file).unwrap_err().to_string();
            assert!(said.contains(KEY_FILE) && said.contains(&format!("{mode:04o}")), "{said}");
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&file, "not a key").unwrap();
        assert!(read(&file).unwrap_err().to_string().contains("64 hex digits"));
    }
}
