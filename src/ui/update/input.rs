//! Keys and pastes: each goes to the pane in front, through the one keymap, and what the
//! pane asks for is applied. Whether a key is text or a shortcut is the context's to say
//! (`Context::typing`); whether an Enter is deliberate is `deliberate`'s.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};

use super::{apply, note_context, sign_in};
use crate::texts::texts;
use crate::ui::app::{AdminPane, App, Modal};
use crate::ui::keymap::{self, Command, Context};
use crate::ui::msg::{Effect, Outcome};

/// How long the keys must have been quiet, and the screen in front unchanged, before an
/// Enter may do what cannot be undone. People pause longer than this between looking at a
/// button and pressing it; a terminal replays an unbracketed paste, or a stuck key
/// repeats (30 a second), far faster.
pub const DELIBERATE: Duration = Duration::from_millis(500);

/// A key press: to the pane in front, unless the screen is too small or work is under way.
pub(super) fn key(app: &mut App, key: KeyEvent, now: Instant) -> Vec<Effect> {
    app.last_activity = now;
    let previous_key = app.last_key.replace(now);
    note_context(app, now);
    if app.too_small() || app.busy.is_some() {
        return vec![];
    }
    let outcome = on_key(app, key, now);
    let outcome = deliberate(app, &key, outcome, previous_key, now);
    let mut effects = apply(app, outcome);
    note_context(app, now);
    if effects.is_empty() {
        effects.extend(sign_in::check_session(app, now));
    }
    effects
}

/// A bracketed paste: text for the field in front, never a key press.
pub(super) fn paste(app: &mut App, text: &str, now: Instant) -> Vec<Effect> {
    app.last_activity = now;
    if app.too_small() || app.busy.is_some() {
        return vec![];
    }
    let outcome = on_paste(app, text);
    apply(app, outcome)
}

fn on_paste(app: &mut App, text: &str) -> Outcome {
    let context = app.context();
    // A paste anywhere but a text field has nowhere to go; it never presses a button.
    if !context.typing() {
        return Outcome::info(&texts().status.paste_ignored);
    }
    match (context, &mut app.modal, &mut app.admin) {
        (Context::Login, ..) => app.login.on_paste(text),
        (Context::Locked, ..) => app.lock.as_mut().map_or(Outcome::Nothing, |lock| lock.on_paste(text)),
        (Context::SearchBox, ..) => app.users.on_paste(text),
        (Context::WarningText, Some(Modal::Warning(w)), _) => w.on_paste(text),
        (Context::ProfileForm, Some(Modal::Profile(form)), _) => form.on_paste(text),
        (Context::PasswordForm, Some(Modal::Password(form)), _) => form.on_paste(text),
        (Context::AuditFilter, _, Some(AdminPane::Audit(pane))) => pane.on_paste(text),
        (Context::ApprovalsReason, _, Some(AdminPane::Approvals(pane))) => pane.on_paste(text),
        (Context::StaffLink, _, Some(AdminPane::Staff(pane))) => pane.on_paste(text),
        _ => Outcome::info(&texts().status.paste_ignored),
    }
}

/// The one gate of every press that cannot be undone (generating codes, and whatever the
/// confirm popup confirms: revoking, staff changes, settings, leaving the codes): only
/// Enter, only after `DELIBERATE` without another key, on a screen in front for as long.
/// Otherwise nothing happens and the status line says why.
fn deliberate(app: &mut App, key: &KeyEvent, outcome: Outcome, previous_key: Option<Instant>, now: Instant) -> Outcome {
    if !matches!(outcome, Outcome::Generate { .. } | Outcome::GenerateApproved(_) | Outcome::Confirmed(_)) {
        return outcome;
    }
    if key.code != KeyCode::Enter {
        app.info(&texts().status.enter_only);
        return Outcome::Nothing;
    }
    let quiet = previous_key.is_none_or(|at| now.duration_since(at) >= DELIBERATE);
    let settled = now.duration_since(app.context_since) >= DELIBERATE;
    if quiet && settled {
        outcome
    } else {
        app.info(&texts().status.too_fast);
        Outcome::Nothing
    }
}

fn on_key(app: &mut App, key: KeyEvent, now: Instant) -> Outcome {
    let context = app.context();
    let command = keymap::lookup(context, &key).filter(|c| app.available(*c));
    if command.is_some() {
        app.status = None;
    } else if !context.typing() {
        app.info(&texts().status.unknown_key);
    }
    if command == Some(Command::Password) {
        return Outcome::OpenPassword;
    }
    match context {
        Context::Help => {
            if command == Some(Command::Back) {
                app.help = false;
            }
            Outcome::Nothing
        }
        Context::Login => app.login.on_key(key, command),
        Context::Locked => app.lock.as_mut().map_or(Outcome::Nothing, |lock| lock.on_key(key, command)),
        Context::SearchBox => app.users.on_search_key(key, command),
        Context::UserList => app.users.on_list_key(command),
        Context::UserDetail => app.detail.as_mut().map_or(Outcome::Nothing, |detail| detail.on_key(command)),
        Context::Warning | Context::WarningText => match &mut app.modal {
            Some(Modal::Warning(w)) => w.on_key(key, command),
            _ => Outcome::Nothing,
        },
        Context::Confirm => app.confirm.as_mut().map_or(Outcome::Nothing, |confirm| confirm.on_key(command)),
        Context::Codes => app.codes.as_mut().map_or(Outcome::Nothing, |codes| codes.on_key(command, now)),
        Context::ProfileForm | Context::PasswordForm | Context::AuditEvent => match &mut app.modal {
            Some(Modal::Profile(form)) => form.on_key(key, command),
            Some(Modal::Password(form)) => form.on_key(key, command),
            Some(Modal::AuditEvent(_)) if command == Some(Command::Back) => Outcome::Close(None),
            _ => Outcome::Nothing,
        },
        Context::Staff
        | Context::StaffLink
        | Context::Settings
        | Context::Audit
        | Context::AuditFilter
        | Context::Approvals
        | Context::ApprovalsReason => match &mut app.admin {
            Some(AdminPane::Staff(pane)) => pane.on_key(key, command),
            Some(AdminPane::Settings(pane)) => pane.on_key(command),
            Some(AdminPane::Audit(pane)) => pane.on_key(key, command),
            Some(AdminPane::Approvals(pane)) => pane.on_key(key, command),
            None => Outcome::Nothing,
        },
    }
}
