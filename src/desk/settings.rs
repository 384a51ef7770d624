//! What admin-level staff change and read: the institution's permitted 2FA methods and the
//! audit log (on screen and exported for a SIEM). Staff changes are in `staff.rs`.

use crate::desk::{DeskResult, HelpDesk, Session};
use crate::domain::access::{self, Permission, StaffChange};
use crate::domain::audit::{AuditAction, AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::institution::{self, Institution, TwoFactorMethod};
use crate::domain::user::UserId;

impl HelpDesk {
    pub async fn institution(&self) -> DeskResult<Institution> {
        Ok(self.store.institution().await?)
    }

    /// The institution's settings, for the admin's settings screen.
    pub async fn institution_settings(&self, session: &Session) -> DeskResult<Institution> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        Ok(self.store.institution().await?)
    }

    pub async fn set_permitted_methods(
        &self,
        session: &Session,
        methods: &[TwoFactorMethod],
    ) -> DeskResult<Institution> {
        let actor = self.actor(session).await?;
        let attempted = AuditAction::PermittedMethodsChanged;
        self.audited(&actor, None, attempted, access::may_administer(&actor)).await?;
        let active = self.store.count_active_batches(self.now()).await?;
        self.audited(&actor, None, attempted, institution::check_permitted(methods, active)).await?;
        let before = self.store.institution().await?;
        let names = |m: &[TwoFactorMethod]| m.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",");
        let audit = NewAuditEvent::new(self.now(), AuditAction::PermittedMethodsChanged)
            .actor(actor.id, &actor.username)
            .detail(format!("{} -> {}", names(&before.permitted), names(methods)));
        self.store.set_permitted_methods(methods, &audit).await?;
        Ok(self.store.institution().await?)
    }

    /// Grants (asks for: a second admin approves) or withdraws a permission: a staff
    /// change like any other.
    pub async fn set_permission(
        &self,
        session: &Session,
        target: UserId,
        permission: Permission,
        granted: bool,
    ) -> DeskResult<crate::desk::StaffChangeDone> {
        let change = if granted { StaffChange::Grant(permission) } else { StaffChange::Withdraw(permission) };
        self.change_staff(session, target, change).await
    }

    pub async fn recent_audit(
        &self,
        session: &Session,
        target: Option<UserId>,
        limit: i64,
    ) -> DeskResult<Vec<AuditEvent>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        Ok(self.store.recent_audit(target, limit).await?)
    }

    /// One page of the audit pane: the newest events that match, before the event
    /// `before` (the last of the previous page), for admins.
    pub async fn audit_page(
        &self,
        session: &Session,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> DeskResult<Vec<AuditEvent>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        Ok(self.store.audit_page(filter, before, limit).await?)
    }
}
