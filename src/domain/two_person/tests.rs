use super::*;
use crate::domain::access::{Refusal, Staff, StaffMember};
use crate::domain::audit::IdentityCheck;
use crate::domain::phone::HomeRegion;
use crate::domain::user::{StaffRole, User, UserId, UserKind};

use crate::domain::fixtures::staff;

fn user(id: UserId, kind: UserKind, email: &str, phone: &str) -> User {
    let role = (kind == UserKind::Staff).then_some(StaffRole::Agent);
    User { email: email.into(), phone: phone.into(), ..crate::domain::fixtures::user(id, kind, role) }
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
    assert_eq!(reasons(&c, photo), vec![Reason::AgentDay { count: 20, max: 20 }, Reason::UserDay { count: 2, max: 2 }]);
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
    // A number stored with its form links by its digits (read without libphonenumber); a
    // form that is not the number's is not believed, and the number is read as typed.
    let mut with_form = user(14, UserKind::Customer, "s@y.example", "+442079460000");
    with_form.phone_form = crate::domain::phone::stored_form(&with_form.phone);
    assert!(crate::domain::phone::is_stored_form_of(&with_form.phone, &with_form.phone_form));
    assert_eq!(find(&with_form, &[])[0].via, LinkVia::Phone);
    let mut other_form = user(15, UserKind::Customer, "t@y.example", "+4402079460000");
    other_form.phone_form = crate::domain::phone::stored_form("+442079460000");
    assert!(!crate::domain::phone::is_stored_form_of(&other_form.phone, &other_form.phone_form));
    assert_eq!(find(&other_form, &[])[0].via, LinkVia::Phone);
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
        reasons: if overrides { vec![Reason::CoolOffOverride { until: 10 }] } else { vec![Reason::StaffTarget] },
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
    assert_eq!(may_approve(&no_right, &request(requester, target, false), &[], &[]), Err(Refusal::MissingPermission));
    assert_eq!(may_approve(&admin, &request(approver, target, false), &[], &[]), Err(Refusal::OwnRequest));
    assert_eq!(may_approve(&admin, &request(requester, approver, false), &[], &[]), Err(Refusal::OwnAccount));
    let link = StaffLink { staff_id: approver, staff_username: "s1".into(), via: LinkVia::Phone };
    assert_eq!(may_approve(&admin, &request(requester, target, false), &[link], &[]), Err(Refusal::OwnLinkedIdentity));
    let made_it = change(ContactField::Phone, 5, Some(approver));
    assert_eq!(
        may_approve(&admin, &request(requester, target, true), &[], &[&made_it]),
        Err(Refusal::OwnContactChange)
    );
    // Without an override, having made an old change does not matter.
    assert_eq!(may_approve(&admin, &request(requester, target, false), &[], &[&made_it]), Ok(()));
}

#[test]
fn velocity_is_compared_in_one_place_and_counts_at_its_limit() {
    let limits = VelocityLimits { per_agent_hour: 5, per_agent_day: 20, per_user_day: 2 };
    assert!(limits.reached(Velocity { agent_hour: 4, agent_day: 19, user_day: 1 }).is_empty());
    let reached = limits.reached(Velocity { agent_hour: 5, agent_day: 3, user_day: 7 });
    assert_eq!(
        reached,
        vec![
            Reached { limit: VelocityLimit::AgentHour, count: 5, max: 5 },
            Reached { limit: VelocityLimit::UserDay, count: 7, max: 2 },
        ]
    );
}

#[test]
fn a_request_is_overtaken_by_a_newer_contact_change_or_batch_and_only_then() {
    let mut r = request(3, 9, false);
    r.contact_seen = Some(4);
    r.batch_seen = None;
    assert!(!r.overtaken_by(&TargetMarks { contact: Some(4), batch: None }));
    assert!(r.overtaken_by(&TargetMarks { contact: Some(5), batch: None }));
    assert!(r.overtaken_by(&TargetMarks { contact: Some(4), batch: Some(1) }));
    // A staff-target reason is not an override; a cool-off override is.
    assert!(!r.overrides_cool_off());
    assert!(request(3, 9, true).overrides_cool_off());
}
