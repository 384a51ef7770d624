//! A code as the Digital Banking login redeems it, through the service: once, forgiving
//! how it is typed, at the cost of one argon2 evaluation whatever the path, throttled per
//! user up to NIST's cap, never after a revocation.

use crate::common;
use common::{TestDb, login, *};
use helpdesk::desk::{DeskError, Limits, Redemption};
use helpdesk::domain::audit::{AuditAction, AuditEvent, IdentityCheck};
use std::sync::Arc;
use zeroize::Zeroizing;

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
    // answered in the same shape (and time) as a known one.
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

/// The cap on failures revokes the batch that was attacked: when a new batch was issued
/// meanwhile, the new one stays.
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

/// One username rule for every door: a look-alike (U+212A KELVIN SIGN for `k`, a dotted
/// capital I) never folds into a real username; it is answered like any unknown user,
/// with one evaluation, and counts nothing against the user it imitates.
async fn a_look_alike_username_is_nobody(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    for look_alike in ["amara.o\u{212A}afor", "AMARA.O\u{212A}AFOR"] {
        let before = desk.code_evaluations();
        let answer = desk.redeem(look_alike, issued.codes[0].grouped()).await.unwrap();
        assert_eq!(answer, Redemption::Rejected, "{}: {look_alike:?} redeemed amara's code", db.name);
        assert_eq!(desk.code_evaluations() - before, 1, "{}", db.name);
    }
    let state = db.store.code_state(amara.id, desk.now()).await.unwrap().unwrap();
    assert_eq!(state.unused, 10, "{}: a look-alike used a code", db.name);
    let failures: i64 = {
        let events = common::events_for(&db, amara.id).await;
        common::count(&events, helpdesk::domain::audit::AuditAction::BackupCodeRejected) as i64
    };
    assert_eq!(failures, 0, "{}: a look-alike's attempt was counted against amara", db.name);
    assert!(matches!(
        desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    // The staff sign-in keeps the same rule.
    let pass = zeroize::Zeroizing::new("agent-demo-pass-2026".to_owned());
    assert!(desk.sign_in("ALEX.AGENT", pass).await.is_ok(), "{}", db.name);
}

on_each_backend!(
    a_look_alike_username_is_nobody,
    a_code_works_once_and_typing_is_forgiving,
    an_expired_batch_is_rejected,
    throttling_locks_after_the_limit_and_a_success_resets_the_count,
    every_redemption_path_costs_one_argon2_evaluation,
    an_unknown_username_is_recorded_as_its_length_and_a_pseudonym,
    failures_across_lockouts_use_the_batch_up_at_the_cap,
    the_failure_cap_revokes_the_attacked_batch_only,
);

on_each_backend!(multi_thread:
    sixty_four_concurrent_redemptions_of_one_code_accept_exactly_one,
    parallel_wrong_guesses_never_exceed_the_throttle,
    sixty_four_redemptions_racing_a_revocation_never_land_after_it,
);
