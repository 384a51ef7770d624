//! The audit log: append-only, complete, and hash-chained so that `helpdesk audit verify`
//! names the first event edited or removed.

use crate::common;
use common::{TestDb, login, *};
use helpdesk::desk::{DeskError, Limits};
use helpdesk::domain::audit::{IdentityCheck, NoteError};
use std::process::{Command, Output};

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

on_each_backend!(the_audit_log_is_append_only_and_complete, audit_verify_names_the_first_edited_or_removed_event,);
