//! Manage Users and the user detail, the profile form, and staff creation.

use zeroize::Zeroizing;

use crate::desk::{DeskError, DeskResult, HelpDesk, Session, blocking};
use crate::domain::access::{self, Permission, Refusal};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::institution::Institution;
use crate::domain::password;
use crate::domain::profile;
use crate::domain::user::{Device, Enrolment, StaffRole, User, UserId, UserKind};
use crate::store::{BatchSummary, NewUser, ProfileUpdate, StoreError, UserQuery};

/// Everything the user detail pane shows.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: User,
    pub devices: Vec<Device>,
    pub institution: Institution,
    pub codes: Option<BatchSummary>,
    /// Whether the signed-in staff may generate or revoke, and if not, why.
    pub may_manage_codes: Result<(), Refusal>,
    pub may_edit_profile: Result<(), Refusal>,
}

impl HelpDesk {
    pub async fn search(&self, session: &Session, query: &UserQuery) -> DeskResult<Vec<User>> {
        self.actor(session).await?;
        Ok(self.store.search_users(query).await?)
    }

    pub async fn user_detail(&self, session: &Session, id: UserId) -> DeskResult<UserDetail> {
        let actor = self.actor(session).await?;
        let user = self.store.user(id).await?.ok_or(DeskError::NoSuchUser)?;
        Ok(UserDetail {
            devices: self.store.devices(id).await?,
            institution: self.store.institution().await?,
            codes: self.store.code_state(id, self.now()).await?,
            may_manage_codes: access::may_manage_codes(&actor, &user),
            may_edit_profile: access::may_edit_profile(&actor, &user),
            user,
        })
    }

    pub async fn update_profile(
        &self,
        session: &Session,
        target: UserId,
        first_name: &str,
        last_name: &str,
        email: &str,
        phone: &str,
    ) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        access::may_edit_profile(&actor, &user)?;
        let update = ProfileUpdate {
            first_name: profile::first_name(first_name)?,
            last_name: profile::last_name(last_name)?,
            email: profile::email(email)?,
            phone: profile::phone(phone)?,
        };
        let audit = NewAuditEvent::new(self.now(), AuditAction::ProfileUpdated)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username);
        self.store.update_profile(user.id, &update, &audit).await?;
        Ok(())
    }

    /// Whether any member of staff exists: an empty database is told how to create the
    /// first admin.
    pub async fn has_staff(&self) -> DeskResult<bool> {
        Ok(self.store.count_staff().await? > 0)
    }

    /// Whether an admin-level member of staff who can sign in exists: until one does,
    /// `helpdesk staff create` needs no credentials.
    pub async fn has_enabled_admin(&self) -> DeskResult<bool> {
        Ok(self.store.count_enabled_admins().await? > 0)
    }

    /// Bootstraps a member of staff from the command line, without credentials: only
    /// while the database has no admin who can sign in (`AdminExists` otherwise, checked
    /// in the transaction that writes). Afterwards staff are created with
    /// `create_staff_as`, by an admin.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_staff(
        &self,
        username: &str,
        first_name: &str,
        last_name: &str,
        email: &str,
        role: StaffRole,
        permissions: Vec<Permission>,
        new_password: Zeroizing<String>,
    ) -> DeskResult<UserId> {
        let (user, mut audit) =
            self.new_staff(username, first_name, last_name, email, role, permissions, new_password).await?;
        audit.actor = "command line (bootstrap: no admin yet)".into();
        self.store.insert_first_staff(&user, &audit).await?.ok_or(DeskError::AdminExists)
    }

    /// Creates a member of staff as the signed-in admin: the authorization the UI applies
    /// to every admin action, and the admin recorded as the actor.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_staff_as(
        &self,
        session: &Session,
        username: &str,
        first_name: &str,
        last_name: &str,
        email: &str,
        role: StaffRole,
        permissions: Vec<Permission>,
        new_password: Zeroizing<String>,
    ) -> DeskResult<UserId> {
        let actor = self.actor(session).await?;
        access::may_administer(&actor)?;
        let (user, audit) =
            self.new_staff(username, first_name, last_name, email, role, permissions, new_password).await?;
        let audit = audit.actor(actor.id, &actor.username);
        let ids = self.store.insert_users(std::slice::from_ref(&user), Some(&audit)).await?;
        ids.first().copied().ok_or_else(|| StoreError::Corrupt("the new user's id was not returned".into()).into())
    }

    /// A new member of staff checked against the profile rules, with the password hashed,
    /// and the audit event that records them.
    #[allow(clippy::too_many_arguments)]
    async fn new_staff(
        &self,
        username: &str,
        first_name: &str,
        last_name: &str,
        email: &str,
        role: StaffRole,
        permissions: Vec<Permission>,
        new_password: Zeroizing<String>,
    ) -> DeskResult<(NewUser, NewAuditEvent)> {
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

    // ----- the demo command's bulk load ----------------------------------------------

    /// How many users the database holds; the demo seeds only an empty database.
    pub async fn user_count(&self) -> DeskResult<i64> {
        Ok(self.store.count_users().await?)
    }

    /// Writes prepared users in bulk (`helpdesk demo`); no session, no audit event.
    pub async fn load_demo_users(&self, users: &[NewUser]) -> DeskResult<Vec<UserId>> {
        Ok(self.store.insert_users(users, None).await?)
    }

    /// Refreshes the planner's statistics after a bulk load.
    pub async fn refresh_statistics(&self) -> DeskResult<()> {
        Ok(self.store.analyze().await?)
    }
}
