//! `helpdesk staff`: `create` bootstraps staff, the first admin above all; `list`,
//! `disable`, `enable` and `unlock` sign in as an admin and go through the same rules as
//! the Staff pane. Passwords are read from the terminal without echo, or from standard
//! input; never from argv.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;
use color_eyre::eyre::{Report, WrapErr};
use zeroize::Zeroizing;

use super::admin::{as_admin, signed_in};
use super::exit::{Failure, SUCCESS};
use crate::config::Config;
use crate::desk::{DeskError, HelpDesk, NewStaff, Session, StaffChangeDone};
use crate::domain::access::{Permission, StaffChange};
use crate::domain::second_factor::KeyFingerprint;
use crate::domain::time::format_rfc3339;
use crate::domain::user::StaffRole;

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Create a member of staff; passwords are read from the terminal or standard input.
    /// Without credentials only while the database has no admin (bootstrap); afterwards
    /// an admin's username and password are needed (on standard input: the admin's
    /// password on the first line, the new password on the second)
    Create {
        /// The admin who authorises this (prompted for on a terminal when an admin exists)
        #[arg(long, value_name = "USERNAME")]
        admin_username: Option<String>,
        #[arg(long)]
        username: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        email: String,
        /// Admin-level staff (may act on other staff, edit settings, read the audit log)
        #[arg(long)]
        admin: bool,
        /// Grant "Can generate lockout codes user"
        #[arg(long)]
        can_generate_codes: bool,
    },
    /// List staff: role, permission, status, sign-in lock, last sign-in, open sessions
    List {
        /// An admin's username (prompted for on a terminal); the password is read from the
        /// terminal or standard input
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Disable a member of staff: they cannot sign in, and their sessions end
    Disable {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Ask for a disabled member of staff to be enabled again: it takes effect when a
    /// second admin approves (`helpdesk grants`)
    Enable {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Ask for an agent to become admin-level: takes effect when a second admin approves
    Promote {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Ask for "Can generate lockout codes user" for a member of staff: takes effect when a
    /// second admin approves
    GrantCodes {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Ask for a member of staff's second factor to be reset (they enrol again): takes
    /// effect when a second admin approves
    ResetFactor {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Ask for an SSH public key to be bound to a member of staff (`TYPE BASE64`, or its
    /// `SHA256:` fingerprint): a session that authenticated with it stands for their
    /// authenticator code, and they sign in only from such sessions. Takes effect when a
    /// second admin approves
    BindKey {
        username: String,
        #[arg(long)]
        key: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
    /// Lift a member of staff's sign-in lock
    Unlock {
        username: String,
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
}

impl StaffCommand {
    pub async fn run(self, config: &Config) -> Result<u8, Failure> {
        let (username, admin, what) = match self {
            StaffCommand::Create {
                admin_username,
                username,
                first_name,
                last_name,
                email,
                admin,
                can_generate_codes,
            } => {
                let new = NewStaff {
                    username: &username,
                    first_name: &first_name,
                    last_name: &last_name,
                    email: &email,
                    role: if admin { StaffRole::Admin } else { StaffRole::Agent },
                    permissions: if can_generate_codes { vec![Permission::GenerateLockoutCodes] } else { vec![] },
                    // Read last, after the admin's own password (`create`).
                    password: Zeroizing::default(),
                };
                return create(config, admin_username, new).await;
            }
            StaffCommand::List { admin_username } => {
                let mut out = crate::cli::terminal::stdout();
                as_admin(config, admin_username, async |desk, s| list(desk, s, &mut out).await).await?;
                return Ok(SUCCESS);
            }
            StaffCommand::Disable { username, admin_username } => (username, admin_username, StaffChange::Disable),
            StaffCommand::Enable { username, admin_username } => (username, admin_username, StaffChange::Enable),
            StaffCommand::Unlock { username, admin_username } => (username, admin_username, StaffChange::Unlock),
            StaffCommand::Promote { username, admin_username } => (username, admin_username, StaffChange::Promote),
            StaffCommand::BindKey { username, key, admin_username } => {
                let key = KeyFingerprint::of_public_key(&key)
                    .or_else(|| KeyFingerprint::parse(&key))
                    .ok_or_else(|| Failure::new("--key is not a public key (TYPE BASE64) or a SHA256: fingerprint"))?;
                (username, admin_username, StaffChange::BindKey(key))
            }
            StaffCommand::ResetFactor { username, admin_username } => {
                (username, admin_username, StaffChange::ResetFactor)
            }
            StaffCommand::GrantCodes { username, admin_username } => {
                (username, admin_username, StaffChange::Grant(Permission::GenerateLockoutCodes))
            }
        };
        // The same rule as the Staff pane.
        let done = as_admin(config, admin, async |desk, s| change(desk, s, &username, what).await).await?;
        crate::cli::terminal::say(&done);
        Ok(SUCCESS)
    }
}

/// `helpdesk staff create`: bootstrap only while no admin can sign in; from then on an
/// admin authorises it. The new password is read after the admin's.
async fn create(config: &Config, admin: Option<String>, mut new: NewStaff<'_>) -> Result<u8, Failure> {
    let desk = super::open_desk(config).await?;
    let (username, role) = (new.username.to_lowercase(), new.role);
    if admin.is_some() || desk.has_enabled_admin().await? {
        let (id, asked) = signed_in(&desk, admin, async |desk, s| {
            new.password = read_new_password().wrap_err("reading the password")?;
            Ok::<_, Report>(desk.create_staff_as(s, new).await?)
        })
        .await?;
        crate::cli::terminal::say(&format!("Created staff user {username} (id {id}, agent, no permission)."));
        if !asked.is_empty() {
            let numbers: Vec<String> = asked.iter().map(|n| format!("#{n}")).collect();
            crate::cli::terminal::say(&format!(
                "Asked for {} (grants {}): each takes effect when a second admin approves it (`helpdesk grants`).",
                if role == StaffRole::Admin { "the admin role and what else was asked" } else { "the permission" },
                numbers.join(", ")
            ));
        }
    } else {
        new.password = read_new_password().wrap_err("reading the password")?;
        let id = desk.create_staff(new).await?;
        crate::cli::terminal::say(&format!("Created staff user {username} (id {id}, {}).", role.as_str()));
    }
    Ok(SUCCESS)
}

/// Asks twice on a terminal; reads one line from a pipe.
pub fn read_new_password() -> std::io::Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password("New password: ")?);
        let again = Zeroizing::new(rpassword::prompt_password("Repeat it: ")?);
        if first != again {
            return Err(std::io::Error::other("the two passwords differ"));
        }
        Ok(first)
    } else {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StaffCommandError {
    #[error(transparent)]
    Desk(#[from] DeskError),
    #[error("there is no member of staff called {0:?}")]
    NoSuchStaff(String),
    #[error("writing the list failed")]
    Write(#[from] std::io::Error),
}

/// `helpdesk staff list`: one member of staff a line, tab-separated.
pub async fn list(desk: &HelpDesk, session: &Session, out: &mut impl Write) -> Result<(), StaffCommandError> {
    let members = desk.staff_members(session).await?;
    let now = desk.now();
    writeln!(out, "username\tname\trole\tcan_generate_codes\tstatus\tlocked_until\tlast_sign_in\topen_sessions")?;
    for m in members {
        let locked = m.login_locked_until.filter(|t| *t > now).map_or_else(|| "-".to_owned(), format_rfc3339);
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{locked}\t{}\t{}",
            m.user.username,
            m.user.full_name(),
            m.staff.role.as_str(),
            if m.staff.has(Permission::GenerateLockoutCodes) { "yes" } else { "no" },
            if m.disabled { "disabled" } else { "enabled" },
            m.last_sign_in.map_or_else(|| "-".to_owned(), format_rfc3339),
            m.open_sessions,
        )?;
    }
    Ok(())
}

/// `helpdesk staff disable|enable|unlock USER`; returns the sentence to print.
pub async fn change(
    desk: &HelpDesk,
    session: &Session,
    username: &str,
    change: StaffChange,
) -> Result<String, StaffCommandError> {
    let username = username.trim().to_ascii_lowercase();
    let members = desk.staff_members(session).await?;
    let member = members
        .iter()
        .find(|m| m.user.username == username)
        .ok_or_else(|| StaffCommandError::NoSuchStaff(username.clone()))?;
    match desk.change_staff(session, member.user.id, change).await? {
        StaffChangeDone::Applied => Ok(format!("{username}: {}", describe(change))),
        StaffChangeDone::Asked(id) => Ok(format!(
            "{username}: asked (grant #{id}); it takes effect when a second admin approves it (`helpdesk grants approve {id}`)."
        )),
    }
}

fn describe(change: StaffChange) -> &'static str {
    match change {
        StaffChange::Disable => "disabled; open sessions ended",
        StaffChange::Enable => "enabled",
        StaffChange::Unlock => "sign-in lock lifted",
        StaffChange::EndSessions => "sessions ended",
        StaffChange::ResetFactor => "second factor reset",
        StaffChange::BindKey(_) => "SSH key bound",
        StaffChange::Grant(_) => "permission granted",
        StaffChange::Withdraw(_) => "permission withdrawn",
        StaffChange::Promote => "now admin-level",
        StaffChange::Demote => "now agent-level",
    }
}
