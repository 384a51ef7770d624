//! Staff are who the audit log says: an authenticator code after the password, enrolled at
//! the first sign-in, each code once, wrong codes under the sign-in lock, the secret sealed
//! at rest, asked again before risky actions, and reset only by two admins. On both
//! databases, with "Staff need a second factor" on (the seeded databases have it off).

use crate::common;

use common::{TestDb, count, events_for, login};
use helpdesk::desk::{
    DeskError, Generation, HelpDesk, Limits, NewStaff, Session, SignIn, StaffChangeDone, WarningChoice,
};
use helpdesk::domain::access::StaffChange;
use helpdesk::domain::audit::{AuditAction, IdentityCheck};
use helpdesk::domain::second_factor::{CodeRefusal, FactorSecret, STEP_SECS};
use helpdesk::domain::user::StaffRole;
use zeroize::Zeroizing;

const MAL_PASS: &str = "quartz-meadow-lantern-2026";

async fn create_mal(desk: &HelpDesk, ada: &Session) -> i64 {
    let new = NewStaff {
        username: "mal.new",
        first_name: "Mal",
        last_name: "Newcomb",
        email: "mal.new@bank.example",
        role: StaffRole::Agent,
        permissions: vec![],
        password: Zeroizing::new(MAL_PASS.to_owned()),
    };
    desk.create_staff_as(ada, new).await.expect("ada creates mal").0
}

async fn mal_signs_in(desk: &HelpDesk) -> SignIn {
    desk.sign_in("mal.new", Zeroizing::new(MAL_PASS.to_owned())).await.expect("mal's password")
}

/// mal enrols from the secret the enrolment shows, as an app would; returns the secret.
async fn enrol_mal(db: &TestDb, desk: &HelpDesk) -> FactorSecret {
    let SignIn::Enrol(ticket) = mal_signs_in(desk).await else { panic!("{}: no enrolment", db.name) };
    let uri = ticket.enrolment_uri().expect("an otpauth URI");
    assert!(uri.starts_with("otpauth://totp/helpdesk:mal.new?secret="), "{}", db.name);
    let secret = FactorSecret::from_base32(&ticket.enrolment_secret().unwrap()).unwrap();
    let session = desk.finish_sign_in(&ticket, &secret.code_at(desk.now())).await.expect("the first code");
    desk.logout(&session).await.unwrap();
    secret
}

async fn enrolment_then_each_code_once(db: TestDb) {
    db.second_factor(true).await;
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let mal = create_mal(&desk, &ada).await;
    // The password alone is no longer a sign-in.
    let alone = desk.login("mal.new", Zeroizing::new(MAL_PASS.to_owned())).await;
    assert!(matches!(alone, Err(DeskError::SecondFactorNeeded)), "{}: {alone:?}", db.name);
    // A wrong first code enrols nothing.
    let SignIn::Enrol(ticket) = mal_signs_in(&desk).await else { panic!("{}: no enrolment", db.name) };
    let wrong = desk.finish_sign_in(&ticket, "000000").await;
    assert!(matches!(wrong, Err(DeskError::FactorCode(CodeRefusal::Wrong))), "{}: {wrong:?}", db.name);
    assert!(matches!(mal_signs_in(&desk).await, SignIn::Enrol(_)), "{}: enrolled by a wrong code", db.name);

    let secret = enrol_mal(&db, &desk).await;
    let SignIn::Code(ticket) = mal_signs_in(&desk).await else { panic!("{}: asked to enrol again", db.name) };
    // The code that confirmed the enrolment is used up, and so is any code once accepted.
    let replay = desk.finish_sign_in(&ticket, &secret.code_at(desk.now())).await;
    assert!(matches!(replay, Err(DeskError::FactorCode(CodeRefusal::Replayed))), "{}: {replay:?}", db.name);
    db.advance(STEP_SECS);
    let session = desk.finish_sign_in(&ticket, &secret.code_at(desk.now())).await.expect("the next code");
    desk.logout(&session).await.unwrap();
    let SignIn::Code(again) = mal_signs_in(&desk).await else { panic!("{}", db.name) };
    let reused = desk.finish_sign_in(&again, &secret.code_at(desk.now())).await;
    assert!(matches!(reused, Err(DeskError::FactorCode(CodeRefusal::Replayed))), "{}: {reused:?}", db.name);

    let events = events_for(&db, mal).await;
    assert_eq!(count(&events, AuditAction::StaffFactorEnrolled), 1, "{}", db.name);
    let all = db.store.recent_audit(None, 200).await.unwrap();
    let failed = all.iter().filter(|e| e.action == "staff_login_failed" && e.actor == "mal.new").count();
    assert!(failed >= 3, "{}: refused codes unaudited ({failed})", db.name);
}

async fn wrong_codes_lock_the_sign_in_like_wrong_passwords(db: TestDb) {
    db.second_factor(true).await;
    let desk = db.desk(Limits { login_max_failures: 3, ..Limits::default() });
    let ada = login(&desk, "ada.admin").await;
    create_mal(&desk, &ada).await;
    let secret = enrol_mal(&db, &desk).await;
    db.advance(STEP_SECS);
    let SignIn::Code(ticket) = mal_signs_in(&desk).await else { panic!("{}", db.name) };
    for _ in 0..3 {
        assert!(desk.finish_sign_in(&ticket, "123456").await.is_err(), "{}", db.name);
    }
    let locked = desk.finish_sign_in(&ticket, &secret.code_at(desk.now())).await;
    assert!(matches!(locked, Err(DeskError::LoginLocked { .. })), "{}: {locked:?}", db.name);
    let password = desk.sign_in("mal.new", Zeroizing::new(MAL_PASS.to_owned())).await;
    assert!(matches!(password, Err(DeskError::LoginLocked { .. })), "{}: the password went past the lock", db.name);
}

async fn the_secret_is_sealed_at_rest(db: TestDb) {
    db.second_factor(true).await;
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let mal = create_mal(&desk, &ada).await;
    let secret = enrol_mal(&db, &desk).await;
    let base32 = secret.to_base32();
    // What the database holds: neither the secret's text nor its bytes.
    let stored = db.store.factor(mal).await.unwrap().unwrap().sealed.expect("a sealed secret");
    let raw = FactorSecret::from_base32(&base32).unwrap();
    let uri = raw.uri("x");
    assert!(!String::from_utf8_lossy(&stored).contains(base32.as_str()), "{}", db.name);
    if let Some(file) = &db.sqlite_file {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(base32.as_str()) && !text.contains(uri.as_str()), "the secret is in the file");
    }
    // Copied onto another member's row, the sealed secret does not open.
    let alex = db.user("alex.agent").await.id;
    db.raw_execute(&format!(
        "UPDATE users SET factor_secret = (SELECT factor_secret FROM users WHERE id = {mal}) WHERE id = {alex}"
    ))
    .await
    .unwrap();
    db.advance(STEP_SECS);
    let pass = Zeroizing::new("agent-demo-pass-2026".to_owned());
    let SignIn::Code(ticket) = desk.sign_in("alex.agent", pass).await.unwrap() else { panic!("{}", db.name) };
    let copied = desk.finish_sign_in(&ticket, &secret.code_at(desk.now())).await;
    assert!(matches!(copied, Err(DeskError::Store(_))), "{}: a copied secret opened: {copied:?}", db.name);
}

async fn risky_actions_ask_again_after_the_step_up_minutes(db: TestDb) {
    db.second_factor(true).await;
    // Sessions that outlive the step-up's five minutes without their idle lock.
    let desk = db.desk(Limits { session_idle_secs: 3600, ..Limits::default() });
    let (ada, ben) = (login(&desk, "ada.admin").await, login(&desk, "ben.admin").await);
    let sam = db.user("sam.teller").await;
    let seen = desk.user_detail(&ada, sam.id).await.unwrap().contact_seen;
    let choice = WarningChoice { target: sam.id, check: IdentityCheck::InPersonPhotoId, note: None, seen };
    let Ok(Generation::Requested(request)) = desk.request_codes(&ada, choice).await else { panic!("{}", db.name) };
    db.advance(6 * 60);
    let stale = desk.approve_request(&ben, request.id).await;
    assert!(matches!(stale, Err(DeskError::StepUpNeeded)), "{}: {stale:?}", db.name);
    let grant = desk.change_staff(&ben, db.user("nora.noperm").await.id, StaffChange::Promote).await;
    assert!(matches!(grant, Err(DeskError::StepUpNeeded)), "{}: {grant:?}", db.name);
    let secret = helpdesk::cli::demo::demo_factor("ben.admin").unwrap();
    desk.step_up(&ben, &secret.code_at(desk.now())).await.expect("ben's code");
    desk.approve_request(&ben, request.id).await.expect("approved once the factor is fresh");
    let all = db.store.recent_audit(None, 200).await.unwrap();
    let stale: Vec<_> = all
        .iter()
        .filter(|e| e.action == "action_refused" && e.actor == "ben.admin")
        .filter_map(|e| e.detail.clone())
        .filter(|d| d.contains("Confirm it is you"))
        .collect();
    assert_eq!(stale.len(), 2, "{}: the stale approval and grant were not audited: {stale:?}", db.name);
}

async fn a_factor_reset_is_a_grant_and_the_member_enrols_again(db: TestDb) {
    db.second_factor(true).await;
    let desk = db.desk(Limits::default());
    let (ada, ben) = (login(&desk, "ada.admin").await, login(&desk, "ben.admin").await);
    let alex = db.user("alex.agent").await.id;
    let alex_session = login(&desk, "alex.agent").await;
    let StaffChangeDone::Asked(id) = desk.change_staff(&ada, alex, StaffChange::ResetFactor).await.unwrap() else {
        panic!("{}: reset by one person", db.name)
    };
    assert!(db.store.factor(alex).await.unwrap().unwrap().sealed.is_some(), "{}: reset before approval", db.name);
    desk.approve_grant(&ben, id).await.unwrap();
    assert!(db.store.factor(alex).await.unwrap().unwrap().sealed.is_none(), "{}", db.name);
    assert!(matches!(desk.search(&alex_session, &Default::default()).await, Err(DeskError::SessionEnded)));
    let pass = Zeroizing::new("agent-demo-pass-2026".to_owned());
    assert!(matches!(desk.sign_in("alex.agent", pass).await.unwrap(), SignIn::Enrol(_)), "{}", db.name);
    assert_eq!(count(&events_for(&db, alex).await, AuditAction::StaffFactorReset), 1, "{}", db.name);
}

/// A key made with `ssh-keygen -t ed25519`.
const ALEX_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPhgugA1Cu1iODXSfW2F2ffw6y/+PmTlFa1XM+57+Jv alex@laptop";

async fn a_bound_ssh_key_stands_for_the_code_of_its_member_only(db: TestDb) {
    use helpdesk::domain::second_factor::KeyFingerprint;
    db.second_factor(true).await;
    let desk = db.desk(Limits::default());
    let (ada, ben) = (login(&desk, "ada.admin").await, login(&desk, "ben.admin").await);
    let alex = db.user("alex.agent").await.id;
    let key = KeyFingerprint::of_public_key(ALEX_KEY).unwrap();
    let StaffChangeDone::Asked(id) = desk.change_staff(&ada, alex, StaffChange::BindKey(key)).await.unwrap() else {
        panic!("{}: bound by one person", db.name)
    };
    let from_key = db.desk(Limits::default()).with_session_key(key);
    let pass = || Zeroizing::new("agent-demo-pass-2026".to_owned());
    // Before the approval, the key is nobody's: alex is asked for a code.
    assert!(matches!(from_key.sign_in("alex.agent", pass()).await.unwrap(), SignIn::Code(_)), "{}", db.name);
    desk.approve_grant(&ben, id).await.unwrap();
    let SignIn::Done(session) = from_key.sign_in("alex.agent", pass()).await.unwrap() else {
        panic!("{}: the bound key did not stand for the code", db.name)
    };
    from_key.logout(&session).await.unwrap();
    // Without the key, or with another, alex does not get in; the key is not ben's.
    let refused = desk.sign_in("alex.agent", pass()).await;
    assert!(matches!(refused, Err(DeskError::BoundKeyNeeded)), "{}: {refused:?}", db.name);
    let other = db.desk(Limits::default()).with_session_key(KeyFingerprint([1; 32]));
    assert!(matches!(other.sign_in("alex.agent", pass()).await, Err(DeskError::BoundKeyNeeded)), "{}", db.name);
    let ben_pass = Zeroizing::new("ben-demo-pass-2026".to_owned());
    assert!(matches!(from_key.sign_in("ben.admin", ben_pass).await.unwrap(), SignIn::Code(_)), "{}", db.name);
    assert_eq!(count(&events_for(&db, alex).await, AuditAction::StaffKeyBound), 1, "{}", db.name);
}

on_each_backend!(
    a_bound_ssh_key_stands_for_the_code_of_its_member_only,
    enrolment_then_each_code_once,
    wrong_codes_lock_the_sign_in_like_wrong_passwords,
    the_secret_is_sealed_at_rest,
    risky_actions_ask_again_after_the_step_up_minutes,
    a_factor_reset_is_a_grant_and_the_member_enrols_again,
);
