//! The security rules of DESIGN.md, on every backend `common::backends` can reach.

use crate::common;

use std::sync::Arc;

use common::{TestDb, login};
use helpdesk::desk::{DeskError, Limits, Redemption};
use helpdesk::domain::access::Refusal;
use helpdesk::domain::audit::{AuditAction, IdentityCheck, NoteError};
use zeroize::Zeroizing;

fn typed(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

type Rule = Result<(), Refusal>;

/// Room for many failures, and for many batches for one user in a day.
fn roomy() -> Limits {
    let velocity =
        helpdesk::domain::two_person::VelocityLimits { per_user_day: 100, per_agent_hour: 100, per_agent_day: 100 };
    Limits { redeem_max_failures: 100, velocity, ..Limits::default() }
}

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

async fn a_code_works_once_and_typing_is_forgiving(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let issued = desk
        .generate_codes(&agent, amara.id, IdentityCheck::CallBackNumberOnFile, Some("called back".into()))
        .await
        .unwrap();
    let first = issued.codes[0].grouped();
    assert!(
        matches!(desk.redeem("amara.okafor", first.clone()).await.unwrap(), Redemption::Accepted { .. }),
        "{}",
        db.name
    );
    assert_eq!(desk.redeem("amara.okafor", first).await.unwrap(), Redemption::Rejected, "{}: second use", db.name);
    // lower case, spaces instead of hyphens, and the username in capitals
    let sloppy = typed(&issued.codes[1].grouped().to_lowercase().replace('-', " "));
    assert!(matches!(desk.redeem("AMARA.OKAFOR", sloppy).await.unwrap(), Redemption::Accepted { .. }), "{}", db.name);
    assert_eq!(desk.redeem("amara.okafor", typed("not a code")).await.unwrap(), Redemption::Rejected);
    // Another user's name with this user's code fails.
    assert_eq!(desk.redeem("jeanluc.moreau", issued.codes[2].grouped()).await.unwrap(), Redemption::Rejected);
    let state = db.store.code_state(amara.id, desk.now()).await.unwrap().unwrap();
    assert_eq!((state.code_count, state.unused, state.generated_by.as_str()), (10, 8, "alex.agent"), "{}", db.name);
}

async fn an_expired_batch_is_rejected(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("hiroshi.tanaka").await;
    let issued = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    assert_eq!(issued.expires_at, Some(desk.now() + 72 * 3600));
    db.advance(72 * 3600 + 1);
    assert_eq!(
        desk.redeem("hiroshi.tanaka", issued.codes[0].grouped()).await.unwrap(),
        Redemption::Rejected,
        "{}",
        db.name
    );
    assert!(db.store.code_state(user.id, desk.now()).await.unwrap().is_none(), "{}", db.name);
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

async fn sixty_four_concurrent_redemptions_of_one_code_accept_exactly_one(db: TestDb) {
    let _turn = common::MANY_CONNECTIONS.lock().await;
    let desk = db.desk(roomy());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("siobhan.obrien").await;
    let issued = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let code = Arc::new(issued.codes[0].grouped());
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let desk = db.separate_desk(roomy()).await;
        let (code, barrier) = (code.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            desk.redeem("siobhan.obrien", Zeroizing::new(code.to_string())).await.unwrap()
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Redemption::Accepted { .. }) {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1, "{}: one code, {accepted} logins", db.name);
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

async fn throttling_locks_after_the_limit_and_a_success_resets_the_count(db: TestDb) {
    let limits = Limits { redeem_max_failures: 3, redeem_lockout_secs: 900, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let wrong = || typed("0000-0000-0000");

    // Two failures, then a success: the count starts again.
    for _ in 0..2 {
        assert_eq!(desk.redeem("amara.okafor", wrong()).await.unwrap(), Redemption::Rejected);
    }
    assert!(
        matches!(desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap(), Redemption::Accepted { .. }),
        "{}",
        db.name
    );
    for _ in 0..2 {
        assert_eq!(desk.redeem("amara.okafor", wrong()).await.unwrap(), Redemption::Rejected);
    }
    assert!(
        matches!(desk.redeem("amara.okafor", issued.codes[1].grouped()).await.unwrap(), Redemption::Accepted { .. }),
        "{}: reset",
        db.name
    );

    // Three in a row lock; even a right code is refused until the lock ends.
    for _ in 0..3 {
        assert_eq!(desk.redeem("amara.okafor", wrong()).await.unwrap(), Redemption::Rejected);
    }
    let locked = desk.redeem("amara.okafor", issued.codes[2].grouped()).await.unwrap();
    assert_eq!(locked, Redemption::Locked { until: desk.now() + 900 }, "{}", db.name);
    db.advance(901);
    assert!(
        matches!(desk.redeem("amara.okafor", issued.codes[2].grouped()).await.unwrap(), Redemption::Accepted { .. }),
        "{}",
        db.name
    );

    let events = db.store.recent_audit(Some(user.id), 100).await.unwrap();
    let count = |a: AuditAction| events.iter().filter(|e| e.action == a.as_str()).count();
    assert_eq!(count(AuditAction::BackupCodesLocked), 1, "{}", db.name);
    assert_eq!(count(AuditAction::BackupCodeRejected), 8, "{}", db.name);
    assert_eq!(count(AuditAction::BackupCodeRedeemed), 3, "{}", db.name);
}

async fn the_audit_log_is_append_only_and_complete(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("amara.okafor").await;
    let note = Some("branch manager vouched".into());
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, note).await.unwrap();
    let events = db.store.recent_audit(Some(user.id), 1).await.unwrap();
    let e = &events[0];
    assert_eq!(e.action, "backup_codes_generated");
    assert_eq!((e.actor.as_str(), e.target.as_str()), ("alex.agent", "amara.okafor"));
    assert_eq!(e.identity_check.as_deref(), Some("in_person_photo_id"));
    assert_eq!(e.note.as_deref(), Some("branch manager vouched"));
    assert_eq!(e.code_count, Some(10));
    assert!(e.expires_at.is_some());
    // "Other" without a note is refused.
    let refused = desk.generate_codes(&agent, user.id, IdentityCheck::Other, None).await;
    assert!(matches!(refused, Err(DeskError::Note(NoteError::Required))), "{}", db.name);

    let tamper = db.raw_execute("UPDATE audit_events SET note = 'edited'").await;
    assert!(tamper.is_err(), "{}: an audit event was edited", db.name);
    let tamper = db.raw_execute("DELETE FROM audit_events").await;
    assert!(tamper.is_err(), "{}: audit events were deleted", db.name);
}

on_each_backend!(
    permission_matrix_every_actor_against_every_target,
    a_code_works_once_and_typing_is_forgiving,
    an_expired_batch_is_rejected,
    a_new_batch_revokes_the_old_and_revoking_works,
    throttling_locks_after_the_limit_and_a_success_resets_the_count,
    the_audit_log_is_append_only_and_complete,
);

on_each_backend!(multi_thread:
    sixty_four_concurrent_redemptions_of_one_code_accept_exactly_one,
    sixteen_concurrent_generations_leave_one_active_batch,
);
