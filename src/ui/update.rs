//! `update`: the one way the UI's state changes. Keys and pastes go to the pane in front
//! (through `on_key` and `on_paste`), ticks drive the reveal countdown, the idle lock and
//! the live code status, and the database's answers land here.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};

use crate::desk::{DeskError, Generation};
use crate::domain::time::format_utc;
use crate::texts::{fill, texts};
use crate::ui::app::{AdminPane, App, Modal, SESSION_CHECK_EVERY};
use crate::ui::keymap::{self, Command, Context};
use crate::ui::msg::{Effect, Msg, Outcome, Status};
use crate::ui::panes::codes::CodeView;
use crate::ui::panes::login::{LockForm, LoginForm};
use crate::ui::panes::user_detail::Detail;

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
    let late = matches!(
        msg,
        Msg::Unlocked(_)
            | Msg::Users { .. }
            | Msg::Detail(_)
            | Msg::Refreshed(_)
            | Msg::Generated(_)
            | Msg::Approvals(_)
            | Msg::Decided { .. }
            | Msg::PendingCount(_)
            | Msg::Revoked(_)
            | Msg::ProfileSaved(_)
            | Msg::PasswordChanged(_)
            | Msg::Institution(_)
            | Msg::MethodsSaved(_)
            | Msg::Staff(_)
            | Msg::StaffChanged { .. }
            | Msg::Audit { .. }
            | Msg::SessionChecked(_)
    );
    if late && app.session.is_none() {
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
        Msg::Key(key) => {
            app.last_activity = now;
            let previous_key = app.last_key.replace(now);
            note_context(app, now);
            if app.too_small() || app.busy.is_some() {
                return vec![];
            }
            let outcome = on_key(app, key, now);
            let outcome = deliberate(app, &key, outcome, previous_key, now);
            let mut effects = app.apply(outcome);
            note_context(app, now);
            // A key press also asks whether the session still stands (an admin may have
            // disabled this account or ended its sessions), at most once a second.
            if effects.is_empty()
                && app.lock.is_none()
                && now.duration_since(app.last_session_check) >= SESSION_CHECK_EVERY
                && let Some(session) = &app.session
            {
                app.last_session_check = now;
                effects.push(Effect::CheckSession { session: session.clone() });
            }
            effects
        }
        Msg::SessionChecked(result) => {
            if let Err(DeskError::SessionEnded) = result {
                app.signed_out(Some(DeskError::SessionEnded.to_string()));
            }
            vec![]
        }
        Msg::Paste(text) => {
            app.last_activity = now;
            if app.too_small() || app.busy.is_some() {
                return vec![];
            }
            let outcome = on_paste(app, &text);
            app.apply(outcome)
        }
        Msg::LoggedIn(result) => {
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
                    app.apply(first_page)
                }
                Err(e) => {
                    app.login.error = Some(e.to_string());
                    vec![]
                }
            }
        }
        Msg::Unlocked(result) => {
            app.done(&texts().status.checking);
            match result {
                Ok(()) => {
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
        Msg::Users { seq, result } => {
            match result {
                Ok(rows) => {
                    // The database answers again: an old "connection failed" is stale.
                    if app.users.list.receive(seq, rows) && app.status.as_ref().is_some_and(|s| s.error) {
                        app.status = None;
                    }
                }
                Err(e) if seq == app.users.list.seq => {
                    app.users.list.loading = false;
                    app.failed(e);
                }
                // An answer to a search the user has typed past.
                Err(_) => {}
            }
            vec![]
        }
        Msg::Detail(result) => {
            app.done(&texts().status.opening);
            match result {
                Ok(data) => {
                    let focus = app.detail.as_ref().map(|d| d.focus);
                    let mut detail = Detail::new(*data);
                    if let Some(focus) = focus {
                        detail.focus = focus;
                    }
                    app.detail = Some(detail);
                    app.last_refresh = now;
                }
                Err(e) => app.failed(e),
            }
            vec![]
        }
        Msg::Refreshed(result) => {
            app.last_refresh = now;
            match result {
                Ok(data) => {
                    let Some(detail) = &mut app.detail else { return vec![] };
                    if detail.data.user.id != data.user.id {
                        return vec![];
                    }
                    // Said once, when the customer on the phone has just used a code.
                    if let (Some(before), Some(after)) = (&detail.data.codes, &data.codes)
                        && before.id == after.id
                        && after.unused < before.unused
                    {
                        let used = (after.code_count - after.unused).to_string();
                        let when = after.last_used_at.map_or_else(String::new, format_utc);
                        let text = fill(
                            &texts().detail.used_live,
                            &[("used", &used), ("count", &after.code_count.to_string()), ("when", &when)],
                        );
                        app.status = Some(Status::info(text));
                    }
                    detail.data = *data;
                }
                Err(e) => app.failed(e),
            }
            vec![]
        }
        Msg::ProfileSaved(result) => {
            app.done(&texts().profile.saving);
            match result {
                Ok(()) => {
                    app.modal = None;
                    app.info(&texts().profile.updated);
                    app.reload_detail()
                }
                Err(e) => {
                    app.failed(e);
                    vec![]
                }
            }
        }
        Msg::PasswordChanged(result) => {
            app.done(&texts().password.changing);
            match result {
                Ok(()) => app.signed_out(Some(texts().password.changed.clone())),
                Err(e) => match &mut app.modal {
                    Some(Modal::Password(form)) if !matches!(e, DeskError::SessionEnded) => {
                        form.error = Some(e.to_string())
                    }
                    _ => app.failed(e),
                },
            }
            vec![]
        }
        Msg::Institution(result) | Msg::MethodsSaved(result) => {
            let saved = app.busy == Some(texts().settings.saving.as_str());
            app.done(&texts().settings.saving);
            match result {
                Ok(institution) => {
                    if let Some(AdminPane::Settings(pane)) = &mut app.admin {
                        pane.load(institution);
                    }
                    if saved {
                        app.info(&texts().settings.saved);
                    }
                }
                Err(e) => app.failed(e),
            }
            vec![]
        }
        Msg::Staff(result) => {
            match result {
                Ok((members, read_at)) => {
                    if let Some(AdminPane::Staff(pane)) = &mut app.admin {
                        pane.load(members, read_at);
                    }
                }
                Err(e) => app.failed(e),
            }
            vec![]
        }
        Msg::StaffChanged { change, name, result } => {
            app.done(&texts().staff.changing);
            match result {
                Ok(()) => {
                    let what = crate::ui::panes::confirm::staff_change_label(change);
                    app.info(fill(&texts().staff.changed, &[("change", what), ("name", &name)]));
                    app.apply(Outcome::LoadStaff)
                }
                Err(e) => {
                    app.failed(e);
                    vec![]
                }
            }
        }
        Msg::Audit { seq, result } => {
            let Some(AdminPane::Audit(pane)) = &mut app.admin else { return vec![] };
            match result {
                Ok(rows) => {
                    pane.list.receive(seq, rows);
                }
                Err(e) if seq == pane.list.seq => {
                    pane.list.loading = false;
                    app.failed(e);
                }
                Err(_) => {}
            }
            vec![]
        }
        Msg::Approvals(result) => {
            match (result, &mut app.admin) {
                (Ok((requests, now)), Some(AdminPane::Approvals(pane))) => pane.receive(requests, now),
                (Ok(_), _) => {}
                (Err(e), _) => app.failed(e),
            }
            vec![]
        }
        Msg::PendingCount(n) => {
            app.pending_approvals = n;
            vec![]
        }
        Msg::Decided { done, result } => {
            app.done(&texts().approvals.deciding);
            match result {
                Ok(()) => app.info(done),
                Err(e) => app.failed(e),
            }
            let mut effects = app.reload_detail();
            match app.admin {
                Some(AdminPane::Approvals(_)) => effects.extend(app.apply(Outcome::LoadApprovals)),
                Some(AdminPane::Settings(_)) => effects.extend(app.apply(Outcome::LoadInstitution)),
                Some(AdminPane::Staff(_)) => effects.extend(app.apply(Outcome::LoadStaff)),
                _ => {}
            }
            effects
        }
        Msg::Generated(result) => {
            // The approved request's codes were asked for from the detail, not the warning.
            let approved = app.busy == Some(texts().approvals.generating.as_str());
            app.done(&texts().status.generating);
            app.done(&texts().approvals.generating);
            let result = match result {
                Ok(Generation::Requested(_)) => {
                    app.modal = None;
                    app.info(&texts().approvals.sent);
                    return app.reload_detail();
                }
                Ok(Generation::Issued(issued)) => Ok(issued),
                Err(e) => Err(e),
            };
            match result {
                Ok(issued) if approved => {
                    if app.lock.is_some() {
                        // Locked meanwhile: the codes are not shown.
                        drop(issued);
                        return vec![];
                    }
                    // The approved request's codes, generated from the detail.
                    let Some(d) = &app.detail else { return vec![] };
                    let (name, username, id) = (d.data.user.full_name(), d.data.user.username.clone(), d.data.user.id);
                    app.codes = Some(CodeView::new(name, username, id, issued, app.settings.reveal_for));
                    app.info(&texts().status.generated);
                }
                Ok(issued) => {
                    let Some(Modal::Warning(w)) = app.modal.take() else {
                        // The warning was closed meanwhile (idle lock): the codes are not shown.
                        drop(issued);
                        return vec![];
                    };
                    let (user_name, username) = match &app.detail {
                        Some(d) => (d.data.user.full_name(), d.data.user.username.clone()),
                        None => (w.target_name.clone(), String::new()),
                    };
                    app.codes = Some(CodeView::new(user_name, username, w.target, issued, app.settings.reveal_for));
                    app.info(&texts().status.generated);
                }
                Err(e) => match &mut app.modal {
                    // The warning stays open with the reason, unless the session is over.
                    Some(Modal::Warning(w)) if !matches!(e, DeskError::SessionEnded) => w.error = Some(e.to_string()),
                    _ => {
                        app.failed(e);
                        return app.reload_detail();
                    }
                },
            }
            vec![]
        }
        Msg::Revoked(result) => {
            app.done(&texts().status.revoking);
            match result {
                Ok(()) => {
                    app.info(&texts().status.revoked);
                    app.reload_detail()
                }
                Err(e) => {
                    app.failed(e);
                    vec![]
                }
            }
        }
    }
}

/// The reveal countdown, the idle lock, and the open detail's live code status.
fn on_tick(app: &mut App, now: Instant) -> Vec<Effect> {
    if let Some(view) = &mut app.codes {
        view.tick(now);
    }
    // An admin's header counts the requests waiting for a second admin.
    if let Some(session) = app.session.as_ref().filter(|s| s.staff.is_admin() && app.lock.is_none())
        && now.duration_since(app.last_count) >= app.settings.refresh_every
    {
        app.last_count = now;
        let mut effects = vec![Effect::CountPending { session: session.clone() }];
        if app.detail_due(now)
            && let Some(detail) = &app.detail
        {
            app.last_refresh = now;
            effects.push(Effect::RefreshDetail { session: session.clone(), user: detail.data.user.id });
        }
        return effects;
    }
    if app.detail_due(now)
        && let (Some(session), Some(detail)) = (&app.session, &app.detail)
    {
        app.last_refresh = now;
        return vec![Effect::RefreshDetail { session: session.clone(), user: detail.data.user.id }];
    }
    if app.session.is_some()
        && app.lock.is_none()
        && now.duration_since(app.last_activity) >= app.settings.idle_lock_after
    {
        let wiped_codes = app.codes.is_some();
        app.wipe_codes();
        // Nothing half-done waits behind the lock: a form's passwords are wiped with it, and
        // a warning seen before the lock must be opened, and read, again.
        app.modal = None;
        app.confirm = None;
        app.help = false;
        app.lock = Some(LockForm::new(wiped_codes));
    }
    vec![]
}

fn on_paste(app: &mut App, text: &str) -> Outcome {
    match (app.context(), &mut app.modal, &mut app.admin) {
        (Context::Login, ..) => app.login.on_paste(text),
        (Context::Locked, ..) => app.lock.as_mut().map_or(Outcome::Nothing, |lock| lock.on_paste(text)),
        (Context::SearchBox, ..) => app.users.on_paste(text),
        (Context::Warning | Context::WarningText, Some(Modal::Warning(w)), _) => w.on_paste(text),
        (Context::ProfileForm, Some(Modal::Profile(form)), _) => form.on_paste(text),
        (Context::PasswordForm, Some(Modal::Password(form)), _) => form.on_paste(text),
        (Context::AuditFilter, _, Some(AdminPane::Audit(pane))) => pane.on_paste(text),
        (Context::ApprovalsReason, _, Some(AdminPane::Approvals(pane))) => pane.on_paste(text),
        (Context::StaffLink, _, Some(AdminPane::Staff(pane))) => pane.on_paste(text),
        // A paste anywhere else is text with nowhere to go; it never presses a button.
        _ => Outcome::info(&texts().status.paste_ignored),
    }
}

/// How long the keys must have been quiet, and the screen in front unchanged, before an
/// Enter may do what cannot be undone. People pause longer than this between looking at a
/// button and pressing it; a terminal replays an unbracketed paste, or a stuck key
/// repeats (30 a second), far faster.
pub const DELIBERATE: std::time::Duration = std::time::Duration::from_millis(500);

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

/// Keeps when the context in front last changed.
fn note_context(app: &mut App, now: Instant) {
    let context = app.context();
    if context != app.context_seen {
        app.context_seen = context;
        app.context_since = now;
    }
}

fn on_key(app: &mut App, key: KeyEvent, now: Instant) -> Outcome {
    let context = app.context();
    let command = keymap::lookup(context, &key).filter(|c| app.available(*c));
    let typing = matches!(
        context,
        Context::Login
            | Context::Locked
            | Context::SearchBox
            | Context::WarningText
            | Context::ProfileForm
            | Context::PasswordForm
            | Context::AuditFilter
            | Context::ApprovalsReason
            | Context::StaffLink
    );
    if command.is_some() {
        app.status = None;
    } else if !typing {
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
