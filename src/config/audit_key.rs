//! The audit key's file (`audit.key_file`): 64 hex digits a line, the key in use first and
//! the keys it retired after it (`helpdesk audit rotate-key`), readable by helpdesk's
//! account only, outside the database, so that a writer of the database cannot link an
//! audit event (`domain::audit_chain`). `helpdesk migrate` and the demo create it when it
//! is missing; `audit rotate-key` replaces it whole; every other command only reads it, and
//! refuses a missing file or one its group or others may read. Errors name the file and
//! the key; none shows the key.

use std::path::{Path, PathBuf};

use super::{ConfigError, key_file};
use crate::domain::audit_chain::AuditKey;

/// The configuration key that names the file.
pub const KEY_FILE: &str = "audit.key_file";

fn refused(file: &Path, problem: impl Into<String>) -> ConfigError {
    ConfigError::AuditKey { file: file.display().to_string(), problem: problem.into() }
}

/// Reads the key and the keys it retired. Refused: a missing file, anything but a regular
/// file, a file its group or others may read or write, and text that is not lines of 64
/// hex digits.
pub fn read(file: &Path) -> Result<AuditKey, ConfigError> {
    let missing = "does not exist: `helpdesk migrate` creates it. If it was lost, restore it from its backup: \
                   events linked under it cannot be checked with another key";
    let text = key_file::read_private(file, missing).map_err(|p| refused(file, p))?;
    AuditKey::parse_file(&text)
        .ok_or_else(|| refused(file, "does not hold a key (64 hex digits a line, the newest key first)"))
}

/// Creates the file with a new key from the OS CSPRNG when there is none, mode 0600, and
/// never replaces one (`key_file::create_private`). `true` when it was created.
pub fn create_if_missing(file: &Path) -> Result<bool, ConfigError> {
    if std::fs::symlink_metadata(file).is_ok() {
        return Ok(false);
    }
    let key = AuditKey::random().map_err(|e| refused(file, format!("cannot be made: {e}")))?;
    key_file::create_private(file, &key.to_file_text()).map_err(|p| refused(file, p))
}

/// Where a rotation writes the new key file before it is in force: `FILE.new`, beside it.
pub fn staged_path(file: &Path) -> PathBuf {
    let mut staged = file.as_os_str().to_owned();
    staged.push(".new");
    PathBuf::from(staged)
}

/// A rotated key file written beside the key file (`staged_path`), not yet in force.
/// `install` moves it over the key file once the rotation's audit event is written;
/// dropped without installing, it is removed, unless a failed install left it as the only
/// copy of a key the chain already uses.
#[derive(Debug)]
pub struct StagedKey {
    file: PathBuf,
    staged: PathBuf,
    keep: bool,
}

/// Writes `key` (the new key first, the retired ones after it) to `staged_path(file)`, mode
/// 0600, synced. Refused when that file exists: a rotation that did not finish left it.
pub fn stage(file: &Path, key: &AuditKey) -> Result<StagedKey, ConfigError> {
    let staged = staged_path(file);
    match key_file::write_private(&staged, &key.to_file_text()) {
        Ok(()) => Ok(StagedKey { file: file.to_owned(), staged, keep: false }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(refused(
            file,
            format!(
                "has a rotated file beside it, {}, left by a rotation that did not finish: if `helpdesk audit \
                 verify` reports a key missing at a rotation, move it over the key file; otherwise remove it",
                staged.display()
            ),
        )),
        Err(e) => Err(refused(file, format!("cannot be rotated: writing {} failed: {e}", staged.display()))),
    }
}

impl StagedKey {
    /// Renames the staged file over the key file (one step on one file system, so every
    /// reader sees the old file or the new one whole) and syncs the folder. On failure the
    /// staged file stays, and the error says to move it into place.
    pub fn install(mut self) -> Result<(), ConfigError> {
        // Moved or not, the staged file is no longer this value's to remove.
        self.keep = true;
        let folder = match self.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let moved = std::fs::rename(&self.staged, &self.file)
            .and_then(|()| std::fs::File::open(&folder).and_then(|f| f.sync_all()));
        moved.map_err(|e| {
            let (staged, file) = (self.staged.display(), self.file.display());
            refused(
                &self.file,
                format!("was not replaced ({e}): the chain now needs the new key in {staged}: mv {staged} {file}"),
            )
        })
    }
}

impl StagedKey {
    /// Leaves the staged file where it is, and says where.
    pub fn keep(mut self) -> PathBuf {
        self.keep = true;
        self.staged.clone()
    }
}

impl Drop for StagedKey {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.staged);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

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

    #[test]
    fn a_rotated_file_is_staged_private_installed_whole_and_kept_when_needed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("audit.key");
        create_if_missing(&file).unwrap();
        let old = read(&file).unwrap();
        let rotated = old.rotated().unwrap();
        // Staged: beside it, private, and the key file untouched until installed.
        let staged = stage(&file, &rotated).unwrap();
        let beside = staged_path(&file);
        assert_eq!(std::fs::metadata(&beside).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(read(&file).unwrap().to_file_text(), old.to_file_text());
        // A second rotation meanwhile is refused, naming the file left beside.
        let said = stage(&file, &rotated).unwrap_err().to_string();
        assert!(said.contains(KEY_FILE) && said.contains(".new"), "{said}");
        staged.install().unwrap();
        let now = read(&file).unwrap();
        assert_eq!((now.retired(), now.to_file_text()), (1, rotated.to_file_text()));
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!beside.exists());
        // Dropped without installing, a staged file goes; kept, it stays.
        drop(stage(&file, &now.rotated().unwrap()).unwrap());
        assert!(!beside.exists());
        assert_eq!(stage(&file, &now.rotated().unwrap()).unwrap().keep(), beside);
        assert!(beside.exists());
    }
}
