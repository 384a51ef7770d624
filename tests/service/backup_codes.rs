//! Generating and revoking backup codes through the service: who may for whom, one active
//! batch a user, and no code reachable from any Debug output.

use crate::common;
use common::{CHEAP, TestDb, login, *};
use helpdesk::desk::{DeskError, IssuedCodes, Limits, Redemption};
use helpdesk::domain::access::Refusal;
use helpdesk::domain::audit::{AuditAction, IdentityCheck};
use helpdesk::domain::codes::{self, BackupCode};
use helpdesk::domain::institution::TwoFactorMethod;
use helpdesk::domain::password;
use helpdesk::domain::user::{Enrolment, StaffRole, UserKind};
use helpdesk::store::NewUser;

async fn permission_matrix_every_actor_against_every_target(db: TestDb) {
    let desk = db.desk(Limits::default());
    let customer = db.user("amara.okafor").await;
    let other_staff = db.user("sam.teller").await;
    // (actor, customer, other staff, self)
    let expected: [(&str, Rule, Rule); 3] = [
        // Ada may generate for staff, but not alone: the codes wait for a second admin
        // (tests/two_person.rs).
        ("ada.admin", Ok(()), Ok(())),
        ("alex.agent", Ok(()), Err(Refusal::StaffTargetNeedsAdmin)),
        ("nora.noperm", Err(Refusal::MissingPermission), Err(Refusal::MissingPermission)),
    ];
    for (actor, on_customer, on_staff) in expected {
        let session = login(&desk, actor).await;
        let me = db.user(actor).await;
        for (target, want) in [(&customer, on_customer), (&other_staff, on_staff), (&me, Err(Refusal::OwnAccount))] {
            let got = desk.generate_codes(&session, target.id, IdentityCheck::InPersonPhotoId, None).await;
            let mut revocable = true;
            match (want, got) {
                (Ok(()), Ok(issued)) => assert_eq!(issued.codes.len(), 10, "{}", db.name),
                (Err(refusal), Err(DeskError::Refused(r))) => {
                    assert_eq!(r, refusal, "{}: {actor} -> {}", db.name, target.username)
                }
                (Ok(()), Err(DeskError::NeedsSecondPerson(reasons))) if target.is_staff() => {
                    assert_eq!(reasons, ["the user is a member of staff"], "{}", db.name);
                    revocable = false;
                }
                (want, got) => panic!(
                    "{}: {actor} -> {}: wanted {want:?}, got {:?}",
                    db.name,
                    target.username,
                    got.map(|_| "codes")
                ),
            }
            // Revocation follows the same rule.
            let revoked = desk.revoke_codes(&session, target.id).await;
            match want {
                Ok(()) if !revocable => assert!(matches!(revoked, Err(DeskError::NoActiveBatch)), "{}", db.name),
                Ok(()) => assert!(revoked.is_ok(), "{}: {actor} could not revoke: {revoked:?}", db.name),
                Err(refusal) => {
                    assert!(matches!(revoked, Err(DeskError::Refused(r)) if r == refusal), "{}", db.name)
                }
            }
        }
    }
    // The detail pane shows the same answer the action gives.
    let nora = login(&desk, "nora.noperm").await;
    let detail = desk.user_detail(&nora, customer.id).await.unwrap();
    assert_eq!(detail.may_generate, Err(Refusal::MissingPermission));
    assert_eq!(detail.may_revoke, Err(Refusal::MissingPermission));
}

async fn a_new_batch_revokes_the_old_and_revoking_works(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("jeanluc.moreau").await;
    let old = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let new = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    assert_eq!(
        desk.redeem("jeanluc.moreau", old.codes[0].grouped()).await.unwrap(),
        Redemption::Rejected,
        "{}",
        db.name
    );
    assert!(
        matches!(desk.redeem("jeanluc.moreau", new.codes[0].grouped()).await.unwrap(), Redemption::Accepted { .. }),
        "{}",
        db.name
    );
    desk.revoke_codes(&agent, user.id).await.unwrap();
    assert_eq!(
        desk.redeem("jeanluc.moreau", new.codes[1].grouped()).await.unwrap(),
        Redemption::Rejected,
        "{}",
        db.name
    );
    assert!(matches!(desk.revoke_codes(&agent, user.id).await, Err(DeskError::NoActiveBatch)));
    // Each of those queued notices to the addresses on file.
    let kinds: Vec<String> = db.store.notifications(user.id).await.unwrap().into_iter().map(|n| n.kind).collect();
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(count("backup_codes_generated"), 4, "{}: email and SMS for each batch", db.name);
    assert_eq!(count("backup_code_redeemed"), 2, "{}", db.name);
    assert_eq!(count("backup_codes_revoked"), 2, "{}", db.name);
}

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

async fn sixteen_concurrent_generations_leave_one_active_batch(db: TestDb) {
    let _turn = common::MANY_CONNECTIONS.lock().await;
    let desk = db.desk(roomy());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("maria.garcia").await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let desk = db.separate_desk(roomy()).await;
        let agent = agent.clone();
        tasks.push(tokio::spawn(async move {
            desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap()
        }));
    }
    let mut batches = Vec::new();
    for t in tasks {
        batches.push(t.await.unwrap());
    }
    let active = db.store.code_state(user.id, desk.now()).await.unwrap().expect("an active batch");
    let mut working = 0;
    for b in &batches {
        if matches!(desk.redeem("maria.garcia", b.codes[0].grouped()).await.unwrap(), Redemption::Accepted { .. }) {
            working += 1;
            assert_eq!(b.batch_id, active.id, "{}", db.name);
        }
    }
    assert_eq!(working, 1, "{}: {working} batches still work", db.name);
    let events = db.store.recent_audit(Some(user.id), 100).await.unwrap();
    let generated = events.iter().filter(|e| e.action == AuditAction::BackupCodesGenerated.as_str()).count();
    assert_eq!(generated, 16, "{}", db.name);
}

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

on_each_backend!(
    permission_matrix_every_actor_against_every_target,
    a_new_batch_revokes_the_old_and_revoking_works,
    revoking_an_expired_batch_says_there_is_nothing_active,
    an_admin_without_the_permission_may_not_generate,
);

on_each_backend!(multi_thread:
    sixteen_concurrent_generations_leave_one_active_batch,
);
