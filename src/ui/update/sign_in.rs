//! Signing in and out, the idle lock and its password, and whether the session still
//! stands (an admin may have disabled this account or ended its sessions).

use std::time::Instant;

use super::apply;
use crate::desk::{DeskError, FactorTicket, Session};
use crate::texts::{fill, texts};
use crate::ui::app::{App, SESSION_CHECK_EVERY};
use crate::ui::fields::Secret;
use crate::ui::msg::Effect;
use crate::ui::panes::login::{LockForm, LoginForm};

pub(super) fn sign_in(app: &mut App, username: String, password: Secret) -> Vec<Effect> {
    app.busy = Some(&texts().status.signing_in);
    vec![Effect::Login { username, password }]
}

pub(super) fn logged_in(app: &mut App, result: Result<(Session, String), DeskError>, now: Instant) -> Vec<Effect> {
    app.done(&texts().status.signing_in);
    match result {
        Ok((session, institution)) => {
            app.institution = institution;
            app.info(fill(
                &texts().status.signed_in,
                &[("name", &session.name), ("role", session.staff.role.as_str())],
            ));
            app.session = Some(session);
            app.login = LoginForm::default();
            app.last_activity = now;
            let first_page = app.users.fetch();
            apply(app, first_page)
        }
        // A wrong or reused code: the code is asked again; an expired ticket starts over.
        Err(e @ (DeskError::FactorCode(_) | DeskError::LoginLocked { .. })) if app.login.factor.is_some() => {
            app.login.error = Some(e.to_string());
            if let Some((ticket, _)) = app.login.factor.take() {
                app.login.ask_code(ticket);
                app.login.error = Some(e.to_string());
            }
            vec![]
        }
        Err(e) => {
            app.login.factor = None;
            app.login.error = Some(e.to_string());
            vec![]
        }
    }
}

/// The password was right: the code (or the enrolment) is asked next.
pub(super) fn factor_asked(app: &mut App, ticket: Box<FactorTicket>) -> Vec<Effect> {
    app.done(&texts().status.signing_in);
    app.login.ask_code(ticket);
    vec![]
}

pub(super) fn finish_sign_in(app: &mut App, ticket: Box<FactorTicket>, code: Secret) -> Vec<Effect> {
    app.busy = Some(&texts().status.signing_in);
    vec![Effect::FinishSignIn { ticket, code }]
}

pub(super) fn step_up(app: &mut App, code: Secret) -> Vec<Effect> {
    app.with_session(Some(&texts().status.checking), |session| Effect::StepUp { session, code })
}

/// The code of the lock screen: an unlock's second step, or a step-up.
pub(super) fn stepped_up(app: &mut App, result: Result<(), DeskError>, now: Instant) -> Vec<Effect> {
    app.done(&texts().status.checking);
    match result {
        Ok(()) => {
            let lock = app.lock.take();
            app.last_activity = now;
            match lock {
                Some(l) if l.step_up.is_some() => app.info(&texts().factor.stepped_up),
                Some(l) if l.wiped_codes => {
                    app.info(&texts().status.unlocked_wiped);
                    return app.reload_detail();
                }
                _ => app.info(&texts().status.unlocked),
            }
        }
        Err(DeskError::SessionEnded) => app.signed_out(Some(DeskError::SessionEnded.to_string())),
        Err(e) => {
            if let Some(lock) = &mut app.lock {
                lock.ask_code();
                lock.error = Some(e.to_string());
            }
        }
    }
    vec![]
}

pub(super) fn sign_out(app: &mut App) -> Vec<Effect> {
    let Some(session) = app.session.clone() else { return vec![] };
    app.signed_out(Some(texts().status.signed_out.clone()));
    vec![Effect::SignOut { session }]
}

/// Locks the screen once the keys have been quiet for `idle_lock_after`.
pub(super) fn idle_lock(app: &mut App, now: Instant) {
    if app.session.is_none()
        || app.lock.is_some()
        || now.duration_since(app.last_activity) < app.settings.idle_lock_after
    {
        return;
    }
    let wiped_codes = app.codes.is_some();
    app.wipe_codes();
    // Nothing half-done waits behind the lock: a form's passwords are wiped with it, and
    // a warning seen before the lock must be opened, and read, again.
    app.modal = None;
    app.confirm = None;
    app.help = false;
    app.lock = Some(LockForm::new(wiped_codes));
}

pub(super) fn unlock(app: &mut App, password: Secret) -> Vec<Effect> {
    app.with_session(Some(&texts().status.checking), |session| Effect::Unlock { session, password })
}

pub(super) fn unlocked(app: &mut App, result: Result<bool, DeskError>, now: Instant) -> Vec<Effect> {
    app.done(&texts().status.checking);
    match result {
        Ok(true) => {
            if let Some(lock) = &mut app.lock {
                lock.ask_code();
            }
        }
        Ok(false) => {
            let wiped = app.lock.take().is_some_and(|l| l.wiped_codes);
            app.last_activity = now;
            if wiped {
                app.info(&texts().status.unlocked_wiped);
                return app.reload_detail();
            }
            app.info(&texts().status.unlocked);
        }
        Err(DeskError::SessionEnded) => app.signed_out(Some(DeskError::SessionEnded.to_string())),
        Err(e) => {
            if let Some(lock) = &mut app.lock {
                lock.error = Some(e.to_string());
            }
        }
    }
    vec![]
}

/// A key press that started no other work also asks whether the session still stands,
/// at most once every `SESSION_CHECK_EVERY`.
pub(super) fn check_session(app: &mut App, now: Instant) -> Option<Effect> {
    if app.lock.is_some() || now.duration_since(app.last_session_check) < SESSION_CHECK_EVERY {
        return None;
    }
    let session = app.session.clone()?;
    app.last_session_check = now;
    Some(Effect::CheckSession { session })
}

pub(super) fn session_checked(app: &mut App, result: Result<(), DeskError>) -> Vec<Effect> {
    if let Err(DeskError::SessionEnded) = result {
        app.signed_out(Some(DeskError::SessionEnded.to_string()));
    }
    vec![]
}
