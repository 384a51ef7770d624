//! No single person, and no single recent change, can hand out a working code
//! (DESIGN.md). This module holds the rules; the service applies them before it writes,
//! and the storing transaction checks again what can change meanwhile.
//!
//! - **Contact changes** come from the `contact_changes` table, which triggers fill for
//!   every writer ([`RecordedChange`]).
//! - **Identity checks** are weighed against them ([`check_available`]): a call-back to a
//!   number that changed within the cool-off verifies nothing.
//! - **The two-person rule** ([`reasons`]) lists why a request waits for a second admin,
//!   and [`may_approve`] says who that admin may be.
//! - **Velocity** ([`Velocity`], [`VelocityLimits`]) and **linked identities**
//!   ([`links`]) feed both.

use crate::domain::access::{Permission, Refusal, Staff, StaffMember};
use crate::domain::audit::IdentityCheck;
use crate::domain::phone::{self, HomeRegion};
use crate::domain::time::format_utc;
use crate::domain::user::{User, UserId, UserKind};

/// Which contact detail changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactField {
    Email,
    Phone,
}

impl ContactField {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactField::Email => "email",
            ContactField::Phone => "phone",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(ContactField::Email),
            "phone" => Some(ContactField::Phone),
            _ => None,
        }
    }
}

/// A row of `contact_changes`: one email or phone change, whoever made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedChange {
    pub id: i64,
    pub user_id: UserId,
    pub field: ContactField,
    pub old_value: String,
    pub new_value: String,
    pub at: i64,
    /// The member of staff who made it through helpdesk, as (id, username); `None` when
    /// another system (Digital Banking's profile page, a script) wrote it.
    pub staff: Option<(UserId, String)>,
}

impl RecordedChange {
    pub fn outside_helpdesk(&self) -> bool {
        self.staff.is_none()
    }

    /// Who made it, for a sentence: "helpdesk (ann.admin)" or "outside helpdesk".
    pub fn source(&self) -> String {
        match &self.staff {
            Some((_, username)) => format!("in helpdesk by {username}"),
            None => "outside helpdesk".to_owned(),
        }
    }

    /// The audit detail of a change another writer made: before and after.
    pub fn audit_detail(&self) -> String {
        format!("{}: {:?} -> {:?} ({})", self.field.as_str(), self.old_value, self.new_value, self.source())
    }
}

/// The changes still inside the cool-off at `now`, newest first (`changes` newest first).
pub fn within_cool_off(changes: &[RecordedChange], now: i64, cooloff_secs: i64) -> Vec<&RecordedChange> {
    changes.iter().filter(|c| c.at + cooloff_secs > now).collect()
}

/// How a generation stands against the cool-off after a contact change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoolOff {
    /// No contact change within the cool-off.
    Clear,
    /// Within the cool-off: only as an override a second admin approves; neither the
    /// requester nor the approver made the change.
    Overridden { until: i64 },
}

/// A changed email or phone is a takeover signal: for `cooloff_secs` after the newest
/// change (`changes` newest first), no one person may hand out codes. Whoever may generate
/// may ask for an override, which admin-level staff approve (`reasons`), unless they made
/// one of the changes themselves: an insider who changed the phone must not also ask for,
/// or approve, the codes.
pub fn cool_off(actor: &Staff, changes: &[RecordedChange], now: i64, cooloff_secs: i64) -> Result<CoolOff, Refusal> {
    let recent = within_cool_off(changes, now, cooloff_secs);
    let Some(newest) = recent.first() else { return Ok(CoolOff::Clear) };
    let until = newest.at + cooloff_secs;
    if recent.iter().any(|c| c.staff.as_ref().is_some_and(|(id, _)| *id == actor.id)) {
        return Err(Refusal::OwnContactChange);
    }
    Ok(CoolOff::Overridden { until })
}

/// Whether `check` verifies anything given the contact changes inside the cool-off: a
/// call-back goes to the number on file, which verifies nothing while that number is new.
/// `Err` holds the reason, for the warning to show beside the dimmed choice.
pub fn check_available(check: IdentityCheck, recent: &[&RecordedChange]) -> Result<(), String> {
    match check {
        IdentityCheck::CallBackNumberOnFile => match recent.iter().find(|c| c.field == ContactField::Phone) {
            Some(change) => {
                let (source, at) = (change.source(), format_utc(change.at));
                Err(format!("the phone number changed {source} at {at}: a call-back to it verifies nothing"))
            }
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// A check that proves little on its own: account details can be read off a stolen
/// statement, and "other" is whatever the note says. Either needs a second person.
pub fn is_weak(check: IdentityCheck) -> bool {
    matches!(check, IdentityCheck::KnowledgeBasedVerification | IdentityCheck::Other)
}

/// Batches already issued, counted for the velocity limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Velocity {
    /// By the requesting member of staff in the last hour, and the last day.
    pub agent_hour: i64,
    pub agent_day: i64,
    /// For the target in the last day.
    pub user_day: i64,
}

/// `codes.max_batches_per_agent_hour`, `…_per_agent_day`, `…_per_user_day`: how many
/// batches one person issues, or one customer receives, before the next needs a second
/// person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VelocityLimits {
    pub per_agent_hour: i64,
    pub per_agent_day: i64,
    pub per_user_day: i64,
}

impl Default for VelocityLimits {
    fn default() -> Self {
        Self { per_agent_hour: 5, per_agent_day: 20, per_user_day: 2 }
    }
}

/// How a customer account is tied to a member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkVia {
    Email,
    Phone,
    /// An admin linked them in the Staff pane.
    Explicit,
}

impl LinkVia {
    pub fn words(self) -> &'static str {
        match self {
            LinkVia::Email => "shares an email with",
            LinkVia::Phone => "shares a phone with",
            LinkVia::Explicit => "is linked to",
        }
    }
}

/// A member of staff the target is, in fact, the same person as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffLink {
    pub staff_id: UserId,
    pub staff_username: String,
    pub via: LinkVia,
}

/// An email in the form two writers agree on: trimmed, lower-cased.
fn email_key(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    (!e.is_empty()).then_some(e)
}

/// A phone number in the form two writers agree on: E.164 when it reads as a number,
/// else its digits (so `+44 (0)20 7946 0000` and `020 7946 0000` typed at a UK bank
/// match).
fn phone_key(stored: &str, home: HomeRegion) -> Option<String> {
    let canonical = phone::canonical(stored.trim(), home);
    let digits = phone::digits(&canonical);
    (digits.len() >= 5).then_some(digits)
}

/// Every email and phone a person holds or has held, in the forms two writers agree on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownContacts {
    emails: Vec<String>,
    phones: Vec<String>,
}

impl KnownContacts {
    /// `user`'s current email and phone, and every value in `history` (from
    /// `contact_changes`: before and after each change) that is `user`'s.
    pub fn of(user: &User, history: &[(UserId, ContactField, String)], home: HomeRegion) -> Self {
        let mut known = Self::default();
        let values = [(ContactField::Email, user.email.as_str()), (ContactField::Phone, user.phone.as_str())];
        let past = history.iter().filter(|(id, ..)| *id == user.id).map(|(_, f, v)| (*f, v.as_str()));
        for (field, value) in values.into_iter().chain(past) {
            match field {
                ContactField::Email => known.emails.extend(email_key(value)),
                ContactField::Phone => known.phones.extend(phone_key(value, home)),
            }
        }
        known.emails.sort();
        known.emails.dedup();
        known.phones.sort();
        known.phones.dedup();
        known
    }

    fn shares_email(&self, other: &Self) -> bool {
        self.emails.iter().any(|e| other.emails.contains(e))
    }

    fn shares_phone(&self, other: &Self) -> bool {
        self.phones.iter().any(|p| other.phones.contains(p))
    }
}

/// The members of staff `target` is linked to: by an email or phone either holds or has
/// held (compared in their normalised forms: changing one's own staff email does not undo
/// the link), or by an explicit link (`explicit`: (staff id, user id) pairs). A member of
/// staff is not linked to their own row. `staff` pairs each member with what they hold.
pub fn links(
    target: &User,
    target_known: &KnownContacts,
    staff: &[(&StaffMember, KnownContacts)],
    explicit: &[(UserId, UserId)],
) -> Vec<StaffLink> {
    let mut out = Vec::new();
    for (member, known) in staff.iter().filter(|(m, _)| m.user.id != target.id) {
        let via = if explicit.contains(&(member.user.id, target.id)) {
            Some(LinkVia::Explicit)
        } else if target_known.shares_email(known) {
            Some(LinkVia::Email)
        } else if target_known.shares_phone(known) {
            Some(LinkVia::Phone)
        } else {
            None
        };
        if let Some(via) = via {
            out.push(StaffLink { staff_id: member.user.id, staff_username: member.user.username.clone(), via });
        }
    }
    out
}

/// Generating for one's own linked identity is generating for oneself.
pub fn not_own_link(actor: &Staff, links: &[StaffLink]) -> Result<(), Refusal> {
    if links.iter().any(|l| l.staff_id == actor.id) { Err(Refusal::OwnLinkedIdentity) } else { Ok(()) }
}

/// How a cool-off override's reason begins: a stored request is found to override one by
/// it (the approver must not have made the change either).
pub const COOL_OFF_OVERRIDE: &str = "overrides the contact-change cool-off";

/// Why a request needs a second admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    StaffTarget,
    CoolOffOverride { until: i64 },
    WeakCheck(IdentityCheck),
    AgentHour { count: i64, max: i64 },
    AgentDay { count: i64, max: i64 },
    UserDay { count: i64, max: i64 },
    LinkedToStaff(StaffLink),
    InstitutionRule,
}

impl Reason {
    pub fn sentence(&self) -> String {
        match self {
            Reason::StaffTarget => "the user is a member of staff".into(),
            Reason::CoolOffOverride { until } => {
                format!("{COOL_OFF_OVERRIDE} (until {})", format_utc(*until))
            }
            Reason::WeakCheck(check) => format!("a weak identity check ({})", check.short_label()),
            Reason::AgentHour { count, max } => format!("you issued {count} batches in the last hour (limit {max})"),
            Reason::AgentDay { count, max } => format!("you issued {count} batches today (limit {max})"),
            Reason::UserDay { count, max } => format!("this user received {count} batches today (limit {max})"),
            Reason::LinkedToStaff(link) => format!("{} member of staff {}", link.via.words(), link.staff_username),
            Reason::InstitutionRule => "the institution requires a second person for every batch".into(),
        }
    }
}

/// Everything the two-person rule weighs, as the service read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Circumstances {
    pub target_is_staff: bool,
    pub cool_off: CoolOff,
    pub velocity: Velocity,
    pub limits: VelocityLimits,
    pub links: Vec<StaffLink>,
    /// Institution Settings: "Backup codes always need a second person".
    pub always: bool,
}

/// Why codes for this target, after `check`, must wait for a second admin; empty when
/// one person may generate them. A count at its limit already needs the second person:
/// with a limit of 2, the third batch of the day waits.
pub fn reasons(c: &Circumstances, check: IdentityCheck) -> Vec<Reason> {
    let mut out = Vec::new();
    if c.target_is_staff {
        out.push(Reason::StaffTarget);
    }
    if let CoolOff::Overridden { until } = c.cool_off {
        out.push(Reason::CoolOffOverride { until });
    }
    if is_weak(check) {
        out.push(Reason::WeakCheck(check));
    }
    let (v, l) = (c.velocity, c.limits);
    if v.agent_hour >= l.per_agent_hour {
        out.push(Reason::AgentHour { count: v.agent_hour, max: l.per_agent_hour });
    }
    if v.agent_day >= l.per_agent_day {
        out.push(Reason::AgentDay { count: v.agent_day, max: l.per_agent_day });
    }
    if v.user_day >= l.per_user_day {
        out.push(Reason::UserDay { count: v.user_day, max: l.per_user_day });
    }
    out.extend(c.links.iter().cloned().map(Reason::LinkedToStaff));
    if c.always {
        out.push(Reason::InstitutionRule);
    }
    out
}

/// The state of a request for codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Waiting for a second admin.
    Pending,
    /// A second admin approved it; the requester may generate until the approval expires.
    Approved,
    Declined,
    /// The requester took it back.
    Withdrawn,
    Expired,
    /// The codes were generated.
    Used,
    /// A contact change or another batch for the target came after it.
    Void,
}

impl RequestState {
    pub const ALL: [RequestState; 7] = [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Declined,
        RequestState::Withdrawn,
        RequestState::Expired,
        RequestState::Used,
        RequestState::Void,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Declined => "declined",
            RequestState::Withdrawn => "withdrawn",
            RequestState::Expired => "expired",
            RequestState::Used => "used",
            RequestState::Void => "void",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        matches!(self, RequestState::Pending | RequestState::Approved)
    }
}

/// A request for codes, as the Approvals pane and the requester's detail show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRequest {
    pub id: i64,
    pub requester_id: UserId,
    pub requester: String,
    pub target_id: UserId,
    pub target: String,
    pub target_name: String,
    pub target_kind: UserKind,
    pub identity_check: IdentityCheck,
    pub note: Option<String>,
    /// The risk signals as the requester's warning showed them.
    pub signals: Vec<String>,
    /// Why it needs a second admin.
    pub reasons: Vec<String>,
    /// Whether one of the reasons is a cool-off override (the approver must not have made
    /// the change either).
    pub overrides_cool_off: bool,
    /// The newest contact change and batch of the target when it was made.
    pub contact_seen: Option<i64>,
    pub batch_seen: Option<i64>,
    pub created_at: i64,
    /// A pending request expires then.
    pub expires_at: i64,
    pub state: RequestState,
    /// The admin who approved or declined it, as (id, username).
    pub decided_by: Option<(UserId, String)>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub approval_expires_at: Option<i64>,
}

/// Who may approve or decline a request: an enabled admin (a disabled one has no session)
/// with the permission, who is neither the requester nor the target, is not the target's
/// linked staff identity, and, for a cool-off override, made none of the changes inside it.
pub fn may_approve(
    approver: &Staff,
    request: &CodeRequest,
    links: &[StaffLink],
    recent_changes: &[&RecordedChange],
) -> Result<(), Refusal> {
    if !approver.is_admin() {
        return Err(Refusal::AdminOnly);
    }
    if !approver.has(Permission::GenerateLockoutCodes) {
        return Err(Refusal::MissingPermission);
    }
    if approver.id == request.requester_id {
        return Err(Refusal::OwnRequest);
    }
    if approver.id == request.target_id {
        return Err(Refusal::OwnAccount);
    }
    not_own_link(approver, links)?;
    if request.overrides_cool_off
        && recent_changes.iter().any(|c| c.staff.as_ref().is_some_and(|(id, _)| *id == approver.id))
    {
        return Err(Refusal::OwnContactChange);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Permission;
    use crate::domain::user::{Enrolment, StaffRole};

    fn staff(id: UserId, role: StaffRole) -> Staff {
        Staff { id, username: format!("s{id}"), role, permissions: vec![Permission::GenerateLockoutCodes] }
    }

    fn user(id: UserId, kind: UserKind, email: &str, phone: &str) -> User {
        User {
            id,
            kind,
            username: format!("u{id}"),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            email: email.into(),
            phone: phone.into(),
            enrolment: Enrolment::Enrolled,
            role: (kind == UserKind::Staff).then_some(StaffRole::Agent),
            created_at: 0,
        }
    }

    fn member(u: User) -> StaffMember {
        let staff = Staff { id: u.id, username: u.username.clone(), role: StaffRole::Agent, permissions: vec![] };
        StaffMember { user: u, staff, disabled: false, login_locked_until: None, last_sign_in: None, open_sessions: 0 }
    }

    fn change(field: ContactField, at: i64, by: Option<UserId>) -> RecordedChange {
        RecordedChange {
            id: at,
            user_id: 9,
            field,
            old_value: "old".into(),
            new_value: "new".into(),
            at,
            staff: by.map(|id| (id, format!("s{id}"))),
        }
    }

    const DAY: i64 = 86_400;

    #[test]
    fn the_cool_off_is_overridden_only_by_those_who_did_not_make_the_change() {
        let (agent, admin, other_admin) =
            (staff(3, StaffRole::Agent), staff(1, StaffRole::Admin), staff(2, StaffRole::Admin));
        let outside = [change(ContactField::Phone, 1_000, None)];
        assert_eq!(cool_off(&agent, &[], 1_000, DAY), Ok(CoolOff::Clear));
        assert_eq!(cool_off(&agent, &outside, 2_000, DAY), Ok(CoolOff::Overridden { until: 1_000 + DAY }));
        assert_eq!(cool_off(&admin, &outside, 2_000, DAY), Ok(CoolOff::Overridden { until: 1_000 + DAY }));
        assert_eq!(cool_off(&agent, &outside, 1_000 + DAY, DAY), Ok(CoolOff::Clear));
        // The admin made an older change inside the window; a newer one came from outside.
        let mixed = [change(ContactField::Email, 1_500, None), change(ContactField::Phone, 1_000, Some(1))];
        assert_eq!(cool_off(&admin, &mixed, 2_000, DAY), Err(Refusal::OwnContactChange));
        assert_eq!(cool_off(&other_admin, &mixed, 2_000, DAY), Ok(CoolOff::Overridden { until: 1_500 + DAY }));
        let by_agent = [change(ContactField::Phone, 1_000, Some(3))];
        assert_eq!(cool_off(&agent, &by_agent, 2_000, DAY), Err(Refusal::OwnContactChange));
    }

    #[test]
    fn a_call_back_is_not_offered_while_the_phone_is_new() {
        let phone = change(ContactField::Phone, 1_000, None);
        let email = change(ContactField::Email, 1_000, Some(1));
        let why = check_available(IdentityCheck::CallBackNumberOnFile, &[&phone]).unwrap_err();
        assert!(why.contains("phone number changed outside helpdesk"), "{why}");
        assert_eq!(check_available(IdentityCheck::CallBackNumberOnFile, &[&email]), Ok(()));
        assert_eq!(check_available(IdentityCheck::InPersonPhotoId, &[&phone]), Ok(()));
    }

    fn circumstances() -> Circumstances {
        Circumstances {
            target_is_staff: false,
            cool_off: CoolOff::Clear,
            velocity: Velocity::default(),
            limits: VelocityLimits::default(),
            links: vec![],
            always: false,
        }
    }

    #[test]
    fn each_circumstance_is_a_reason_and_velocity_counts_at_its_limit() {
        let photo = IdentityCheck::InPersonPhotoId;
        assert!(reasons(&circumstances(), photo).is_empty());
        assert_eq!(reasons(&circumstances(), IdentityCheck::KnowledgeBasedVerification).len(), 1);
        assert_eq!(reasons(&circumstances(), IdentityCheck::Other).len(), 1);
        let mut c = circumstances();
        c.velocity = Velocity { agent_hour: 4, agent_day: 19, user_day: 1 };
        assert!(reasons(&c, photo).is_empty(), "one below every limit");
        c.velocity = Velocity { agent_hour: 5, agent_day: 19, user_day: 1 };
        assert_eq!(reasons(&c, photo), vec![Reason::AgentHour { count: 5, max: 5 }]);
        c.velocity = Velocity { agent_hour: 0, agent_day: 20, user_day: 2 };
        assert_eq!(
            reasons(&c, photo),
            vec![Reason::AgentDay { count: 20, max: 20 }, Reason::UserDay { count: 2, max: 2 }]
        );
        for mut c in [circumstances(), circumstances(), circumstances()] {
            assert!(reasons(&c, photo).is_empty());
            c.target_is_staff = true;
            c.always = true;
            c.cool_off = CoolOff::Overridden { until: 5 };
            assert_eq!(reasons(&c, photo).len(), 3);
        }
    }

    #[test]
    fn staff_and_customers_are_linked_by_email_phone_or_an_admin() {
        let home = HomeRegion::parse("GB").unwrap();
        let agent = member(user(1, UserKind::Staff, "Ann.Lee@Bank.example", "020 7946 0000"));
        let other = member(user(2, UserKind::Staff, "bob@bank.example", ""));
        let staff = [agent, other];
        let known = |u: &User, history: &[(UserId, ContactField, String)]| KnownContacts::of(u, history, home);
        let pairs: Vec<(&StaffMember, KnownContacts)> = staff.iter().map(|m| (m, known(&m.user, &[]))).collect();
        let find = |u: &User, explicit: &[(UserId, UserId)]| links(u, &known(u, &[]), &pairs, explicit);
        let by_email = user(10, UserKind::Customer, " ann.lee@bank.example", "");
        let by_phone = user(11, UserKind::Customer, "x@y.example", "+44 (0)20 7946-0000");
        let unrelated = user(12, UserKind::Customer, "z@y.example", "+44 20 7946 0999");
        assert_eq!(find(&by_email, &[])[0].via, LinkVia::Email);
        assert_eq!(find(&by_phone, &[])[0].via, LinkVia::Phone);
        assert!(find(&unrelated, &[]).is_empty());
        let explicit = find(&unrelated, &[(2, 12)]);
        assert_eq!((explicit[0].staff_id, explicit[0].via), (2, LinkVia::Explicit));
        // A member of staff is not linked to their own row.
        assert!(find(&staff[0].user, &[]).is_empty());
        let me = staff_of(1);
        assert_eq!(not_own_link(&me, &find(&by_phone, &[])), Err(Refusal::OwnLinkedIdentity));
        assert_eq!(not_own_link(&staff_of(2), &find(&by_phone, &[])), Ok(()));
        // Changing one's own staff email afterwards does not undo the link: the old value
        // is in the history.
        let mut moved = staff[1].clone();
        moved.user.email = "new@bank.example".into();
        let history = [(2, ContactField::Email, "BOB@bank.example".to_owned())];
        let pairs = [(&moved, known(&moved.user, &history))];
        let bobs = user(13, UserKind::Customer, "bob@bank.example", "");
        assert_eq!(links(&bobs, &known(&bobs, &[]), &pairs, &[])[0].via, LinkVia::Email);
    }

    fn staff_of(id: UserId) -> Staff {
        staff(id, StaffRole::Admin)
    }

    fn request(requester: UserId, target: UserId, overrides: bool) -> CodeRequest {
        CodeRequest {
            id: 1,
            requester_id: requester,
            requester: format!("s{requester}"),
            target_id: target,
            target: format!("u{target}"),
            target_name: "Ann Lee".into(),
            target_kind: UserKind::Customer,
            identity_check: IdentityCheck::KnowledgeBasedVerification,
            note: None,
            signals: vec![],
            reasons: vec![],
            overrides_cool_off: overrides,
            contact_seen: None,
            batch_seen: None,
            created_at: 0,
            expires_at: 10,
            state: RequestState::Pending,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            approval_expires_at: None,
        }
    }

    #[test]
    fn every_forbidden_approver_is_refused() {
        let (requester, target, approver) = (3, 9, 1);
        let admin = staff(approver, StaffRole::Admin);
        assert_eq!(may_approve(&admin, &request(requester, target, false), &[], &[]), Ok(()));
        assert_eq!(
            may_approve(&staff(2, StaffRole::Agent), &request(requester, target, false), &[], &[]),
            Err(Refusal::AdminOnly)
        );
        let mut no_right = admin.clone();
        no_right.permissions.clear();
        assert_eq!(
            may_approve(&no_right, &request(requester, target, false), &[], &[]),
            Err(Refusal::MissingPermission)
        );
        assert_eq!(may_approve(&admin, &request(approver, target, false), &[], &[]), Err(Refusal::OwnRequest));
        assert_eq!(may_approve(&admin, &request(requester, approver, false), &[], &[]), Err(Refusal::OwnAccount));
        let link = StaffLink { staff_id: approver, staff_username: "s1".into(), via: LinkVia::Phone };
        assert_eq!(
            may_approve(&admin, &request(requester, target, false), &[link], &[]),
            Err(Refusal::OwnLinkedIdentity)
        );
        let made_it = change(ContactField::Phone, 5, Some(approver));
        assert_eq!(
            may_approve(&admin, &request(requester, target, true), &[], &[&made_it]),
            Err(Refusal::OwnContactChange)
        );
        // Without an override, having made an old change does not matter.
        assert_eq!(may_approve(&admin, &request(requester, target, false), &[], &[&made_it]), Ok(()));
    }
}
