//! The staff lifecycle an admin runs from the Staff pane and `helpdesk staff`: roles,
//! the code permission, disabling and re-enabling, lifting a sign-in lock, ending
//! sessions. The rule is `access::may_change_staff`; the store applies each change with
//! its audit event in one transaction, and refuses atomically to remove the last admin.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access::{self, Refusal, Staff, StaffChange, StaffMember};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::notice::notices_for;
use crate::domain::user::{StaffRole, UserId};
use crate::store::{Acting, StaffChangeOutcome};
use crate::texts::texts;

impl HelpDesk {
    /// Every member of staff, for admins.
    pub async fn staff_members(&self, session: &Session) -> DeskResult<Vec<StaffMember>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        Ok(self.store.staff_members(self.now()).await?)
    }

    pub async fn change_staff(&self, session: &Session, target: UserId, change: StaffChange) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        let admins = self.store.count_enabled_admins().await?;
        let now = self.now();
        let (action, detail) = match change {
            StaffChange::Grant(p) => (AuditAction::PermissionGranted, p.label().to_owned()),
            StaffChange::Withdraw(p) => (AuditAction::PermissionRevoked, p.label().to_owned()),
            StaffChange::Promote => (AuditAction::StaffRoleChanged, role_change(user.role, StaffRole::Admin)),
            StaffChange::Demote => (AuditAction::StaffRoleChanged, role_change(user.role, StaffRole::Agent)),
            StaffChange::Disable => (AuditAction::StaffDisabled, "sign-in refused; open sessions ended".into()),
            StaffChange::Enable => (AuditAction::StaffEnabled, "may sign in again".into()),
            StaffChange::Unlock => (AuditAction::StaffUnlocked, "sign-in lock lifted".into()),
            StaffChange::EndSessions => (AuditAction::StaffSessionsEnded, "every open session ended".into()),
        };
        let enabled = self.store.staff(user.id).await?.is_some();
        let rule = access::may_change_staff(&actor, &user, enabled, change, admins);
        self.audited(&actor, Some(&user), action, rule).await?;
        let audit = NewAuditEvent::new(now, action)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(detail);
        // Disabling revokes the member's codes in the same transaction.
        let revoked = NewAuditEvent::new(now, AuditAction::BackupCodesRevoked)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail("the account was disabled");
        let notices = notices_for(&user, "backup_codes_revoked", &texts().notifications.revoked);
        let revoked = (change == StaffChange::Disable).then_some((&revoked, notices.as_slice()));
        let rule = |staff: &Staff| access::may_change_staff(staff, &user, enabled, change, admins);
        let may = |staff: &Staff| rule(staff).is_ok();
        let acting = Acting { session: session.id, actor: actor.id, may: &may };
        match self.store.change_staff(acting, user.id, change, now, &audit, revoked).await? {
            StaffChangeOutcome::Changed => {}
            // Another admin was demoted or disabled in the meantime.
            StaffChangeOutcome::LastAdmin => return Err(Refusal::LastAdmin.into()),
            StaffChangeOutcome::NoLongerActing => {
                return self.refused_meanwhile(session, Some(&user), action, rule).await;
            }
        }
        tracing::info!(actor = %actor.username.escape_debug(), target = %user.username.escape_debug(), ?change, "staff changed");
        Ok(())
    }
}

fn role_change(from: Option<StaffRole>, to: StaffRole) -> String {
    format!("{} -> {}", from.map_or("none", |r| r.as_str()), to.as_str())
}
