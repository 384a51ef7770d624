//! The staff lifecycle an admin runs from the Staff pane and `helpdesk staff`: creating
//! staff, roles, the code permission, disabling and re-enabling, lifting a sign-in lock,
//! ending sessions. The rule is `access::may_change_staff`; the store applies each change with
//! its audit event in one transaction, and refuses atomically to remove the last admin.

use zeroize::Zeroizing;

use crate::desk::grants::StaffChangeDone;
use crate::desk::{DeskError, DeskResult, HelpDesk, Session, blocking};
use crate::domain::access::{self, Permission, Refusal, Staff, StaffChange, StaffMember};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::grants::GrantKind;
use crate::domain::notice::notices_for;
use crate::domain::user::{Enrolment, StaffRole, UserId, UserKind};
use crate::domain::{password, profile};
use crate::store::{Acting, NewUser, StaffChangeOutcome, StoreError};
use crate::texts::texts;

/// A member of staff to create, as typed: the profile rules check the names, the email
/// and the password (`DeskError::Profile` names the field), and the password is hashed
/// with the staff cost before anything is stored. The password is wiped when dropped.
#[derive(Debug)]
pub struct NewStaff<'a> {
    pub username: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub role: StaffRole,
    pub permissions: Vec<Permission>,
    pub password: Zeroizing<String>,
}

impl HelpDesk {
    /// Bootstraps a member of staff from the command line, without credentials: only
    /// while the database has no admin who can sign in (`AdminExists` otherwise, checked
    /// in the transaction that writes). Afterwards staff are created with
    /// `create_staff_as`, by an admin. Returns the new member's id.
    pub async fn create_staff(&self, new: NewStaff<'_>) -> DeskResult<UserId> {
        // The first member of staff is the admin who creates the others; nobody else is
        // made without an admin's credentials.
        if new.role != StaffRole::Admin {
            return Err(DeskError::BootstrapNeedsAdmin);
        }
        let (user, mut audit) = self.new_staff(new).await?;
        audit.actor = "command line (bootstrap: no admin yet)".into();
        self.store.insert_first_staff(&user, &audit).await?.ok_or(DeskError::AdminExists)
    }

    /// Creates a member of staff as the signed-in admin: the authorization the UI applies
    /// to every admin action, and the admin recorded as the actor. The account starts as an
    /// agent without permissions; the admin role and each permission asked for are grants
    /// that wait for a second admin. Returns the new id and the grants' numbers.
    pub async fn create_staff_as(&self, session: &Session, new: NewStaff<'_>) -> DeskResult<(UserId, Vec<i64>)> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::StaffCreated, access::may_administer(&actor)).await?;
        let (role, permissions) = (new.role, new.permissions.clone());
        let (mut user, audit) = self.new_staff(new).await?;
        user.role = Some(StaffRole::Agent);
        user.permissions.clear();
        let audit = audit
            .actor(actor.id, &actor.username)
            .detail("role agent, no permission (until a second admin approves what was asked)");
        let ids = self.store.insert_users(std::slice::from_ref(&user), Some(&audit)).await?;
        let id =
            ids.first().copied().ok_or_else(|| StoreError::Corrupt("the new user's id was not returned".into()))?;
        let asked = self.ask_new_staff_grants(session, id, role, &permissions).await?;
        Ok((id, asked))
    }

    /// A new member of staff checked against the profile rules, with the password hashed,
    /// and the audit event that records them.
    async fn new_staff(&self, new: NewStaff<'_>) -> DeskResult<(NewUser, NewAuditEvent)> {
        let NewStaff { username, first_name, last_name, email, role, permissions, password: new_password } = new;
        let username = profile::username(username)?;
        profile::password(&new_password, &username)?;
        let cost = self.password_cost;
        let hash = blocking(move || password::hash(&cost, &new_password)).await??;
        let now = self.now();
        let user = NewUser {
            kind: UserKind::Staff,
            username: username.clone(),
            first_name: profile::first_name(first_name)?,
            last_name: profile::last_name(last_name)?,
            email: profile::email(email)?,
            phone: String::new(),
            enrolment: Enrolment::Enrolled,
            role: Some(role),
            password_hash: Some(hash),
            permissions,
            devices: Vec::new(),
            created_at: now,
        };
        let mut audit = NewAuditEvent::new(now, AuditAction::StaffCreated).detail(format!("role {}", role.as_str()));
        audit.target = username;
        Ok((user, audit))
    }

    /// Every member of staff, for admins.
    pub async fn staff_members(&self, session: &Session) -> DeskResult<Vec<StaffMember>> {
        let actor = self.actor(session).await?;
        self.audited(&actor, None, AuditAction::AdminRead, access::may_administer(&actor)).await?;
        Ok(self.store.staff_members(self.now()).await?)
    }

    /// Applies a change that takes power away (or lifts a lock, ends sessions) at once;
    /// one that gives power (`GrantKind::of_change`) is asked for as a grant instead, which
    /// waits for a second admin.
    pub async fn change_staff(
        &self,
        session: &Session,
        target: UserId,
        change: StaffChange,
    ) -> DeskResult<StaffChangeDone> {
        if let Some(kind) = GrantKind::of_change(change) {
            return Ok(StaffChangeDone::Asked(self.ask_grant(session, target, kind).await?));
        }
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
            StaffChange::ResetFactor => {
                (AuditAction::StaffFactorReset, "enrols a new authenticator at the next sign-in".into())
            }
            StaffChange::BindKey(key) => (AuditAction::StaffKeyBound, format!("SSH key {}", key.openssh())),
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
        Ok(StaffChangeDone::Applied)
    }
}

fn role_change(from: Option<StaffRole>, to: StaffRole) -> String {
    format!("{} -> {}", from.map_or("none", |r| r.as_str()), to.as_str())
}
