//! `helpdesk grants`: the grants of power that wait for a second admin (a new admin, the
//! permission "Can generate lockout codes user", a role, re-enabling), as the Approvals
//! pane shows them. `list`, `approve`, `decline` and `withdraw` run in an admin's session
//! and go through the same rules as the pane. `approve --as-owner` is how a database with a
//! single admin gets its second one: run by the database's owner (the URL `helpdesk
//! migrate` uses), with no admin's credentials, and refused once two admins are enabled.

use std::io::Write;

use clap::Subcommand;

use super::admin::as_admin;
use super::exit::{Failure, SUCCESS};
use crate::config::Config;
use crate::desk::{HelpDesk, Session};
use crate::domain::grants::GrantRequest;
use crate::domain::time;

#[derive(Subcommand)]
pub enum GrantsCommand {
    /// The grants waiting for a second admin
    List {
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Approve a grant: it takes effect at once. Never by the admin who asked for it, nor
    /// by the one who receives it
    Approve {
        /// The grant's number (`grants list`)
        id: i64,
        #[arg(long, value_name = "ADMIN", conflicts_with = "as_owner")]
        admin_username: Option<String>,
        /// Approve as the database's owner, with the owner's database URL: only while a
        /// single admin is enabled (how the first admin's second admin is made)
        #[arg(long)]
        as_owner: bool,
    },
    /// Decline a grant, with a reason the admin who asked can read
    Decline {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Take back a grant you asked for
    Withdraw {
        id: i64,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
}

impl GrantsCommand {
    pub async fn run(self, config: &Config) -> Result<u8, Failure> {
        let mut out = crate::cli::terminal::stdout();
        let done = match self {
            GrantsCommand::List { admin_username } => {
                as_admin(config, admin_username, async |desk, s| list(desk, s, &mut out).await).await?;
                return Ok(SUCCESS);
            }
            GrantsCommand::Approve { id, as_owner: true, .. } => {
                let desk = super::open_desk(config).await?;
                desk.approve_grant_as_owner(id).await?;
                format!("Grant #{id} approved by the database's owner: it took effect.")
            }
            GrantsCommand::Approve { id, admin_username, .. } => {
                as_admin(config, admin_username, async |desk, s| desk.approve_grant(s, id).await).await?;
                format!("Grant #{id} approved: it took effect.")
            }
            GrantsCommand::Decline { id, reason, admin_username } => {
                as_admin(config, admin_username, async |desk, s| desk.decline_grant(s, id, &reason).await).await?;
                format!("Grant #{id} declined.")
            }
            GrantsCommand::Withdraw { id, admin_username } => {
                as_admin(config, admin_username, async |desk, s| desk.withdraw_grant(s, id).await).await?;
                format!("Grant #{id} withdrawn.")
            }
        };
        crate::cli::terminal::say(&done);
        Ok(SUCCESS)
    }
}

/// `grants list`: one pending grant a line, tab-separated.
pub async fn list(desk: &HelpDesk, session: &Session, out: &mut impl Write) -> color_eyre::Result<()> {
    let grants = desk.pending_grants(session).await?;
    if grants.is_empty() {
        writeln!(out, "No grant is waiting for a second admin.")?;
        return Ok(());
    }
    writeln!(out, "id\tgives\tto\tasked_by\tasked_at\texpires_at")?;
    for g in grants {
        writeln!(out, "{}", line(&g))?;
    }
    Ok(())
}

fn line(g: &GrantRequest) -> String {
    format!(
        "{}\t{}\t{} ({})\t{}\t{}\t{}",
        g.id,
        g.kind.words(),
        g.subject,
        g.subject_name,
        g.asked_by,
        time::format_rfc3339(g.asked_at),
        time::format_rfc3339(g.expires_at)
    )
}
