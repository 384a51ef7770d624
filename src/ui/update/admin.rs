//! The admin screens: Staff, Institution Settings, the audit log and Approvals, their
//! changes, and the count of requests waiting for a second admin in an admin's header.

use std::time::Instant;

use super::apply;
use crate::desk::{DeskError, StaffChangeDone};
use crate::domain::access::{StaffChange, StaffMember};
use crate::domain::audit::{AuditEvent, AuditFilter};
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::user::UserId;
use crate::texts::{fill, texts};
use crate::ui::app::{AdminPane, App, Modal};
use crate::ui::msg::{AdminScreen, Effect, PendingId, Waiting};
use crate::ui::panes::audit::AuditPane;
use crate::ui::panes::settings::SettingsPane;

/// Opens an admin screen and asks for what it shows; never for an agent.
pub(super) fn open(app: &mut App, screen: AdminScreen) -> Vec<Effect> {
    if !app.session.as_ref().is_some_and(|s| s.staff.is_admin()) {
        return vec![];
    }
    match screen {
        AdminScreen::Staff => {
            app.admin = Some(AdminPane::Staff(Box::default()));
            load_staff(app)
        }
        AdminScreen::Settings => {
            app.admin = Some(AdminPane::Settings(SettingsPane::new()));
            load_institution(app)
        }
        AdminScreen::Approvals => {
            app.admin = Some(AdminPane::Approvals(Box::default()));
            load_approvals(app)
        }
        AdminScreen::Audit => {
            let mut pane = AuditPane::new(app.settings.page_size);
            let first_page = pane.fetch();
            app.admin = Some(AdminPane::Audit(Box::new(pane)));
            apply(app, first_page)
        }
    }
}

/// An admin's header counts the requests waiting for a second admin, every
/// `refresh_every` while unlocked.
pub(super) fn count_pending(app: &mut App, now: Instant) -> Option<Effect> {
    let session = app.session.as_ref().filter(|s| s.staff.is_admin() && app.lock.is_none())?;
    if now.duration_since(app.last_count) < app.settings.refresh_every {
        return None;
    }
    let effect = Effect::CountPending { session: session.clone() };
    app.last_count = now;
    Some(effect)
}

pub(super) fn pending_count(app: &mut App, n: i64) -> Vec<Effect> {
    app.pending_approvals = n;
    vec![]
}

// Staff.

pub(super) fn load_staff(app: &mut App) -> Vec<Effect> {
    app.with_session(None, |session| Effect::LoadStaff { session })
}

/// The staff list, and the instant it was read.
pub(super) fn staff(app: &mut App, result: Result<(Vec<StaffMember>, i64), DeskError>) -> Vec<Effect> {
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

pub(super) fn change_staff(app: &mut App, user: UserId, name: String, change: StaffChange) -> Vec<Effect> {
    app.with_session(Some(&texts().staff.changing), |session| Effect::ChangeStaff { session, user, change, name })
}

pub(super) fn staff_changed(
    app: &mut App,
    change: StaffChange,
    name: String,
    result: Result<StaffChangeDone, DeskError>,
) -> Vec<Effect> {
    app.done(&texts().staff.changing);
    let what = crate::ui::panes::confirm::staff_change_label(change);
    match result {
        Ok(StaffChangeDone::Applied) => {
            app.info(fill(&texts().staff.changed, &[("change", what), ("name", &name)]));
            load_staff(app)
        }
        Ok(StaffChangeDone::Asked(id)) => {
            app.info(fill(&texts().staff.asked, &[("change", what), ("name", &name), ("id", &id.to_string())]));
            load_staff(app)
        }
        Err(e) => {
            app.failed(e);
            vec![]
        }
    }
}

/// Links a customer account to a member of staff as their own.
pub(super) fn link(app: &mut App, staff: UserId, customer: String) -> Vec<Effect> {
    if let Some(AdminPane::Staff(pane)) = &mut app.admin {
        pane.link = None;
    }
    app.with_session(Some(&texts().approvals.deciding), |session| Effect::Link { session, staff, customer })
}

// Institution Settings.

pub(super) fn load_institution(app: &mut App) -> Vec<Effect> {
    app.with_session(None, |session| Effect::LoadInstitution { session })
}

pub(super) fn save_methods(app: &mut App, methods: Vec<TwoFactorMethod>) -> Vec<Effect> {
    app.with_session(Some(&texts().settings.saving), |session| Effect::SaveMethods { session, methods })
}

/// The institution as read, or as saved (then the status line says so).
pub(super) fn institution(app: &mut App, result: Result<Institution, DeskError>) -> Vec<Effect> {
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

pub(super) fn second_person(app: &mut App, on: bool) -> Vec<Effect> {
    app.with_session(Some(&texts().approvals.deciding), |session| Effect::SetSecondPerson { session, on })
}

/// The emergency stop: every active batch revoked.
pub(super) fn revoke_all(app: &mut App) -> Vec<Effect> {
    app.with_session(Some(&texts().approvals.deciding), |session| Effect::RevokeAll { session })
}

// The audit log.

pub(super) fn load_audit(app: &mut App, filter: AuditFilter, before: Option<i64>, limit: i64, seq: u64) -> Vec<Effect> {
    app.with_session(None, |session| Effect::LoadAudit { session, filter, before, limit, seq })
}

/// A page of the audit log; `seq` tells the answer to the newest filter from an older one.
pub(super) fn audit(app: &mut App, seq: u64, result: Result<Vec<AuditEvent>, DeskError>) -> Vec<Effect> {
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

pub(super) fn show_audit_event(app: &mut App, event: Box<AuditEvent>) {
    app.modal = Some(Modal::AuditEvent(event));
}

// Approvals.

pub(super) fn load_approvals(app: &mut App) -> Vec<Effect> {
    app.with_session(None, |session| Effect::LoadApprovals { session })
}

/// The open requests and pending grants, and the instant they were read.
pub(super) fn approvals(app: &mut App, result: Result<Waiting, DeskError>) -> Vec<Effect> {
    match (result, &mut app.admin) {
        (Ok(waiting), Some(AdminPane::Approvals(pane))) => pane.receive(waiting),
        (Ok(_), _) => {}
        (Err(e), _) => app.failed(e),
    }
    vec![]
}

pub(super) fn approve(app: &mut App, request: PendingId) -> Vec<Effect> {
    app.with_session(Some(&texts().approvals.deciding), |session| Effect::Approve { session, request })
}

pub(super) fn decline(app: &mut App, request: PendingId, reason: String) -> Vec<Effect> {
    app.with_session(Some(&texts().approvals.deciding), |session| Effect::Decline { session, request, reason })
}

/// A decision taken (approved, declined, withdrawn, linked, a setting of the two-person
/// rule, the emergency stop): `done` says which. What it touched is read again.
pub(super) fn decided(app: &mut App, done: String, result: Result<(), DeskError>) -> Vec<Effect> {
    app.done(&texts().approvals.deciding);
    match result {
        Ok(()) => app.info(done),
        Err(e) => app.failed(e),
    }
    let mut effects = app.reload_detail();
    match app.admin {
        Some(AdminPane::Approvals(_)) => effects.extend(load_approvals(app)),
        Some(AdminPane::Settings(_)) => effects.extend(load_institution(app)),
        Some(AdminPane::Staff(_)) => effects.extend(load_staff(app)),
        _ => {}
    }
    effects
}
