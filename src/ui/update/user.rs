//! A user's detail: opening it, reading it again while it is open (the live code status),
//! the warning before codes, the codes themselves, and revoking them.

use std::time::Instant;

use crate::desk::{DeskError, Generation, UserDetail};
use crate::domain::audit::VerifiedIdentity;
use crate::domain::time::format_utc;
use crate::domain::user::UserId;
use crate::texts::{fill, texts};
use crate::ui::app::{App, Modal};
use crate::ui::msg::{Effect, Status};
use crate::ui::panes::codes::CodeView;
use crate::ui::panes::user_detail::Detail;
use crate::ui::panes::warning::Warning;

pub(super) fn open(app: &mut App, user: UserId) -> Vec<Effect> {
    app.detail = None;
    app.with_session(Some(&texts().status.opening), |session| Effect::LoadDetail { session, user })
}

pub(super) fn detail(app: &mut App, result: Result<Box<UserDetail>, DeskError>, now: Instant) -> Vec<Effect> {
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

/// The open detail's live code status, when it is due (`App::detail_due`).
pub(super) fn refresh_due(app: &mut App, now: Instant) -> Option<Effect> {
    if !app.detail_due(now) {
        return None;
    }
    let (Some(session), Some(detail)) = (&app.session, &app.detail) else { return None };
    let effect = Effect::RefreshDetail { session: session.clone(), user: detail.data.user.id };
    app.last_refresh = now;
    Some(effect)
}

pub(super) fn refreshed(app: &mut App, result: Result<Box<UserDetail>, DeskError>, now: Instant) -> Vec<Effect> {
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

pub(super) fn open_warning(app: &mut App) {
    if let Some(detail) = &app.detail {
        app.modal = Some(Modal::Warning(Box::new(Warning::new(&detail.data))));
    }
}

/// The warning's deliberate Generate Backup Codes.
pub(super) fn generate(app: &mut App, user: UserId, identity: VerifiedIdentity, seen: Option<i64>) -> Vec<Effect> {
    app.with_session(Some(&texts().status.generating), |session| Effect::Generate { session, user, identity, seen })
}

/// The codes of a request a second admin approved, asked for from the detail.
pub(super) fn generate_approved(app: &mut App, request: i64) -> Vec<Effect> {
    app.with_session(Some(&texts().approvals.generating), |session| Effect::GenerateApproved { session, request })
}

/// Codes, or a request sent to a second admin. Codes are shown only if what asked for
/// them is still in front: a lock or a closed warning meanwhile drops them unseen.
pub(super) fn generated(app: &mut App, result: Result<Generation, DeskError>) -> Vec<Effect> {
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

/// Leaving the code view, confirmed: the codes are wiped now.
pub(super) fn leave_codes(app: &mut App) -> Vec<Effect> {
    app.wipe_codes();
    app.info(&texts().status.codes_wiped);
    app.reload_detail()
}

pub(super) fn revoke(app: &mut App, user: UserId) -> Vec<Effect> {
    app.with_session(Some(&texts().status.revoking), |session| Effect::Revoke { session, user })
}

pub(super) fn revoked(app: &mut App, result: Result<(), DeskError>) -> Vec<Effect> {
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

/// Taking back one's own request for codes; the answer is a decision (`admin::decided`).
pub(super) fn withdraw(app: &mut App, request: i64) -> Vec<Effect> {
    app.with_session(Some(&texts().approvals.deciding), |session| Effect::Withdraw { session, request })
}
