//! `helpdesk audit rotate-key`: moves the audit chain to a new key, in an admin's session
//! (`cli::admin`). The new key file (the new key first, the retired ones after it) is
//! written beside the key file, the chain is checked and `audit_key_rotated` appended under
//! the new key (`HelpDesk::rotate_audit_key`), and only then is the file moved into place.
//! Run it with every other helpdesk process stopped: one still reading the old file would
//! write links that `audit verify` reports as made under a retired key.

use std::path::{Path, PathBuf};

use super::admin;
use super::exit::{Failure, NO, SUCCESS};
use crate::config::{Config, ConfigError, audit_key};
use crate::desk::{DeskError, HelpDesk, Session};
use crate::domain::audit_chain::AuditKey;

#[derive(Debug, thiserror::Error)]
enum RotateError {
    #[error(transparent)]
    Desk(#[from] DeskError),
    #[error("configuration error: {0}")]
    KeyFile(#[from] ConfigError),
    /// The rotation's event is written, but the file was not moved into place.
    #[error("configuration error: {0}")]
    NotInstalled(ConfigError),
    #[error(
        "the audit key may not have been rotated: {error}. The new key file stays in {}: if `helpdesk audit verify` reports a key missing at a rotation, move it over the key file; otherwise remove it",
        kept.display()
    )]
    Interrupted { error: DeskError, kept: PathBuf },
}

/// `SUCCESS` once the new key file is in place, `NO` when the chain is broken (nothing was
/// rotated); any other failure is said as `helpdesk: …`.
pub async fn run(config: &Config, admin_username: Option<String>) -> Result<u8, Failure> {
    let desk = super::open_desk(config).await?;
    let session = admin::sign_in(&desk, admin_username).await?;
    let rotated = desk.audit_key().rotated()?;
    let file = &config.audit_key_file;
    match rotate(&desk, &session, file, &rotated).await {
        Ok(()) => {
            // Signed out under the key now in force: a link under the old one would be reported.
            let desk = super::open_desk(config).await?;
            desk.logout(&session).await?;
            crate::cli::terminal::tell(&format!(
                "The audit key was rotated: {} holds the new key first and {} retired after it. Copy it to every \
                 host that runs helpdesk before starting helpdesk there again, and keep a backup apart from the \
                 database's.",
                file.display(),
                rotated.retired()
            ));
            Ok(SUCCESS)
        }
        Err(RotateError::Desk(broken @ DeskError::ChainBroken(_))) => {
            desk.logout(&session).await?;
            crate::cli::terminal::tell(&format!("helpdesk: {broken}"));
            Ok(NO)
        }
        // Which key is in force is not known: nothing more is written under either.
        Err(e @ (RotateError::NotInstalled(_) | RotateError::Interrupted { .. })) => Err(Failure::new(e.to_string())),
        Err(e) => {
            desk.logout(&session).await?;
            Err(Failure::new(e.to_string()))
        }
    }
}

/// Stages the new key file, appends the rotation, installs the file. When the append fails
/// for a reason other than a refusal, the staged file is kept: the event may have been
/// committed, and then the chain needs that key.
async fn rotate(desk: &HelpDesk, session: &Session, file: &Path, rotated: &AuditKey) -> Result<(), RotateError> {
    let staged = audit_key::stage(file, rotated)?;
    match desk.rotate_audit_key(session, rotated).await {
        Ok(()) => staged.install().map_err(RotateError::NotInstalled),
        Err(error @ DeskError::Store(_)) => Err(RotateError::Interrupted { error, kept: staged.keep() }),
        Err(refused) => Err(refused.into()),
    }
}
