//! Manage Users and the user detail, and the profile form.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access::{self, CoolOff, Refusal, Staff};
use crate::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent};
use crate::domain::institution::Institution;
use crate::domain::notice::contact_change_notices;
use crate::domain::phone::HomeRegion;
use crate::domain::profile::{self, ContactChange};
use crate::domain::risk::RiskSignals;
use crate::domain::two_person::{Circumstances, CodeRequest};
use crate::domain::user::{Device, User, UserId};
use crate::store::Acting;
use crate::store::{BatchSummary, NewUser, ProfileOutcome, ProfileUpdate, UserQuery};
use crate::texts::texts;

/// A profile as the form submits it: the fields the source document lets staff edit, as
/// typed (checked by `update_profile`).
#[derive(Debug, Clone, Copy)]
pub struct ProfileEdit<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
}

/// Everything the user detail pane shows.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: User,
    pub devices: Vec<Device>,
    pub institution: Institution,
    pub codes: Option<BatchSummary>,
    /// Whether the signed-in staff may generate now, and if not, why; an admin inside a
    /// contact-change cool-off may ask to override it.
    pub may_generate: Result<CoolOff, Refusal>,
    /// What the two-person rule weighs, when generating is possible at all: the warning
    /// shows, for the check chosen, whether a second admin will be needed and why.
    pub circumstances: Option<Circumstances>,
    /// Each identity check, and why it is not offered when it verifies nothing now.
    pub checks: Vec<(IdentityCheck, Result<(), String>)>,
    /// The risk signals as sentences, as the warning shows them (and a request stores).
    pub signals: Vec<String>,
    /// The target's open request for codes, or else the newest this member of staff made.
    pub request: Option<CodeRequest>,
    /// The member of staff reading it.
    pub viewer: UserId,
    /// Whether the signed-in staff may revoke the user's codes, and if not, why.
    pub may_revoke: Result<(), Refusal>,
    pub may_edit_profile: Result<(), Refusal>,
    /// What should make the agent careful, for the warning.
    pub risk: RiskSignals,
    /// The newest contact change (its id in `contact_changes`) as this detail saw it: a
    /// generation from the warning is refused if another came since.
    pub contact_seen: Option<i64>,
    /// The region a phone number is international from.
    pub home_region: HomeRegion,
}

/// Stale rows folded before each search.
pub const REFOLD_BEFORE_SEARCH: i64 = 1_000;

impl HelpDesk {
    /// Folds every stale row's search keys, a thousand a transaction: what `helpdesk
    /// migrate` runs after the migrations. Returns how many rows were folded.
    pub async fn refold_all(&self) -> DeskResult<u64> {
        let mut total = 0;
        loop {
            let n = self.store.refold_stale(1_000, self.limits.home_region).await?;
            total += n;
            // Fewer than asked: every stale row was read (one a writer changed meanwhile
            // stays stale for the next search).
            if n < 1_000 {
                return Ok(total);
            }
        }
    }

    /// Rows another system wrote since the last search are folded first, so that they are
    /// found like any other; a burst of more than `REFOLD_BEFORE_SEARCH` waits for the
    /// following searches (or `helpdesk migrate`, which folds them all).
    pub async fn search(&self, session: &Session, query: &UserQuery) -> DeskResult<Vec<User>> {
        self.store.refold_stale(REFOLD_BEFORE_SEARCH, self.limits.home_region).await?;
        self.handle_outside_changes().await?;
        self.actor(session).await?;
        Ok(self.store.search_users(query).await?)
    }

    pub async fn user_detail(&self, session: &Session, id: UserId) -> DeskResult<UserDetail> {
        let actor = self.actor(session).await?;
        let user = self.store.user(id).await?.ok_or(DeskError::NoSuchUser)?;
        let now = self.now();
        self.expire_requests().await?;
        let weighed = self.weigh(&actor, &user, now).await?;
        let may_revoke = access::may_manage_codes(&actor, &user);
        let may_generate = may_revoke.and(weighed.gate);
        Ok(UserDetail {
            devices: self.store.devices(id).await?,
            codes: self.store.code_state(id, now).await?,
            circumstances: weighed.circumstances.filter(|_| may_generate.is_ok()),
            may_generate,
            may_revoke,
            may_edit_profile: access::may_edit_profile(&actor, &user),
            checks: weighed.checks,
            signals: weighed.signals,
            request: self.store.latest_request(id, actor.id).await?,
            viewer: actor.id,
            risk: weighed.risk,
            institution: weighed.institution,
            contact_seen: weighed.marks.contact,
            home_region: self.limits.home_region,
            user,
        })
    }

    /// Edits a user's profile as the form submitted it: each field checked by the source
    /// document's rules (`DeskError::Profile` names the first that fails), a changed email
    /// or phone audited before and after, its old addresses told, and backup codes held for
    /// the cool-off.
    pub async fn update_profile(&self, session: &Session, target: UserId, edit: ProfileEdit<'_>) -> DeskResult<()> {
        let ProfileEdit { first_name, last_name, email, phone } = edit;
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        // A refusal, by who may edit or by the rules for the fields, is recorded too.
        let attempted = AuditAction::ProfileUpdated;
        self.audited(&actor, Some(&user), attempted, access::may_edit_profile(&actor, &user)).await?;
        let checked = (|| {
            Ok::<_, profile::ProfileError>(ProfileUpdate {
                first_name: profile::first_name(first_name)?,
                last_name: profile::last_name(last_name)?,
                email: profile::email(email)?,
                phone: profile::phone(phone, self.limits.home_region)?,
            })
        })();
        let update = self.audited(&actor, Some(&user), attempted, checked).await?;
        let now = self.now();
        let event =
            |action| NewAuditEvent::new(now, action).actor(actor.id, &actor.username).target(user.id, &user.username);
        let mut audits = vec![event(AuditAction::ProfileUpdated)];
        let mut notices = Vec::new();
        // A changed email or phone is a takeover signal: the old addresses are told too,
        // the change is audited before and after, and backup codes wait out a cool-off.
        let change = ContactChange::between(&user.email, &user.phone, &update.email, &update.phone);
        if let Some(change) = &change {
            audits.push(event(AuditAction::ContactDetailsChanged).detail(change.audit_detail()));
            let t = &texts().notifications;
            notices = contact_change_notices(&user, change, &t.contact_changed_old, &t.contact_changed_new);
        }
        let may = |staff: &Staff| access::may_edit_profile(staff, &user).is_ok();
        let acting = Acting { session: session.id, actor: actor.id, may: &may };
        match self.store.update_profile(acting, user.id, &update, &audits, &notices).await? {
            ProfileOutcome::Written => Ok(()),
            ProfileOutcome::NoLongerActing => {
                let rule = |a: &Staff| access::may_edit_profile(a, &user);
                self.refused_meanwhile(session, Some(&user), attempted, rule).await
            }
        }
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

    // ----- the demo command's bulk load ----------------------------------------------

    /// Whether the audit log holds any event: a database that has, has held real data.
    pub async fn has_audit_history(&self) -> DeskResult<bool> {
        Ok(!self.store.recent_audit(None, 1).await?.is_empty())
    }

    /// How many users the database holds; the demo seeds only an empty database.
    pub async fn user_count(&self) -> DeskResult<i64> {
        Ok(self.store.count_users().await?)
    }

    /// Writes prepared users in bulk (`helpdesk demo`); no session, no audit event.
    pub async fn load_demo_users(&self, users: &[NewUser]) -> DeskResult<Vec<UserId>> {
        Ok(self.store.insert_users(users, None).await?)
    }

    /// Many demo users in one transaction, `next` giving a batch at a time
    /// (`Store::insert_users_in_bulk`).
    pub async fn load_demo_users_in_bulk(
        &self,
        next: &mut (dyn FnMut() -> Option<Vec<NewUser>> + Send),
    ) -> DeskResult<u64> {
        Ok(self.store.insert_users_in_bulk(next).await?)
    }

    /// Refreshes the planner's statistics after a bulk load.
    pub async fn refresh_statistics(&self) -> DeskResult<()> {
        Ok(self.store.analyze().await?)
    }
}
