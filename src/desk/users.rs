//! Manage Users and the user detail, and the profile form.

use crate::desk::{DeskError, DeskResult, HelpDesk, Session};
use crate::domain::access::StaffMember;
use crate::domain::access::{self, CoolOff, Refusal, Staff};
use crate::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent};
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::notice::{Notice, contact_change_notices};
use crate::domain::phone::HomeRegion;
use crate::domain::profile::{self, ContactChange};
use crate::domain::risk::RiskSignals;
use crate::domain::time::format_utc;
use crate::domain::two_person::{
    self, Circumstances, CodeRequest, ContactField, KnownContacts, RecordedChange, StaffLink, Velocity, VelocityLimits,
};
use crate::domain::user::{Device, User, UserId};
use crate::store::{Acting, TargetMarks};
use crate::store::{BatchSummary, NewUser, ProfileUpdate, UserQuery};
use crate::texts::fill;
use crate::texts::texts;

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

/// What a generation for one user by one member of staff is weighed on (`weigh`).
#[derive(Debug, Clone)]
pub struct Weighed {
    /// The institution's permission, linked identities and the cool-off.
    pub gate: Result<CoolOff, Refusal>,
    pub circumstances: Option<Circumstances>,
    pub checks: Vec<(IdentityCheck, Result<(), String>)>,
    pub signals: Vec<String>,
    pub marks: TargetMarks,
    pub risk: RiskSignals,
    pub institution: Institution,
    /// The members of staff the user is the same person as.
    pub links: Vec<StaffLink>,
    /// The user's contact changes within the signal window and the cool-off, newest first.
    pub changes: Vec<RecordedChange>,
}

/// The risk signals as sentences, each only when true: what the warning shows and a
/// request stores.
pub fn signals(
    user: &User,
    risk: &RiskSignals,
    institution: &Institution,
    gate: &Result<CoolOff, Refusal>,
    links: &[StaffLink],
    velocity: Velocity,
    limits: VelocityLimits,
) -> Vec<String> {
    let t = &texts().warning;
    let mut out = Vec::new();
    for field in [ContactField::Phone, ContactField::Email] {
        if let Some(change) = risk.contact_changes.iter().find(|c| c.field == field) {
            let when = format_utc(change.at);
            out.push(fill(
                &t.signal_contact,
                &[("what", field.as_str()), ("source", &change.source()), ("when", &when)],
            ));
        }
    }
    if let Some(codes) = &risk.recent_codes {
        out.push(fill(&t.signal_codes, &[("when", &format_utc(codes.at)), ("by", &codes.by)]));
    }
    let failures = risk.failed_redemptions.to_string();
    match risk.codes_locked_until {
        Some(until) => out.push(fill(&t.signal_locked, &[("count", &failures), ("until", &format_utc(until))])),
        None if risk.failed_redemptions > 0 => out.push(fill(&t.signal_failures, &[("count", &failures)])),
        None => {}
    }
    if risk.staff_target || user.is_staff() {
        out.push(t.signal_staff.clone());
    }
    for link in links {
        out.push(fill(&t.signal_link, &[("how", link.via.words()), ("staff", &link.staff_username)]));
    }
    if velocity.agent_hour >= limits.per_agent_hour || velocity.agent_day >= limits.per_agent_day {
        let (hour, day) = (velocity.agent_hour.to_string(), velocity.agent_day.to_string());
        out.push(fill(&t.signal_velocity, &[("hour", &hour), ("day", &day)]));
    }
    if velocity.user_day >= limits.per_user_day {
        out.push(fill(&t.signal_user_velocity, &[("count", &velocity.user_day.to_string())]));
    }
    if risk.email_permitted || institution.email_makes_codes_unusual() {
        out.push(t.signal_email.clone());
    }
    if matches!(gate, Ok(CoolOff::Overridden { .. })) {
        out.push(t.signal_override.clone());
    }
    out
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

    /// Everything a generation for `user` by `actor` is weighed on, beyond who may act:
    /// the institution must permit backup codes; the user must not be the actor's own
    /// linked identity; the contact-change cool-off must be over (or an admin asks to
    /// override it); and what the two-person rule counts.
    pub(super) async fn weigh(&self, actor: &Staff, user: &User, now: i64) -> DeskResult<Weighed> {
        self.handle_outside_changes().await?;
        let institution = self.store.institution().await?;
        let since = now - RiskSignals::CONTACT_WINDOW_SECS.max(self.limits.contact_cooloff_secs);
        let changes = self.store.contact_changes(user.id, since).await?;
        let marks = self.store.target_marks(user.id).await?;
        let links = self.staff_links(user, now).await?;
        let recent = two_person::within_cool_off(&changes, now, self.limits.contact_cooloff_secs);
        let checks = IdentityCheck::ALL.iter().map(|&c| (c, two_person::check_available(c, &recent))).collect();
        let gate = if !institution.permits(TwoFactorMethod::BackupCodes) {
            Err(Refusal::BackupCodesNotPermitted)
        } else {
            two_person::not_own_link(actor, &links)
                .and_then(|()| two_person::cool_off(actor, &changes, now, self.limits.contact_cooloff_secs))
        };
        let velocity = self.store.velocity(actor.id, user.id, now).await?;
        let circumstances = match gate {
            Ok(cool_off) => Some(Circumstances {
                target_is_staff: user.is_staff(),
                cool_off,
                velocity,
                limits: self.limits.velocity,
                links: links.clone(),
                always: self.store.second_person_always().await?,
            }),
            Err(_) => None,
        };
        let mut risk = self.store.risk_signals(user.id, now).await?;
        risk.contact_changes =
            changes.iter().filter(|c| c.at > now - RiskSignals::CONTACT_WINDOW_SECS).cloned().collect();
        let signals = signals(user, &risk, &institution, &gate, &links, velocity, self.limits.velocity);
        Ok(Weighed { gate, circumstances, checks, signals, marks, risk, institution, links, changes })
    }

    /// The members of staff `user` is the same person as (`two_person::links`).
    pub(super) async fn staff_links(&self, user: &User, now: i64) -> DeskResult<Vec<StaffLink>> {
        let home = self.limits.home_region;
        let staff = self.store.staff_members(now).await?;
        let staff_history = self.store.contact_history(None).await?;
        let known: Vec<(&StaffMember, KnownContacts)> =
            staff.iter().map(|m| (m, KnownContacts::of(&m.user, &staff_history, home))).collect();
        let target = KnownContacts::of(user, &self.store.contact_history(Some(user.id)).await?, home);
        Ok(two_person::links(user, &target, &known, &self.store.identity_links().await?))
    }

    /// Every contact change another writer made, handled (`handle_outside_changes`), a
    /// hundred at a time: what `helpdesk migrate` runs. Returns how many.
    pub async fn handle_all_outside_changes(&self) -> DeskResult<u64> {
        let mut total = 0;
        loop {
            let n = self.handle_outside_changes().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Writes the audit event and the notices to the old addresses of every contact change
    /// another writer made (Digital Banking, a script): the triggers recorded it, this
    /// tells about it. Run before every search, detail and generation, and by
    /// `helpdesk migrate`; a change is handled once, whichever process gets there first.
    pub async fn handle_outside_changes(&self) -> DeskResult<u64> {
        let mut handled = 0;
        for change in self.store.unhandled_contact_changes(100).await? {
            let Some(user) = self.store.user(change.user_id).await? else { continue };
            let audit = NewAuditEvent::new(change.at, AuditAction::ContactDetailsChanged)
                .target(user.id, &user.username)
                .detail(change.audit_detail());
            let audit = NewAuditEvent { actor: "another writer (outside helpdesk)".into(), ..audit };
            // The old address of the field that changed is told (the owner, if this is a
            // takeover), and the new one; the other field's address may be the attacker's
            // by now, so it is not the one warned.
            let t = &texts().notifications;
            let channel = match change.field {
                ContactField::Email => "email",
                ContactField::Phone => "sms",
            };
            let notice = |address: &str, body: &str| Notice {
                user_id: user.id,
                channel,
                address: address.to_owned(),
                kind: "contact_details_changed",
                body: body.to_owned(),
            };
            let notices: Vec<Notice> =
                [notice(&change.old_value, &t.contact_changed_old), notice(&change.new_value, &t.contact_changed_new)]
                    .into_iter()
                    .filter(|n| !n.address.trim().is_empty())
                    .collect();
            if self.store.handle_contact_change(change.id, &[audit], &notices).await? {
                handled += 1;
                tracing::warn!(user = %user.username.escape_debug(), field = change.field.as_str(), "contact detail changed outside helpdesk");
            }
        }
        Ok(handled)
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
            Ok(()) => Ok(()),
            Err(_) => {
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
