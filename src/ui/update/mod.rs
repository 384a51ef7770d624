//! `update`: the one way the UI's state changes. Keys and pastes go to the pane in front
//! (`input`), ticks drive the reveal countdown, the idle lock and the live code status,
//! and the database's answers land here. What a pane asks for (an `Outcome`) is carried
//! out by `apply`. Both are short dispatchers; the work is done by context:
//! - `sign_in`: signing in and out, the idle lock, whether the session still stands;
//! - `lists`: Manage Users' pages and search;
//! - `user`: a user's detail, the warning, the codes, revoking them;
//! - `admin`: Staff, Institution Settings, the audit log, Approvals;
//! - `forms`: the profile form and one's own password.
//!
//! Every transition that matters for security (codes shown, wiped; a popup confirmed;
//! the idle lock) happens in this folder. Nothing waits on the database: the runtime
//! performs effects and answers with messages.

mod admin;
mod forms;
mod input;
mod lists;
mod sign_in;
mod user;

use std::time::Instant;

use crate::ui::app::App;
use crate::ui::msg::{Confirmable, Effect, Msg, Outcome};
use crate::ui::panes::confirm::Confirm;

pub use input::DELIBERATE;

/// Applies one message. `now` is passed in so that tests control time.
pub fn update(app: &mut App, msg: Msg, now: Instant) -> Vec<Effect> {
    let effects = handle(app, msg, now);
    // A screen that an answer put in front (the detail after a request was sent, a pane
    // after it loaded) starts its settling time now, not at the next key.
    note_context(app, now);
    effects
}

fn handle(app: &mut App, msg: Msg, now: Instant) -> Vec<Effect> {
    app.now = now;
    // An answer that arrives after sign-out belongs to nobody now: the next person at
    // this terminal must not see the last one's customer.
    if msg.belongs_to_session() && app.session.is_none() {
        return vec![];
    }
    match msg {
        Msg::Resize(w, h) => {
            app.size = (w, h);
            vec![]
        }
        Msg::Tick => on_tick(app, now),
        // The event loop ends the session itself (`ui::end`); nothing to draw.
        Msg::End(_) => vec![],
        Msg::Key(key) => input::key(app, key, now),
        Msg::Paste(text) => input::paste(app, &text, now),
        Msg::LoggedIn(result) => sign_in::logged_in(app, result, now),
        Msg::Unlocked(result) => sign_in::unlocked(app, result, now),
        Msg::FactorAsked(ticket) => sign_in::factor_asked(app, ticket),
        Msg::SteppedUp(result) => sign_in::stepped_up(app, result, now),
        Msg::SessionChecked(result) => sign_in::session_checked(app, result),
        Msg::Users { seq, result } => lists::users(app, seq, result),
        Msg::Detail(result) => user::detail(app, result, now),
        Msg::Refreshed(result) => user::refreshed(app, result, now),
        Msg::Generated(result) => user::generated(app, result),
        Msg::Revoked(result) => user::revoked(app, result),
        Msg::ProfileSaved(result) => forms::profile_saved(app, result),
        Msg::PasswordChanged(result) => forms::password_changed(app, result),
        Msg::Institution(result) | Msg::MethodsSaved(result) => admin::institution(app, result),
        Msg::Staff(result) => admin::staff(app, result),
        Msg::StaffChanged { change, name, result } => admin::staff_changed(app, change, name, result),
        Msg::Audit { seq, result } => admin::audit(app, seq, result),
        Msg::Approvals(result) => admin::approvals(app, result),
        Msg::PendingCount(n) => admin::pending_count(app, n),
        Msg::Decided { done, result } => admin::decided(app, done, result),
    }
}

/// Carries out what a pane asked for.
fn apply(app: &mut App, outcome: Outcome) -> Vec<Effect> {
    match outcome {
        Outcome::Nothing => {}
        Outcome::Status(status) => app.status = Some(status),
        Outcome::Quit => app.quit = true,
        Outcome::Help => app.help = true,
        Outcome::Close(status) => {
            app.close_front();
            if status.is_some() {
                app.status = status;
            }
        }
        Outcome::Confirm(asks) => app.confirm = Some(Confirm::new(asks)),
        Outcome::Confirmed(asks) => {
            app.confirm = None;
            return confirmed(app, asks);
        }
        Outcome::SignIn { username, password } => return sign_in::sign_in(app, username, password),
        Outcome::Unlock(password) => return sign_in::unlock(app, password),
        Outcome::FinishSignIn(ticket, code) => return sign_in::finish_sign_in(app, ticket, code),
        Outcome::StepUp(code) => return sign_in::step_up(app, code),
        Outcome::SignOut => return sign_in::sign_out(app),
        Outcome::Search { query, seq } => return lists::search(app, query, seq),
        Outcome::OpenUser(user) => return user::open(app, user),
        Outcome::RefreshDetail => return app.reload_detail(),
        Outcome::OpenWarning => user::open_warning(app),
        Outcome::Generate { user, identity, seen } => return user::generate(app, user, identity, seen),
        Outcome::GenerateApproved(request) => return user::generate_approved(app, request),
        Outcome::Open(screen) => return admin::open(app, screen),
        Outcome::LoadApprovals => return admin::load_approvals(app),
        Outcome::LoadInstitution => return admin::load_institution(app),
        Outcome::LoadStaff => return admin::load_staff(app),
        Outcome::LoadAudit { filter, before, limit, seq } => return admin::load_audit(app, filter, before, limit, seq),
        Outcome::ShowAuditEvent(event) => admin::show_audit_event(app, event),
        Outcome::EditProfile => forms::edit_profile(app),
        Outcome::SaveProfile { user, fields } => return forms::save_profile(app, user, fields),
        Outcome::OpenPassword => forms::open_password(app),
        Outcome::ChangePassword { current, new } => return forms::change_password(app, current, new),
    }
    vec![]
}

/// The confirm popup's yes, to what it asked about (the popup is closed already).
fn confirmed(app: &mut App, asks: Confirmable) -> Vec<Effect> {
    match asks {
        Confirmable::Discard => {
            app.close_front();
            vec![]
        }
        Confirmable::LeaveCodes => user::leave_codes(app),
        Confirmable::Revoke { user, .. } => user::revoke(app, user),
        Confirmable::Withdraw { request, .. } => user::withdraw(app, request),
        Confirmable::PermittedMethods { after, .. } => admin::save_methods(app, after),
        Confirmable::Staff { user, name, change } => admin::change_staff(app, user, name, change),
        Confirmable::Approve { request, .. } => admin::approve(app, request),
        Confirmable::Decline { request, reason, .. } => admin::decline(app, request, reason),
        Confirmable::RevokeAll => admin::revoke_all(app),
        Confirmable::SecondPerson { on } => admin::second_person(app, on),
        Confirmable::Link { staff, customer, .. } => admin::link(app, staff, customer),
    }
}

/// The reveal countdown, an admin's pending count, the open detail's live code status,
/// and the idle lock; a tick that read something does not also lock.
fn on_tick(app: &mut App, now: Instant) -> Vec<Effect> {
    if let Some(view) = &mut app.codes {
        view.tick(now);
    }
    let mut effects: Vec<Effect> = admin::count_pending(app, now).into_iter().collect();
    effects.extend(user::refresh_due(app, now));
    if effects.is_empty() {
        sign_in::idle_lock(app, now);
    }
    effects
}

/// Keeps when the context in front last changed.
fn note_context(app: &mut App, now: Instant) {
    let context = app.context();
    if context != app.context_seen {
        app.context_seen = context;
        app.context_since = now;
    }
}
