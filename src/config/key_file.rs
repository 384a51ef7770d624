//! A key kept in a file beside the configuration, outside the database, readable by
//! helpdesk's account only: the audit key (`audit_key`) and the factor key (`factor_key`)
//! are each read and made through here. `read_private` refuses a missing file, anything
//! but a regular file, and one its group or others may read or write;
//! `create_private` writes a new file, mode 0600, and never replaces one. Errors are
//! sentences about the file; none shows the key.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rand::TryRng;
use zeroize::Zeroizing;

/// The file's text, or why it is refused; `missing` is what a missing file is told.
pub fn read_private(file: &Path, missing: &str) -> Result<Zeroizing<String>, String> {
    let meta = match std::fs::symlink_metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing.to_owned()),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    if !meta.file_type().is_file() {
        return Err("is not a regular file (a link or a folder is refused)".into());
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "may be read or written by its group or others (mode {mode:04o}): only helpdesk's account may (chmod 600 {})",
            file.display()
        ));
    }
    Ok(Zeroizing::new(std::fs::read_to_string(file).map_err(|e| e.to_string())?))
}

/// Creates the file with `text` when there is none; `true` when it was created. The text
/// is written to a private temporary file beside it, synced, then linked to the name (a
/// link fails if the name exists), so that no reader sees a partial key and another
/// process's key, made meanwhile, stands.
pub fn create_private(file: &Path, text: &str) -> Result<bool, String> {
    if std::fs::symlink_metadata(file).is_ok() {
        return Ok(false);
    }
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.new", std::process::id()));
    let written = write_private(&temporary, text).and_then(|()| std::fs::hard_link(&temporary, file));
    let _ = std::fs::remove_file(&temporary);
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(format!("cannot be created: {e}")),
    }
}

/// Writes `text` to a new file `path`, mode 0600, and syncs it.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut out = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    out.write_all(text.as_bytes())?;
    out.sync_all()
}

/// 32 bytes from the OS CSPRNG, as 64 hex digits.
pub fn random_hex32() -> Result<Zeroizing<String>, String> {
    let mut key = Zeroizing::new([0_u8; 32]);
    rand::rngs::SysRng.try_fill_bytes(key.as_mut_slice()).map_err(|e| format!("cannot be made: {e}"))?;
    Ok(Zeroizing::new(key.iter().map(|b| format!("{b:02x}")).collect()))
}

/// 64 hex digits (surrounding space ignored) as 32 bytes.
pub fn parse_hex32(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let hex = text.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut key = Zeroizing::new([0_u8; 32]);
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}
