//! A key kept in a file beside the configuration, outside the database: 64 hex digits,
//! readable by helpdesk's account only. `read` refuses a missing file, anything but a
//! regular file, one its group or others may read or write, and text that is not a key;
//! `create_if_missing` makes one from the OS CSPRNG, mode 0600, and never replaces one.
//! Errors are sentences about the file; none shows the key.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rand::TryRng;
use zeroize::Zeroizing;

/// The key's 32 bytes, or why the file is refused.
pub fn read(file: &Path) -> Result<Zeroizing<[u8; 32]>, String> {
    let meta = match std::fs::symlink_metadata(file) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                "does not exist: `helpdesk migrate` creates it (restore it from its backup if it was lost)".into()
            );
        }
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
    let text = Zeroizing::new(std::fs::read_to_string(file).map_err(|e| e.to_string())?);
    let hex = text.trim();
    let mut key = Zeroizing::new([0_u8; 32]);
    if hex.len() != 64 || !hex.is_ascii() {
        return Err("does not hold a key (64 hex digits)".into());
    }
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| "does not hold a key (64 hex digits)")?;
    }
    Ok(key)
}

/// Creates the file with a new key when there is none; `true` when it was created. The key
/// is written to a private temporary file beside it, then linked to the name (a link fails
/// if the name exists), so that no reader sees a partial key.
pub fn create_if_missing(file: &Path) -> Result<bool, String> {
    if std::fs::symlink_metadata(file).is_ok() {
        return Ok(false);
    }
    let mut key = Zeroizing::new([0_u8; 32]);
    rand::rngs::SysRng.try_fill_bytes(key.as_mut_slice()).map_err(|e| format!("cannot be made: {e}"))?;
    let hex = Zeroizing::new(key.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.new", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut out = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
        out.write_all(hex.as_bytes())?;
        out.write_all(b"\n")?;
        out.sync_all()?;
        std::fs::hard_link(&temporary, file)
    })();
    let _ = std::fs::remove_file(&temporary);
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(format!("cannot be created: {e}")),
    }
}
