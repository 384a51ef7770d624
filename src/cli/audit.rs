//! `helpdesk audit`: the audit log exported for a SIEM (`audit_export`), its hash chain
//! checked (`audit_verify`), and moved to a new key (`audit_rotate`).

use clap::Subcommand;

use super::admin::as_admin;
use super::exit::{Failure, SUCCESS};
use super::{audit_export, audit_rotate, audit_verify};
use crate::config::Config;
use crate::domain::audit::{AuditAction, AuditFilter};
use crate::domain::audit_chain::Anchor;
use crate::domain::time;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Every audit event as JSON lines on standard output, for a SIEM; needs an admin's
    /// credentials (the password from the terminal, or one line of standard input)
    Export {
        /// Only events with an id above this one
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Only events at or after this instant (RFC 3339, or 2026-11-28)
        #[arg(long, value_parser = instant)]
        since: Option<i64>,
        /// Only events before this instant (RFC 3339, or 2026-11-28)
        #[arg(long, value_parser = instant)]
        until: Option<i64>,
        /// Only events of this action (for example backup_codes_generated)
        #[arg(long, value_parser = action)]
        action: Option<AuditAction>,
        /// The admin whose session reads the log (prompted for on a terminal)
        #[arg(long, value_name = "USERNAME")]
        admin_username: Option<String>,
    },
    /// Checks the audit log's hash chain and names every broken link (exit 0 intact, 1
    /// broken, 2 error)
    Verify {
        /// A hash kept outside the database, as ID:HASH (an exported event's id and its
        /// chain_hash): the chain must still carry it there
        #[arg(long, value_name = "ID:HASH", value_parser = anchor)]
        anchor: Option<Anchor>,
    },
    /// Moves the audit chain to a new key: checks the chain (a broken one is refused, exit
    /// 1), then writes the key file with the new key first and the retired ones after it.
    /// Stop every other helpdesk process first. Needs an admin's credentials
    RotateKey {
        /// The admin who rotates the key (prompted for on a terminal)
        #[arg(long, value_name = "USERNAME")]
        admin_username: Option<String>,
    },
}

impl AuditCommand {
    pub async fn run(self, config: &Config) -> Result<u8, Failure> {
        match self {
            AuditCommand::Export { after, since, until, action, admin_username } => {
                let filter = AuditFilter { since, until, action, ..AuditFilter::default() };
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                let exported = as_admin(config, admin_username, async |desk, session| {
                    audit_export::run(desk, session, &filter, after, &mut out).await
                })
                .await?;
                crate::cli::terminal::tell(&format!("{exported} events exported."));
                Ok(SUCCESS)
            }
            AuditCommand::RotateKey { admin_username } => audit_rotate::run(config, admin_username).await,
            AuditCommand::Verify { anchor } => {
                let desk = super::open_desk(config).await.map_err(|e| Failure::of_check(e.to_string()))?;
                audit_verify::run(&desk, anchor, &mut crate::cli::terminal::stdout()).await
            }
        }
    }
}

fn instant(text: &str) -> Result<i64, String> {
    time::parse_instant(text).ok_or_else(|| format!("{text:?} is not a date (write 2026-11-28 or RFC 3339)"))
}

fn anchor(text: &str) -> Result<Anchor, String> {
    Anchor::parse(text).ok_or_else(|| format!("{text:?} is not ID:HASH (an event id, a colon, 64 hex digits)"))
}

fn action(text: &str) -> Result<AuditAction, String> {
    AuditAction::parse(text).ok_or_else(|| format!("{text:?} is not an audit action"))
}
