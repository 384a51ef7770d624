//! The security review's findings (issue 8), each as the rule it restores, on every
//! backend; and, on PostgreSQL, the service running as a role that cannot erase the audit
//! log.

use crate::common;

use std::process::{Command, Output};
use std::sync::Arc;

use common::{CHEAP, TestDb, login};
use helpdesk::desk::{DeskError, HelpDesk, IssuedCodes, Limits, Redemption, Session, WarningChoice};
use helpdesk::domain::access::Refusal;
use helpdesk::domain::audit::{AuditAction, AuditEvent, IdentityCheck};
use helpdesk::domain::codes::{self, BackupCode};
use helpdesk::domain::institution::TwoFactorMethod;
use helpdesk::domain::password;
use helpdesk::domain::user::{Enrolment, StaffRole, UserKind};
use helpdesk::store::{self, NewUser, Opening};
use zeroize::Zeroizing;

fn typed(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

const WRONG: &str = "0000-0000-0000";

async fn events_for(db: &TestDb, user: i64) -> Vec<AuditEvent> {
    db.store.recent_audit(Some(user), 1_000).await.unwrap()
}

fn count(events: &[AuditEvent], action: AuditAction) -> usize {
    events.iter().filter(|e| e.action == action.as_str()).count()
}

// ----- 5: every redemption path costs one argon2 evaluation -------------------------

async fn every_redemption_path_costs_one_argon2_evaluation(db: TestDb) {
    let limits = Limits { redeem_max_failures: 3, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let long_name = "x".repeat(10_000);
    let paths: [(&str, &str, Zeroizing<String>); 7] = [
        ("unknown username", "nobody.here", typed(WRONG)),
        ("overlong username", &long_name, typed(WRONG)),
        ("malformed input", "amara.okafor", typed("not a code!")),
        ("no active batch", "hiroshi.tanaka", typed(WRONG)),
        ("wrong code", "amara.okafor", typed(WRONG)),
        ("right code", "amara.okafor", issued.codes[0].grouped()),
        ("wrong code again", "amara.okafor", typed(WRONG)),
    ];
    for (path, username, code) in paths {
        let before = desk.code_evaluations();
        desk.redeem(username, code).await.unwrap();
        assert_eq!(desk.code_evaluations() - before, 1, "{}: {path}", db.name);
    }
    // Locked (after three failures in a row) pays too.
    desk.redeem("amara.okafor", typed(WRONG)).await.unwrap();
    desk.redeem("amara.okafor", typed(WRONG)).await.unwrap();
    let before = desk.code_evaluations();
    assert!(matches!(desk.redeem("amara.okafor", typed(WRONG)).await.unwrap(), Redemption::Locked { .. }));
    assert_eq!(desk.code_evaluations() - before, 1, "{}: locked", db.name);
}

// ----- 6: a typed username is bounded and recorded as a keyed pseudonym --------------

async fn an_unknown_username_is_recorded_as_its_length_and_a_pseudonym(db: TestDb) {
    let desk = db.desk(Limits::default());
    let secret = "My.Password.Typed.Here";
    for _ in 0..2 {
        assert_eq!(desk.redeem(secret, typed(WRONG)).await.unwrap(), Redemption::Rejected);
    }
    desk.redeem(&"é".repeat(100_000), typed(WRONG)).await.unwrap();
    let events = db.store.recent_audit(None, 10).await.unwrap();
    let rejected: Vec<&AuditEvent> =
        events.iter().filter(|e| e.action == AuditAction::BackupCodeRejected.as_str()).collect();
    assert_eq!(rejected.len(), 3, "{}", db.name);
    for e in &rejected {
        let detail = e.detail.as_deref().unwrap_or_default();
        assert!(e.target.is_empty() && e.target_id.is_none(), "{}: the typed name was recorded", db.name);
        assert!(detail.len() < 200, "{}: an unbounded detail", db.name);
        assert!(!detail.to_lowercase().contains("password"), "{}: {detail}", db.name);
    }
    assert!(rejected[0].detail.as_deref().unwrap().contains("longer than 64"), "{}", db.name);
    let pseudonyms: Vec<&str> = rejected[1..].iter().map(|e| e.detail.as_deref().unwrap()).collect();
    assert!(pseudonyms[0].contains("22 characters") && pseudonyms[0].contains("pseudonym"), "{}", db.name);
    assert_eq!(pseudonyms[0], pseudonyms[1], "{}: one name, one pseudonym", db.name);

    // A flood of made-up names: the first of each minute are itemised with a pseudonym, the
    // rest recorded with the count only. Every one is written, so that an unknown name is
    // answered in the same shape (and time) as a known one (issue 16, item 5).
    let before = db.store.recent_audit(None, 1_000).await.unwrap().len();
    for i in 0..40 {
        desk.redeem(&format!("made.up.{i}"), typed(WRONG)).await.unwrap();
    }
    let flood = db.store.recent_audit(None, 1_000).await.unwrap();
    assert_eq!(flood.len() - before, 40, "{}: every attempt is written", db.name);
    let itemised = flood[..40].iter().filter(|e| e.detail.as_deref().is_some_and(|d| d.contains("pseudonym"))).count();
    assert_eq!(itemised, 30 - 3, "{}: the window had 3 already", db.name);
    let counted =
        flood[..40].iter().filter(|e| e.detail.as_deref().is_some_and(|d| d.contains("not itemised"))).count();
    assert_eq!(counted, 13, "{}", db.name);
    db.advance(61);
    desk.redeem("made.up.again", typed(WRONG)).await.unwrap();
    let next = db.store.recent_audit(None, 1).await.unwrap();
    assert!(next[0].detail.as_deref().is_some_and(|d| d.contains("pseudonym")), "{}: a new minute itemises", db.name);
}

// ----- 4: NIST's cap holds across lock-outs ------------------------------------------

async fn failures_across_lockouts_use_the_batch_up_at_the_cap(db: TestDb) {
    let limits =
        Limits { redeem_max_failures: 10, redeem_lockout_secs: 60, redeem_max_total_failures: 25, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("siobhan.obrien").await;
    let issued = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    // A success clears the total, like the consecutive count.
    for _ in 0..9 {
        desk.redeem("siobhan.obrien", typed(WRONG)).await.unwrap();
    }
    assert!(matches!(
        desk.redeem("siobhan.obrien", issued.codes[0].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    let mut failures = 0;
    while failures < 25 {
        match desk.redeem("siobhan.obrien", typed(WRONG)).await.unwrap() {
            Redemption::Rejected => failures += 1,
            Redemption::Locked { .. } => db.advance(61),
            Redemption::Accepted { .. } => panic!("a wrong code was accepted"),
        }
    }
    assert!(db.store.code_state(user.id, desk.now()).await.unwrap().is_none(), "{}: the batch still works", db.name);
    db.advance(61);
    let right = desk.redeem("siobhan.obrien", issued.codes[1].grouped()).await.unwrap();
    assert_eq!(right, Redemption::Rejected, "{}: a code of a used-up batch", db.name);
    let events = events_for(&db, user.id).await;
    assert_eq!(count(&events, AuditAction::BackupCodesExhausted), 1, "{}", db.name);
    let notices = db.store.notifications(user.id).await.unwrap();
    let told: Vec<_> = notices.iter().filter(|n| n.kind == "backup_codes_exhausted").collect();
    assert_eq!(told.len(), 2, "{}: email and SMS", db.name);
    for (i, code) in issued.codes.iter().enumerate() {
        assert!(told.iter().all(|n| !n.body.contains(code.canonical())), "code #{i} in a notice");
    }
    // A new batch starts the count afresh.
    let fresh = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    desk.redeem("siobhan.obrien", typed(WRONG)).await.unwrap();
    assert!(matches!(
        desk.redeem("siobhan.obrien", fresh.codes[0].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
}

// ----- the throttle under parallel guesses -------------------------------------------

async fn parallel_wrong_guesses_never_exceed_the_throttle(db: TestDb) {
    let _turn = common::MANY_CONNECTIONS.lock().await;
    let limits = Limits { redeem_max_failures: 5, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("hiroshi.tanaka").await;
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let before = desk.code_evaluations();
    let barrier = Arc::new(tokio::sync::Barrier::new(32));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (desk, barrier) = (db.separate_desk(limits).await, barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            desk.redeem("hiroshi.tanaka", typed(WRONG)).await.unwrap()
        }));
    }
    let (mut rejected, mut locked) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Redemption::Rejected => rejected += 1,
            Redemption::Locked { .. } => locked += 1,
            Redemption::Accepted { .. } => panic!("a wrong code was accepted"),
        }
    }
    assert_eq!((rejected, locked), (5, 27), "{}: the throttle let more guesses through", db.name);
    let events = events_for(&db, user.id).await;
    let checked =
        events.iter().filter(|e| e.detail.as_deref().is_some_and(|d| d.starts_with("failed attempt"))).count();
    assert_eq!(checked, 5, "{}", db.name);
    assert_eq!(count(&events, AuditAction::BackupCodesLocked), 1, "{}", db.name);
    assert_eq!(desk.code_evaluations(), before, "the separate services counted their own");
}

// ----- 10: a redemption never lands after a revocation --------------------------------

async fn sixty_four_redemptions_racing_a_revocation_never_land_after_it(db: TestDb) {
    let _turn = common::MANY_CONNECTIONS.lock().await;
    let limits = Limits { redeem_max_failures: 100, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("maria.garcia").await;
    let issued = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let codes: Arc<Vec<Zeroizing<String>>> = Arc::new(issued.codes.iter().map(|c| c.grouped()).collect());
    let barrier = Arc::new(tokio::sync::Barrier::new(65));
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (desk, barrier, codes) = (db.separate_desk(limits).await, barrier.clone(), codes.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            desk.redeem("maria.garcia", codes[i % codes.len()].clone()).await.unwrap()
        }));
    }
    let revoker = db.separate_desk(limits).await;
    let revoke = {
        let (barrier, agent) = (barrier.clone(), agent.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            tokio::task::yield_now().await;
            revoker.revoke_codes(&agent, user.id).await
        })
    };
    let mut accepted = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Redemption::Accepted { .. }) {
            accepted += 1;
        }
    }
    let revoked = revoke.await.unwrap();
    let events = events_for(&db, user.id).await;
    let redeemed: Vec<i64> =
        events.iter().filter(|e| e.action == AuditAction::BackupCodeRedeemed.as_str()).map(|e| e.id).collect();
    assert_eq!(redeemed.len(), accepted, "{}", db.name);
    assert!(accepted <= 10, "{}: {accepted} logins with 10 codes", db.name);
    match revoked {
        Ok(()) => {
            let at = events.iter().find(|e| e.action == AuditAction::BackupCodesRevoked.as_str()).unwrap().id;
            assert!(redeemed.iter().all(|&r| r < at), "{}: a redemption was accepted after the revocation", db.name);
        }
        Err(DeskError::NoActiveBatch) => {}
        Err(e) => panic!("{}: revoking failed: {e}", db.name),
    }
}

// ----- 12: revoking an expired batch changes nothing ----------------------------------

async fn revoking_an_expired_batch_says_there_is_nothing_active(db: TestDb) {
    let limits = Limits { session_max_secs: 100 * 3600, session_idle_secs: 100 * 3600, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("jeanluc.moreau").await;
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    db.advance(72 * 3600 + 1);
    let revoked = desk.revoke_codes(&agent, user.id).await;
    assert!(matches!(revoked, Err(DeskError::NoActiveBatch)), "{}: {revoked:?}", db.name);
    let notices = db.store.notifications(user.id).await.unwrap();
    assert!(notices.iter().all(|n| n.kind != "backup_codes_revoked"), "{}: a revoked notice was queued", db.name);
    assert_eq!(count(&events_for(&db, user.id).await, AuditAction::BackupCodesRevoked), 0, "{}", db.name);
    // A new batch still replaces the expired one.
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
}

// ----- the partial unique index --------------------------------------------------------

async fn a_second_unrevoked_batch_is_refused_by_the_database(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("john.smith").await;
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let salt = if db.name == "sqlite" { "x'00'" } else { "'\\x00'::bytea" };
    let insert = format!(
        "INSERT INTO backup_code_batches (user_id, generated_by, created_at, salt, argon2_m, argon2_t, argon2_p, \
         code_count, identity_check) VALUES ({}, {}, 0, {salt}, 1, 1, 1, 1, 'other')",
        user.id, agent.staff.id
    );
    let second = db.raw_execute(&insert).await;
    let err = second.expect_err("a second unrevoked batch was stored").to_string();
    assert!(err.contains("backup_code_batches") || err.to_lowercase().contains("unique"), "{}: {err}", db.name);
}

// ----- the permission matrix: an admin without the permission -------------------------

async fn an_admin_without_the_permission_may_not_generate(db: TestDb) {
    let desk = db.desk(Limits::default());
    let pass = "ida-admin-demo-pass-2026";
    let hash = password::hash(&CHEAP, &typed(pass)).unwrap();
    let ida = NewUser {
        kind: UserKind::Staff,
        username: "ida.admin".into(),
        first_name: "Ida".into(),
        last_name: "Noperm".into(),
        email: "ida@bank.example".into(),
        phone: String::new(),
        enrolment: Enrolment::Enrolled,
        role: Some(StaffRole::Admin),
        password_hash: Some(hash),
        permissions: vec![],
        devices: vec![],
        created_at: desk.now(),
    };
    db.store.insert_users(&[ida], None).await.unwrap();
    let session = desk.login("ida.admin", typed(pass)).await.unwrap();
    let me = db.user("ida.admin").await;
    for (target, want) in [
        (db.user("amara.okafor").await, Refusal::MissingPermission),
        (db.user("sam.teller").await, Refusal::MissingPermission),
        (me, Refusal::OwnAccount),
    ] {
        let got = desk.generate_codes(&session, target.id, IdentityCheck::InPersonPhotoId, None).await;
        assert!(
            matches!(got, Err(DeskError::Refused(r)) if r == want),
            "{}: ida.admin -> {}: {:?}",
            db.name,
            target.username,
            got.map(|_| "codes")
        );
        assert!(matches!(desk.revoke_codes(&session, target.id).await, Err(DeskError::Refused(r)) if r == want));
    }
    // Being an admin still counts where the permission is not needed.
    desk.set_permitted_methods(&session, &[TwoFactorMethod::Sms]).await.unwrap();
}

// ----- 8: sessions live on the server ---------------------------------------------------

async fn the_session_row_decides_who_acts_and_how_long(db: TestDb) {
    let limits = Limits { session_max_secs: 3600, session_idle_secs: 600, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let admin = login(&desk, "ada.admin").await;

    // A Session value claiming to be the admin, holding the agent's session id.
    let forged = Session { id: agent.id, staff: admin.staff.clone(), name: admin.name.clone() };
    let refused = desk.set_permitted_methods(&forged, &[TwoFactorMethod::Email]).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}: {refused:?}", db.name);

    // The heartbeat keeps a session alive through idle periods ...
    for _ in 0..5 {
        db.advance(500);
        desk.heartbeat(&admin).await.expect("a live session");
    }
    desk.search(&admin, &Default::default()).await.expect("alive after 2500 s with heartbeats");
    // ... up to the longest a session may last.
    db.advance(1_200);
    desk.heartbeat(&admin).await.ok();
    db.advance(500);
    assert!(matches!(desk.search(&admin, &Default::default()).await, Err(DeskError::SessionEnded)), "{}", db.name);

    // A session whose process stopped calling is refused after the idle lock.
    let fresh = login(&desk, "alex.agent").await;
    db.advance(601);
    assert!(matches!(desk.search(&fresh, &Default::default()).await, Err(DeskError::SessionEnded)), "{}", db.name);
    assert!(matches!(desk.heartbeat(&fresh).await, Err(DeskError::SessionEnded)), "{}: revived", db.name);
    let alex = db.user("alex.agent").await;
    let ends: Vec<AuditEvent> = db
        .store
        .recent_audit(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::StaffLogout.as_str() && e.actor_id == Some(alex.id))
        .collect();
    assert!(ends.iter().any(|e| e.detail.as_deref().is_some_and(|d| d.contains("abandoned"))), "{}", db.name);
}

// ----- 2: the audit chain ------------------------------------------------------------------

fn audit_verify(db: &TestDb) -> Output {
    audit_verify_with(db, &[])
}

fn audit_verify_with(db: &TestDb, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--config", "/dev/null", "audit", "verify"])
        .args(extra)
        .current_dir(dir.path())
        .env("HELPDESK_DATABASE_URL", &db.url)
        .env_remove("DATABASE_URL")
        .env_remove("HELPDESK_CONFIG")
        .output()
        .unwrap()
}

async fn audit_verify_names_the_first_edited_or_removed_event(db: TestDb) {
    let velocity = helpdesk::domain::two_person::VelocityLimits { per_user_day: 100, ..Default::default() };
    let desk = db.desk(Limits { velocity, ..Limits::default() });
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("amara.okafor").await;
    for _ in 0..4 {
        desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, Some("seen ID".into())).await.unwrap();
    }
    desk.redeem("amara.okafor", typed(WRONG)).await.unwrap();
    let intact = audit_verify(&db);
    assert_eq!(intact.status.code(), Some(0), "{}: {}", db.name, String::from_utf8_lossy(&intact.stderr));
    assert!(String::from_utf8_lossy(&intact.stdout).starts_with("intact"), "{}", db.name);

    // The owner, with the append-only triggers out of the way.
    if db.name == "sqlite" {
        db.raw_execute("DROP TRIGGER audit_events_no_update").await.unwrap();
        db.raw_execute("DROP TRIGGER audit_events_no_delete").await.unwrap();
    } else {
        db.raw_execute("ALTER TABLE audit_events DISABLE TRIGGER USER").await.unwrap();
    }
    let all = db.store.audit_events(&Default::default(), 0, 1_000).await.unwrap();
    assert!(all.len() >= 6, "{}", db.name);
    let (edited, removed, after_removed) = (all[2].id, all[4].id, all[5].id);
    let original_note = all[2].note.clone();
    // What the SIEM keeps from the export: an event's id and its chain hash.
    let kept = format!("{}:{}", all[3].id, all[3].chain_hash.clone().expect("the export carries the chain hash"));
    let anchored = audit_verify_with(&db, &["--anchor", &kept]);
    assert_eq!(anchored.status.code(), Some(0), "{}: {}", db.name, String::from_utf8_lossy(&anchored.stdout));
    let wrong = format!("{}:{}", all[3].id, "0".repeat(64));
    let refused = audit_verify_with(&db, &["--anchor", &wrong]);
    assert_eq!(refused.status.code(), Some(1), "{}", db.name);
    assert!(String::from_utf8_lossy(&refused.stdout).contains("anchor kept"), "{}", db.name);

    // Two edits far apart: each is named.
    let later = all[5].id;
    db.raw_execute(&format!("UPDATE audit_events SET note = 'nothing to see' WHERE id = {edited}")).await.unwrap();
    db.raw_execute(&format!("UPDATE audit_events SET detail = 'nor here' WHERE id = {later}")).await.unwrap();
    let broken = audit_verify(&db);
    assert_eq!(broken.status.code(), Some(1), "{}", db.name);
    let said = String::from_utf8_lossy(&broken.stdout);
    assert!(said.starts_with(&format!("broken at event {edited}:")), "{}: {said}", db.name);
    assert!(said.contains(&format!("broken at event {later}:")) && said.contains("2 breaks"), "{}: {said}", db.name);
    let detail = match &all[5].detail {
        Some(d) => format!("'{}'", d.replace('\'', "''")),
        None => "NULL".to_owned(),
    };
    db.raw_execute(&format!("UPDATE audit_events SET detail = {detail} WHERE id = {later}")).await.unwrap();

    // Put back as it was, the chain holds again; then a removal breaks its successor.
    let note = match &original_note {
        Some(n) => format!("'{}'", n.replace('\'', "''")),
        None => "NULL".to_owned(),
    };
    db.raw_execute(&format!("UPDATE audit_events SET note = {note} WHERE id = {edited}")).await.unwrap();
    let restored = audit_verify(&db);
    assert_eq!(restored.status.code(), Some(0), "{}: {}", db.name, String::from_utf8_lossy(&restored.stdout));

    db.raw_execute(&format!("DELETE FROM audit_events WHERE id = {removed}")).await.unwrap();
    let broken = audit_verify(&db);
    assert_eq!(broken.status.code(), Some(1), "{}", db.name);
    let said = String::from_utf8_lossy(&broken.stdout);
    assert!(said.starts_with(&format!("broken at event {after_removed}:")), "{}: {said}", db.name);
}

on_each_backend!(
    every_redemption_path_costs_one_argon2_evaluation,
    an_unknown_username_is_recorded_as_its_length_and_a_pseudonym,
    failures_across_lockouts_use_the_batch_up_at_the_cap,
    revoking_an_expired_batch_says_there_is_nothing_active,
    a_second_unrevoked_batch_is_refused_by_the_database,
    an_admin_without_the_permission_may_not_generate,
    the_session_row_decides_who_acts_and_how_long,
    audit_verify_names_the_first_edited_or_removed_event,
);

on_each_backend!(multi_thread:
    parallel_wrong_guesses_never_exceed_the_throttle,
    sixty_four_redemptions_racing_a_revocation_never_land_after_it,
);

// ----- no code is reachable from Debug ------------------------------------------------------

#[test]
fn no_code_is_reachable_from_any_debug_output() {
    let policy = common::policy();
    let batch = codes::generate(&policy).unwrap();
    let forms: Vec<String> = batch
        .codes
        .iter()
        .flat_map(|c| [c.canonical().to_owned(), c.grouped().to_string(), c.grouped().to_lowercase()])
        .collect();
    let issued = IssuedCodes { batch_id: 1, codes: batch.codes.clone(), expires_at: None };
    let one: &BackupCode = &batch.codes[0];
    let shown = [
        format!("{batch:?}"),
        format!("{batch:#?}"),
        format!("{one:?}"),
        format!("{one:#?}"),
        format!("{:?}", batch.codes),
        format!("{issued:?}"),
        format!("{issued:#?}"),
        format!("{:?}", Ok::<_, DeskError>(&issued)),
        format!("{:#?}", helpdesk::ui::msg::Msg::Generated(Ok(helpdesk::desk::Generation::Issued(issued)))),
    ];
    for (i, text) in shown.iter().enumerate() {
        for (j, form) in forms.iter().enumerate() {
            assert!(!text.contains(form.as_str()), "Debug output #{i} shows code form #{j}");
        }
    }
}

// ----- 2: the runtime role on PostgreSQL ------------------------------------------------------

#[tokio::test]
async fn on_postgres_sslmode_require_connects_over_tls() {
    let Some(db) = common::seeded_postgres().await else { return };
    let url = format!("{}&sslmode=require", db.url);
    assert_eq!(helpdesk::store::redact(&url), url, "the URL has no password to hide");
    let store = store::open_with(&url, 1, Opening::Run).await.expect("sslmode=require against the test server");
    assert!(store.user_by_username("ada.admin").await.unwrap().is_some());
    let mut conn = pg(&url).await;
    let tls: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(tls, "sslmode=require connected without TLS");
}

/// `url` with its user replaced by `role`.
fn as_role(url: &str, role: &str) -> String {
    let start = url.find("://").expect("a URL") + 3;
    let host_from = match url[start..].find('@') {
        Some(at) if !url[start..start + at].contains('/') => start + at + 1,
        _ => start,
    };
    format!("{}{role}@{}", &url[..start], &url[host_from..])
}

async fn pg(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url).await.expect("connecting to PostgreSQL")
}

#[tokio::test]
async fn on_postgres_the_runtime_role_runs_the_service_but_cannot_erase_the_audit_log() {
    let Some(db) = common::seeded_postgres().await else { return };
    let role = format!("helpdesk_rt_{}", common::hex(&codes::random_bytes::<6>().unwrap()));
    let sql = include_str!("../../deploy/postgres-runtime-role.sql").replace("helpdesk_runtime", &role);
    let mut owner = pg(&db.url).await;
    sqlx::raw_sql(&sql).execute(&mut owner).await.expect("deploy/postgres-runtime-role.sql");
    let runtime_url = as_role(&db.url, &role);

    let body = {
        let (runtime_url, role) = (runtime_url.clone(), role.clone());
        let amara = db.user("amara.okafor").await;
        // On a thread of its own, so that a failed check still reaches the clean-up below.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            runtime.block_on(runtime_role_checks(&runtime_url, &role, amara.id))
        })
    };
    let outcome = body.join();

    // The role is dropped whatever happened, so that the cluster is left as it was found.
    let cleanup = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'; \
         DROP OWNED BY {role}; DROP ROLE {role};"
    );
    sqlx::raw_sql(&cleanup).execute(&mut owner).await.expect("dropping the test role");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn runtime_role_checks(url: &str, role: &str, amara: i64) {
    // The service, through the runtime role: it does not migrate, only checks the version.
    let store = store::open_with(url, 4, Opening::Run).await.expect("the service as the runtime role");
    let desk = HelpDesk::new(store.clone(), common::policy(), CHEAP, Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let issued = desk.generate_codes(&agent, amara, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    assert!(matches!(
        desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    assert_eq!(desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap(), Redemption::Rejected);
    desk.revoke_codes(&agent, amara).await.unwrap();
    // The two-person rule through the runtime role: a contact change recorded by the trigger
    // (which runs as its owner), a request, an approval, its use.
    let amara_user = store.user(amara).await.unwrap().unwrap();
    desk.update_profile(&agent, amara, "Amara", "Okafor", &amara_user.email, "+447911123456").await.unwrap();
    let changes = store.contact_changes(amara, 5).await.unwrap();
    assert_eq!(changes.first().and_then(|c| c.staff.as_ref()).map(|(_, n)| n.as_str()), Some("alex.agent"));
    let admin = login(&desk, "ada.admin").await;
    let ben = login(&desk, "ben.admin").await;
    let seen = desk.user_detail(&admin, amara).await.unwrap().contact_seen;
    let asked = desk
        .request_codes(&admin, WarningChoice { target: amara, check: IdentityCheck::InPersonPhotoId, note: None, seen })
        .await
        .unwrap();
    let helpdesk::desk::Generation::Requested(request) = asked else { panic!("codes without a second admin") };
    desk.approve_request(&ben, request.id).await.unwrap();
    desk.generate_approved(&admin, request.id).await.unwrap();
    desk.logout(&agent).await.unwrap();
    let report = desk.verify_audit_chain().await.unwrap();
    assert!(report.broken.is_none() && report.checked > 5, "{report:?}");

    let mut conn = pg(url).await;
    let me: String = sqlx::query_scalar("SELECT current_user::text").fetch_one(&mut conn).await.unwrap();
    assert_eq!(me, role);
    let owner: String = sqlx::query_scalar(
        "SELECT tableowner::text FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit_events'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_ne!(owner, role, "the runtime role owns the audit table");
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&mut conn).await.unwrap();
    for attack in [
        "TRUNCATE audit_events",
        "UPDATE audit_events SET note = 'edited'",
        "DELETE FROM audit_events",
        "DROP TABLE audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "ALTER TABLE audit_events OWNER TO CURRENT_USER",
        "CREATE TABLE audit_events_copy (id BIGINT)",
        "DELETE FROM audit_chain",
        "UPDATE backup_codes SET used_at = NULL",
        "UPDATE backup_codes SET code_hash = batch_id::text::bytea",
        "UPDATE backup_code_batches SET revoked_at = NULL",
        "UPDATE backup_code_batches SET salt = 'x'::bytea",
        "UPDATE audit_chain SET starts_after = last_id",
        "DELETE FROM contact_changes",
        "UPDATE contact_changes SET changed_at = 0",
        "INSERT INTO contact_changes (user_id, field, old_value, new_value, changed_at) VALUES (1, 'email', '', '', 0)",
        "DELETE FROM code_requests",
    ] {
        let mut c = pg(url).await;
        let done = sqlx::raw_sql(attack).execute(&mut c).await;
        assert!(done.is_err(), "the runtime role could: {attack}");
    }
    // Granting itself rights gets it nothing (PostgreSQL may answer with a warning only).
    let mut c = pg(url).await;
    let _ = sqlx::raw_sql(&format!("GRANT UPDATE, DELETE, TRUNCATE ON audit_events TO {role}")).execute(&mut c).await;
    assert!(sqlx::raw_sql(&format!("ALTER ROLE {role} SUPERUSER")).execute(&mut c).await.is_err());
    for privilege in ["UPDATE", "DELETE", "TRUNCATE"] {
        let has: bool = sqlx::query_scalar(&format!("SELECT has_table_privilege('audit_events', '{privilege}')"))
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert!(!has, "the runtime role granted itself {privilege}");
    }
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&mut conn).await.unwrap();
    assert_eq!(before, after);
}

// ----- the database holds the rules (issue 16, item 3) -------------------------------------

/// Whoever writes to the database, owner included: a used code stays used, a revoked batch
/// stays revoked, code material never changes, the audit chain's start is frozen and no
/// event goes in at or below its head.
async fn the_database_refuses_to_undo_a_use_or_blind_the_chain(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("amara.okafor").await;
    let first = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    assert!(matches!(
        desk.redeem("amara.okafor", first.codes[0].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    desk.revoke_codes(&agent, user.id).await.unwrap();
    let blob = if db.name == "sqlite" { "x'00'" } else { "'\\x00'::bytea" };
    for attack in [
        "UPDATE backup_codes SET used_at = NULL".to_owned(),
        format!("UPDATE backup_codes SET code_hash = {blob}"),
        format!("UPDATE backup_code_batches SET revoked_at = NULL WHERE id = {}", first.batch_id),
        format!("UPDATE backup_code_batches SET salt = {blob} WHERE id = {}", first.batch_id),
        format!("UPDATE backup_code_batches SET expires_at = expires_at + 86400 WHERE id = {}", first.batch_id),
        "DELETE FROM backup_codes".to_owned(),
        "DELETE FROM backup_code_batches".to_owned(),
        "UPDATE audit_chain SET starts_after = last_id".to_owned(),
        "UPDATE audit_chain SET last_id = last_id - 1".to_owned(),
    ] {
        assert!(db.raw_execute(&attack).await.is_err(), "{}: the database allowed: {attack}", db.name);
    }
    let below = if db.name == "sqlite" {
        "INSERT INTO audit_events (id, at, actor, target, action) VALUES (-1, 0, 'x', 'x', 'staff_login')"
    } else {
        "INSERT INTO audit_events (id, at, actor, target, action) OVERRIDING SYSTEM VALUE \
         VALUES (-1, 0, 'x', 'x', 'staff_login')"
    };
    assert!(db.raw_execute(below).await.is_err(), "{}: an event went in below the head", db.name);
    // The used code is still refused, and the chain still verifies.
    assert_eq!(desk.redeem("amara.okafor", first.codes[0].grouped()).await.unwrap(), Redemption::Rejected);
    let report = desk.verify_audit_chain().await.unwrap();
    assert!(report.broken.is_none(), "{}: {report:?}", db.name);
    // What the service does still works: a new batch revokes, a code is used.
    let second = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    assert!(matches!(
        desk.redeem("amara.okafor", second.codes[1].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
}

/// The cap on failures revokes the batch that was attacked: when a new batch was issued
/// meanwhile, the new one stays (issue 16, item 5).
async fn the_failure_cap_revokes_the_attacked_batch_only(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("amara.okafor").await;
    let attacked = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let fresh = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let event = helpdesk::domain::audit::NewAuditEvent::new(desk.now(), AuditAction::BackupCodesExhausted);
    let late = db.store.exhaust_batch(user.id, attacked.batch_id, desk.now(), &event, &[]).await.unwrap();
    assert!(!late, "{}: the cap reported revoking a batch that was already replaced", db.name);
    let active = db.store.code_state(user.id, desk.now()).await.unwrap().map(|b| b.id);
    assert_eq!(active, Some(fresh.batch_id), "{}: the fresh batch was revoked", db.name);
    assert!(db.store.exhaust_batch(user.id, fresh.batch_id, desk.now(), &event, &[]).await.unwrap());
    assert!(db.store.code_state(user.id, desk.now()).await.unwrap().is_none(), "{}", db.name);
}

on_each_backend!(
    the_database_refuses_to_undo_a_use_or_blind_the_chain,
    the_failure_cap_revokes_the_attacked_batch_only,
);
