//! Commands that need an admin (`staff create` once an admin exists, `staff list` and the
//! staff changes, `audit export`, `codes revoke-all`, `serve-clients`) sign in like the UI: the username from `--admin-username` or a prompt, the password from
//! the terminal without echo or one line of standard input, never from argv. The sign-in
//! is throttled and audited as any other, and the command then runs in that session, so
//! that the service applies the same authorization as it does for the UI and records the
//! admin as the actor. `as_admin` is that whole round: open the desk, sign in, act, sign
//! out.

use std::io::{BufRead, IsTerminal, Write};

use color_eyre::Report;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::desk::{DeskError, HelpDesk, Session, SignIn};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "this command needs an admin's credentials: give --admin-username (the password is read from the terminal, or as one line of standard input)"
    )]
    NoUsername,
    #[error("no admin password on standard input")]
    NoPassword,
    #[error("no authenticator code on standard input (the line after the admin's password)")]
    NoCode,
    #[error("this account has no authenticator yet: sign in once in the terminal UI (`helpdesk`) to enrol it")]
    NotEnrolled,
    #[error("reading the admin's credentials failed")]
    Read(#[source] std::io::Error),
    /// The reason is the error's own sentence; it is not also given as a source, or a
    /// report that prints the chain would say it twice.
    #[error("the admin's sign-in was refused: {0}")]
    SignIn(DeskError),
}

/// The admin's username: the flag, or a prompt on a terminal.
fn username(given: Option<String>) -> Result<String, AdminError> {
    if let Some(name) = given {
        return Ok(name);
    }
    if !std::io::stdin().is_terminal() {
        return Err(AdminError::NoUsername);
    }
    eprint!("Admin username: ");
    std::io::stderr().flush().map_err(AdminError::Read)?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(AdminError::Read)?;
    let name = line.trim().to_owned();
    if name.is_empty() { Err(AdminError::NoUsername) } else { Ok(name) }
}

/// The admin's password: from the terminal without echo, or the next line of standard
/// input (a SIEM job: `helpdesk audit export --admin-username U < password-file`).
fn password(username: &str) -> Result<Zeroizing<String>, AdminError> {
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password(format!("Password of {username}: ")).map_err(AdminError::Read)?;
        return Ok(Zeroizing::new(typed));
    }
    let mut line = Zeroizing::new(String::new());
    let read = std::io::stdin().lock().read_line(&mut line).map_err(AdminError::Read)?;
    if read == 0 {
        return Err(AdminError::NoPassword);
    }
    let trimmed = line.trim_end_matches(['\n', '\r']);
    Ok(Zeroizing::new(trimmed.to_owned()))
}

/// Signs an admin in for one command: the password, then, where the institution asks
/// staff for a second factor, the authenticator code (prompted for on a terminal, else the
/// next line of standard input). A member of staff who has not enrolled yet enrols in the
/// terminal UI first. The caller signs out with `HelpDesk::logout`; the authorization
/// itself is the service's, on each operation.
pub async fn sign_in(desk: &HelpDesk, given: Option<String>) -> Result<Session, AdminError> {
    let username = username(given)?;
    let password = password(&username)?;
    match desk.sign_in(&username, password).await.map_err(AdminError::SignIn)? {
        SignIn::Done(session) => Ok(session),
        SignIn::Enrol(_) => Err(AdminError::NotEnrolled),
        SignIn::Code(ticket) => {
            let code = code(&username)?;
            desk.finish_sign_in(&ticket, &code).await.map_err(AdminError::SignIn)
        }
    }
}

/// The authenticator code: from the terminal, or the next line of standard input.
fn code(username: &str) -> Result<Zeroizing<String>, AdminError> {
    if std::io::stdin().is_terminal() {
        eprint!("Authenticator code of {username}: ");
        std::io::stderr().flush().map_err(AdminError::Read)?;
    }
    let mut line = Zeroizing::new(String::new());
    let read = std::io::stdin().lock().read_line(&mut line).map_err(AdminError::Read)?;
    if read == 0 {
        return Err(AdminError::NoCode);
    }
    Ok(Zeroizing::new(line.trim().to_owned()))
}

/// Opens the desk, signs the admin in, and runs `act` in that session (`signed_in`).
pub async fn as_admin<T, E: Into<Report>>(
    config: &Config,
    admin: Option<String>,
    act: impl AsyncFnOnce(&HelpDesk, &Session) -> Result<T, E>,
) -> Result<T, Report> {
    let desk = super::open_desk(config).await?;
    signed_in(&desk, admin, act).await
}

/// Signs the admin in (`--admin-username` or a prompt) and runs `act` in that session
/// (`in_session`).
pub async fn signed_in<T, E: Into<Report>>(
    desk: &HelpDesk,
    admin: Option<String>,
    act: impl AsyncFnOnce(&HelpDesk, &Session) -> Result<T, E>,
) -> Result<T, Report> {
    let session = sign_in(desk, admin).await?;
    in_session(desk, &session, act).await
}

/// Runs `act` in `session`, then signs out whatever `act` returned, so that no session is
/// left open: a failed sign-out is said first, then `act`'s own error.
pub async fn in_session<T, E: Into<Report>>(
    desk: &HelpDesk,
    session: &Session,
    act: impl AsyncFnOnce(&HelpDesk, &Session) -> Result<T, E>,
) -> Result<T, Report> {
    let done = act(desk, session).await;
    desk.logout(session).await?;
    done.map_err(Into::into)
}
