//! `helpdesk serve-clients`: the systems that call `helpdesk serve`, each with its own
//! bearer token. Every subcommand runs in an admin's session.

use std::io::Write;

use clap::Subcommand;

use super::admin::as_admin;
use super::exit::{Failure, SUCCESS};
use crate::config::Config;
use crate::desk::{HelpDesk, Session};
use crate::domain::time;

#[derive(Subcommand)]
pub enum ServeClientsCommand {
    /// Give a calling system its own bearer token, printed once on standard output
    Create {
        /// A name for the caller: 1 to 64 of a-z, 0-9, '.', '-', '_'
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Every caller, revoked ones too
    List {
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Revoke a caller's token: its next call is refused
    Revoke {
        name: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
}

impl ServeClientsCommand {
    pub async fn run(self, config: &Config) -> Result<u8, Failure> {
        let mut out = crate::cli::terminal::stdout();
        match self {
            ServeClientsCommand::Create { name, admin_username } => {
                as_admin(config, admin_username, async |desk, s| create(desk, s, &name, &mut out).await).await?
            }
            ServeClientsCommand::List { admin_username } => {
                as_admin(config, admin_username, async |desk, s| list(desk, s, &mut out).await).await?
            }
            ServeClientsCommand::Revoke { name, admin_username } => {
                as_admin(config, admin_username, async |desk, s| {
                    desk.revoke_serve_client(s, &name).await?;
                    writeln!(out, "Serve client {name} revoked: its next call is refused.")?;
                    Ok::<_, color_eyre::Report>(())
                })
                .await?
            }
        }
        Ok(SUCCESS)
    }
}

/// `serve-clients create`: prints the token once, on standard output alone (so that it
/// can be piped into a secret store), and the advice on standard error.
pub async fn create(desk: &HelpDesk, session: &Session, name: &str, out: &mut impl Write) -> color_eyre::Result<()> {
    let created = desk.create_serve_client(session, name).await?;
    crate::cli::terminal::tell(&format!(
        "Serve client {} created (id {}). Its bearer token follows, once: put it in the login's secret store now; \
         it is not kept anywhere and cannot be shown again (revoke and create another if it is lost).",
        created.name, created.id
    ));
    writeln!(out, "{}", created.token.as_str())?;
    Ok(())
}

/// `serve-clients list`: one line a client.
pub async fn list(desk: &HelpDesk, session: &Session, out: &mut impl Write) -> color_eyre::Result<()> {
    let clients = desk.serve_clients(session).await?;
    if clients.is_empty() {
        writeln!(out, "No serve clients yet: create one with `helpdesk serve-clients create --name NAME`.")?;
        return Ok(());
    }
    writeln!(out, "{:<32} {:<22} {:<16} STATUS", "NAME", "CREATED", "BY")?;
    for c in clients {
        let status = match c.revoked_at {
            Some(at) => format!("revoked {}", time::format_utc(at)),
            None => "active".to_owned(),
        };
        writeln!(out, "{:<32} {:<22} {:<16} {status}", c.name, time::format_utc(c.created_at), c.created_by)?;
    }
    Ok(())
}
