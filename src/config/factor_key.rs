//! The file of the key that seals the staff's authenticator secrets
//! (`staff.factor_key_file`; `domain::second_factor::FactorKey`), kept like the audit key
//! (`key_file`) but a key of its own: whoever holds one of them holds nothing of the other.

use std::path::Path;

use super::{ConfigError, key_file};
use crate::domain::second_factor::FactorKey;

pub const KEY_FILE: &str = "staff.factor_key_file";

fn refused(file: &Path, problem: String) -> ConfigError {
    ConfigError::FactorKey { file: file.display().to_string(), problem }
}

const MISSING: &str = "does not exist: `helpdesk migrate` creates it (restore it from its backup if it was lost)";

pub fn read(file: &Path) -> Result<FactorKey, ConfigError> {
    let text = key_file::read_private(file, MISSING).map_err(|p| refused(file, p))?;
    let key =
        key_file::parse_hex32(&text).ok_or_else(|| refused(file, "does not hold a key (64 hex digits)".into()))?;
    Ok(FactorKey::from_bytes(*key))
}

pub fn create_if_missing(file: &Path) -> Result<bool, ConfigError> {
    let key = key_file::random_hex32().map_err(|p| refused(file, p))?;
    key_file::create_private(file, &format!("{}\n", key.as_str())).map_err(|p| refused(file, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_factor_key_is_made_once_private_and_refused_when_others_may_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("factor.key");
        assert!(read(&file).unwrap_err().to_string().contains(KEY_FILE));
        assert!(create_if_missing(&file).unwrap());
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let made = std::fs::read(&file).unwrap();
        assert!(!create_if_missing(&file).unwrap());
        assert_eq!(std::fs::read(&file).unwrap(), made, "an existing key was replaced");
        assert!(read(&file).is_ok());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(read(&file).unwrap_err().to_string().contains("0640"));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&file, "zz").unwrap();
        assert!(read(&file).unwrap_err().to_string().contains("64 hex digits"));
    }
}
