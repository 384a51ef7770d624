//! `helpdesk staff`: `create` bootstraps staff, the first admin above all; `list`,
//! `disable`, `enable` and `unlock` sign in as an admin and go through the same rules as
//! the Staff pane. Passwords are read from the terminal without echo, or from standard
//! input; never from argv.

use std::io::{BufRead, IsTerminal, Write};

use crate::desk::{DeskError, HelpDesk, Session};
use crate::domain::access::{Permission, StaffChange};
use crate::domain::time::format_rfc3339;

use zeroize::Zeroizing;

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
    let username = username.trim().to_lowercase();
    let members = desk.staff_members(session).await?;
    let member = members
        .iter()
        .find(|m| m.user.username == username)
        .ok_or_else(|| StaffCommandError::NoSuchStaff(username.clone()))?;
    desk.change_staff(session, member.user.id, change).await?;
    Ok(format!("{username}: {}", describe(change)))
}

fn describe(change: StaffChange) -> &'static str {
    match change {
        StaffChange::Disable => "disabled; open sessions ended",
        StaffChange::Enable => "enabled",
        StaffChange::Unlock => "sign-in lock lifted",
        StaffChange::EndSessions => "sessions ended",
        StaffChange::Grant(_) => "permission granted",
        StaffChange::Withdraw(_) => "permission withdrawn",
        StaffChange::Promote => "now admin-level",
        StaffChange::Demote => "now agent-level",
    }
}
