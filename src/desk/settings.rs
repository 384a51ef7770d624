//! What admin-level staff change and read: the institution's permitted 2FA methods, staff
//! permissions, and the audit log (on screen and exported for a SIEM).

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access::{self, Permission};
use crate::domain::audit::{AuditAction, AuditEvent, NewAuditEvent};
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::user::{UserId, UserKind};

impl HelpDesk {
    pub async fn institution(&self) -> DeskResult<Institution> {
        Ok(self.store.institution().await?)
    }

    pub async fn set_permitted_methods(
        &self,
        session: &Session,
        methods: &[TwoFactorMethod],
    ) -> DeskResult<Institution> {
        let actor = self.actor(session).await?;
        access::may_administer(&actor)?;
        let before = self.store.institution().await?;
        let names = |m: &[TwoFactorMethod]| m.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",");
        let audit = NewAuditEvent::new(self.now(), AuditAction::PermittedMethodsChanged)
            .actor(actor.id, &actor.username)
            .detail(format!("{} -> {}", names(&before.permitted), names(methods)));
        self.store.set_permitted_methods(methods, &audit).await?;
        Ok(self.store.institution().await?)
    }

    pub async fn set_permission(
        &self,
        session: &Session,
        target: UserId,
        permission: Permission,
        granted: bool,
    ) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        access::may_change_permissions(&actor, &user)?;
        if user.kind != UserKind::Staff {
            return Err(DeskError::NoSuchUser);
        }
        let action = if granted { AuditAction::PermissionGranted } else { AuditAction::PermissionRevoked };
        let audit = NewAuditEvent::new(self.now(), action)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(permission.label());
        self.store.set_permission(user.id, permission, granted, &audit).await?;
        Ok(())
    }

    pub async fn recent_audit(
        &self,
        session: &Session,
        target: Option<UserId>,
        limit: i64,
    ) -> DeskResult<Vec<AuditEvent>> {
        let actor = self.actor(session).await?;
        access::may_administer(&actor)?;
        Ok(self.store.recent_audit(target, limit).await?)
    }

    /// One page of the audit log for `helpdesk audit export`: events with an id above
    /// `after`, oldest first.
    pub async fn export_audit(&self, after: i64, limit: i64) -> DeskResult<Vec<AuditEvent>> {
        Ok(self.store.audit_events(after, limit).await?)
    }
}
