//! The weighing of a request for codes: everything the two-person rule and the warning
//! need about one target and one member of staff, read once (`HelpDesk::weigh`), and the
//! risk signals as the warning shows them.

use crate::desk::{DeskResult, HelpDesk};
use crate::domain::access::{CoolOff, Refusal, Staff, StaffMember};
use crate::domain::audit::IdentityCheck;
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::risk::RiskSignals;
use crate::domain::time::format_utc;
use crate::domain::two_person::{
    self, Circumstances, ContactField, KnownContacts, RecordedChange, StaffLink, TargetMarks, Velocity, VelocityLimit,
    VelocityLimits,
};
use crate::domain::user::User;
use crate::texts::{fill, texts};

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

/// What the risk signals are read from: the target, what the database knows of it, the
/// institution, how the generation stands (`gate`), its linked staff, and the velocity
/// counts against their limits.
#[derive(Debug, Clone, Copy)]
pub struct SignalFacts<'a> {
    pub user: &'a User,
    pub risk: &'a RiskSignals,
    pub institution: &'a Institution,
    pub gate: &'a Result<CoolOff, Refusal>,
    pub links: &'a [StaffLink],
    pub velocity: Velocity,
    pub limits: VelocityLimits,
}

/// The risk signals as sentences, each only when true: what the warning shows and a
/// request stores.
pub fn signals(facts: &SignalFacts<'_>) -> Vec<String> {
    let SignalFacts { user, risk, institution, gate, links, velocity, limits } = *facts;
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
    let reached = limits.reached(velocity);
    if reached.iter().any(|r| r.limit != VelocityLimit::UserDay) {
        let (hour, day) = (velocity.agent_hour.to_string(), velocity.agent_day.to_string());
        out.push(fill(&t.signal_velocity, &[("hour", &hour), ("day", &day)]));
    }
    if reached.iter().any(|r| r.limit == VelocityLimit::UserDay) {
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

impl HelpDesk {
    /// Everything a generation for `user` by `actor` is weighed on, beyond who may act:
    /// the institution must permit backup codes; the user must not be the actor's own
    /// linked identity; the contact-change cool-off must be over (or an admin asks to
    /// override it); and what the two-person rule counts.
    pub(in crate::desk) async fn weigh(&self, actor: &Staff, user: &User, now: i64) -> DeskResult<Weighed> {
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
                always: institution.second_person_always,
            }),
            Err(_) => None,
        };
        let mut risk = self.store.risk_signals(user.id, now).await?;
        risk.contact_changes =
            changes.iter().filter(|c| c.at > now - RiskSignals::CONTACT_WINDOW_SECS).cloned().collect();
        let facts = SignalFacts {
            user,
            risk: &risk,
            institution: &institution,
            gate: &gate,
            links: &links,
            velocity,
            limits: self.limits.velocity,
        };
        let signals = signals(&facts);
        Ok(Weighed { gate, circumstances, checks, signals, marks, risk, institution, links, changes })
    }

    /// The members of staff `user` is the same person as (`two_person::links`).
    pub(in crate::desk) async fn staff_links(&self, user: &User, now: i64) -> DeskResult<Vec<StaffLink>> {
        let home = self.limits.home_region;
        let staff = self.store.staff_members(now).await?;
        let staff_history = self.store.contact_history(None).await?;
        let known: Vec<(&StaffMember, KnownContacts)> =
            staff.iter().map(|m| (m, KnownContacts::of(&m.user, &staff_history, home))).collect();
        let target = KnownContacts::of(user, &self.store.contact_history(Some(user.id)).await?, home);
        Ok(two_person::links(user, &target, &known, &self.store.identity_links().await?))
    }
}
