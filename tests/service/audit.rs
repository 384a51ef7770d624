//! The audit log: append-only, complete, and hash-chained so that `helpdesk audit verify`
//! names the first event edited or removed, and every event appended by a writer without
//! the audit key.

use crate::common;
use common::{TestDb, login, *};
use helpdesk::desk::{DeskError, HelpDesk, Limits};
use helpdesk::domain::audit::{IdentityCheck, NoteError};
use helpdesk::domain::audit_chain::{self, AuditKey, ChainBreak, ChainHash, ChainedFields};
use helpdesk::store::Opening;
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

/// What another writer of the database may do: append an approval through SQL, linked to
/// the chain head by `link`, and move the head to it. Its id.
async fn append_through_sql(
    db: &TestDb,
    url: &str,
    detail: &str,
    link: impl Fn(&ChainHash, &ChainedFields) -> ChainHash,
) -> i64 {
    let (_, prev) = chain_head(db, url).await;
    let at = helpdesk::domain::time::now();
    let fields = ChainedFields {
        at,
        actor_id: None,
        actor: "ada.admin",
        target_id: None,
        target: "amara.okafor",
        action: "code_request_approved",
        identity_check: None,
        note: None,
        code_count: None,
        expires_at: None,
        detail: Some(detail),
        batch_id: None,
    };
    let hash = bytes(db, &link(&prev.try_into().unwrap(), &fields));
    let sql = format!(
        "INSERT INTO audit_events (at, actor, target, action, detail, chain_hash) VALUES \
         ({at}, 'ada.admin', 'amara.okafor', 'code_request_approved', '{detail}', {hash}); \
         UPDATE audit_chain SET last_id = (SELECT MAX(id) FROM audit_events), last_hash = {hash} WHERE id = 1"
    );
    raw_script_on(db, url, &sql).await.expect("another writer's append");
    chain_head(db, url).await.0
}

/// A byte string as `db`'s SQL writes it.
fn bytes(db: &TestDb, bytes: &[u8]) -> String {
    if db.name == "sqlite" { format!("X'{}'", hex(bytes)) } else { format!("'\\x{}'::bytea", hex(bytes)) }
}

async fn chain_head(db: &TestDb, url: &str) -> (i64, Vec<u8>) {
    use sqlx::Connection;
    let sql = "SELECT last_id, last_hash FROM audit_chain WHERE id = 1";
    if db.name == "sqlite" {
        sqlx::query_as(sql).fetch_one(&mut sqlx::SqliteConnection::connect(url).await.unwrap()).await.unwrap()
    } else {
        sqlx::query_as(sql).fetch_one(&mut sqlx::PgConnection::connect(url).await.unwrap()).await.unwrap()
    }
}

async fn raw_script_on(db: &TestDb, url: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    if db.name == "sqlite" {
        sqlx::raw_sql(sql).execute(&mut sqlx::SqliteConnection::connect(url).await?).await?;
    } else {
        sqlx::raw_sql(sql).execute(&mut sqlx::PgConnection::connect(url).await?).await?;
    }
    Ok(())
}

async fn an_event_appended_with_an_unkeyed_link_is_reported(db: TestDb) {
    let desk = db.desk(Limits::default());
    login(&desk, "ada.admin").await;
    let intact = audit_verify(&db);
    assert_eq!(intact.status.code(), Some(0), "{}: {}", db.name, String::from_utf8_lossy(&intact.stdout));

    // SHA-256 over the public encoding: what every link was before the chain was keyed.
    let forged = append_through_sql(&db, &db.url, "approved", audit_chain::link).await;
    let broken = audit_verify(&db);
    assert_eq!(broken.status.code(), Some(1), "{}: a forged event passed", db.name);
    let said = String::from_utf8_lossy(&broken.stdout);
    assert!(said.starts_with(&format!("broken at event {forged}:")) && said.contains("unkeyed"), "{}: {said}", db.name);
}

async fn an_event_linked_under_another_key_is_reported(db: TestDb) {
    let desk = db.desk(Limits::default());
    login(&desk, "ada.admin").await;
    let guessed = AuditKey::random().unwrap();
    let forged =
        append_through_sql(&db, &db.url, "approved", |prev, f| audit_chain::keyed_link(&guessed, prev, f)).await;
    let broken = audit_verify(&db);
    assert_eq!(broken.status.code(), Some(1), "{}: a forged event passed", db.name);
    let said = String::from_utf8_lossy(&broken.stdout);
    assert!(said.starts_with(&format!("broken at event {forged}:")), "{}: {said}", db.name);
}

/// A database from before the chain was keyed, with events its helpdesk linked with
/// SHA-256: upgraded, they verify as they did, and the first keyed link anchors them.
async fn events_written_before_keying_verify_and_stay_checked_after_the_upgrade(db: TestDb) {
    let (url, _dir) = common::before_migration(&db, 17).await;
    let old: Vec<i64> = {
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(append_through_sql(&db, &url, &format!("before keying {i}"), audit_chain::link).await);
        }
        ids
    };
    let open = || HelpDesk::open(&url, 2, Opening::Migrate, &db.audit_key, policy(), CHEAP, Limits::default());
    let desk = open().await.expect("the upgrade");
    let report = desk.verify_audit_chain().await.unwrap();
    assert_eq!((report.breaks.clone(), report.checked), (vec![], 4), "{}: the upgraded chain", db.name);
    let (anchor, _) = chain_head(&db, &url).await;
    assert!(anchor > old[2], "{}: the upgrade wrote no keyed event to anchor the chain", db.name);
    // Opening it again anchors nothing more.
    open().await.unwrap();
    assert_eq!(chain_head(&db, &url).await.0, anchor, "{}", db.name);

    // Where the keyed part begins is fixed: moved forward, unkeyed links would pass again.
    let moved = raw_script_on(&db, &url, "UPDATE audit_chain SET keyed_after = keyed_after + 100 WHERE id = 1").await;
    assert!(moved.is_err(), "{}: the keyed part's start was moved", db.name);

    // The owner, with the append-only triggers out of the way, edits an old event: its link
    // is still checked.
    let off = if db.name == "sqlite" {
        "DROP TRIGGER audit_events_no_update"
    } else {
        "ALTER TABLE audit_events DISABLE TRIGGER USER"
    };
    raw_script_on(&db, &url, off).await.unwrap();
    let edit = format!("UPDATE audit_events SET detail = 'rewritten' WHERE id = {}", old[1]);
    raw_script_on(&db, &url, &edit).await.unwrap();
    let report = desk.verify_audit_chain().await.unwrap();
    assert_eq!(report.breaks, vec![ChainBreak::Mismatch { id: old[1] }], "{}", db.name);

    // The old part relinked whole with fresh SHA-256 links (anyone can compute them): each
    // holds, but the first keyed link covered the old head, and does not.
    let mut prev = audit_chain::GENESIS;
    for (i, id) in old.iter().enumerate() {
        let detail = if i == 1 { "rewritten".to_owned() } else { format!("before keying {i}") };
        let events = desk_events(&db, &url).await;
        let e = events.iter().find(|e| e.id == *id).unwrap();
        assert_eq!(e.detail.as_deref(), Some(detail.as_str()));
        prev = audit_chain::link(&prev, &ChainedFields::from(e));
        let relink = format!("UPDATE audit_events SET chain_hash = {} WHERE id = {id}", bytes(&db, &prev));
        raw_script_on(&db, &url, &relink).await.unwrap();
    }
    let head = format!("UPDATE audit_chain SET last_hash = {} WHERE last_id = {}", bytes(&db, &prev), old[2]);
    raw_script_on(&db, &url, &head).await.unwrap();
    let report = desk.verify_audit_chain().await.unwrap();
    assert_eq!(report.breaks, vec![ChainBreak::Mismatch { id: anchor }], "{}: the rewrite passed", db.name);
}

/// Every event of the database at `url`, read as the verification reads them.
async fn desk_events(db: &TestDb, url: &str) -> Vec<helpdesk::domain::audit::AuditEvent> {
    let store = helpdesk::store::open(url, 1, &db.audit_key).await.unwrap();
    store.chained_audit_events(0, 1_000).await.unwrap().into_iter().map(|c| c.event).collect()
}

fn audit_verify(db: &TestDb) -> Output {
    audit_verify_with(db, &[])
}

fn audit_verify_with(db: &TestDb, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    db.write_key_file(dir.path());
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

on_each_backend!(
    the_audit_log_is_append_only_and_complete,
    audit_verify_names_the_first_edited_or_removed_event,
    an_event_appended_with_an_unkeyed_link_is_reported,
    an_event_linked_under_another_key_is_reported,
    events_written_before_keying_verify_and_stay_checked_after_the_upgrade,
);
