//! A batch's rows as the database holds them whoever writes: a batch only together with
//! its generation audit event, which names it (migration 0022), and its codes only within
//! it (migration 0021). The helpers write batches as another writer who knows these rules
//! would, for the tests of the database's other rules.

use crate::common;
use common::{TestDb, login};
use helpdesk::desk::Limits;
use helpdesk::domain::audit::{AuditAction, IdentityCheck};

/// `bytes` as a literal of `db`'s dialect.
pub fn blob(db: &TestDb, bytes: &[u8]) -> String {
    if db.name == "sqlite" {
        format!("x'{}'", common::hex(bytes))
    } else {
        format!("'\\x{}'::bytea", common::hex(bytes))
    }
}

/// The columns a writer gives a batch.
const BATCH_COLUMNS: &str =
    "user_id, generated_by, created_at, salt, argon2_m, argon2_t, argon2_p, code_count, identity_check";

/// A `backup_codes_generated` event for `user` by `by`, naming the batch `batch` (an SQL
/// expression), as another writer would insert it.
fn event_sql(user: i64, by: i64, batch: &str) -> String {
    format!(
        "INSERT INTO audit_events (at, actor_id, actor, target_id, target, action, batch_id) \
         VALUES (0, {by}, 'another writer', {user}, 'a customer', 'backup_codes_generated', {batch})"
    )
}

/// One batch for `user` by `by` (`values`: its columns from `created_at` on) and the event
/// `event(batch)` makes for it, to run inside one transaction: on SQLite the event first,
/// then the batch with the id the event was given; on PostgreSQL the batch, then its event
/// (checked at the commit).
fn batch_and_event(db: &TestDb, user: i64, by: i64, values: &str, event: impl Fn(&str) -> String) -> String {
    let (batch, id) = batch_insert(db, user, by, values);
    if db.name == "sqlite" { format!("{}; {batch};", event(id)) } else { format!("{batch}; {};", event(id)) }
}

/// One batch's INSERT, with the SQL expression of the id it gets: on SQLite given, the
/// next one (a batch's BEFORE INSERT trigger sees -1 for an id still to be assigned); on
/// PostgreSQL assigned, and read back with `currval`.
fn batch_insert(db: &TestDb, user: i64, by: i64, values: &str) -> (String, &'static str) {
    if db.name == "sqlite" {
        let id = "(SELECT COALESCE(MAX(id), 0) + 1 FROM backup_code_batches)";
        (format!("INSERT INTO backup_code_batches (id, {BATCH_COLUMNS}) VALUES ({id}, {user}, {by}, {values})"), id)
    } else {
        let id = "currval(pg_get_serial_sequence('backup_code_batches', 'id'))";
        (format!("INSERT INTO backup_code_batches ({BATCH_COLUMNS}) VALUES ({user}, {by}, {values})"), id)
    }
}

/// One batch with its own generation event, as the database requires (`batch_and_event`).
pub fn batch_with_event(db: &TestDb, user: i64, by: i64, values: &str) -> String {
    batch_and_event(db, user, by, values, |batch| event_sql(user, by, batch))
}

/// A batch for `user` as another writer would insert it, after revoking the user's batch:
/// cost `(m, t, p)`, `salt`, one code per hash, and its generation event.
pub fn batch_sql(db: &TestDb, user: i64, by: i64, cost: (i64, i64, i64), salt: &[u8], hashes: &[&[u8]]) -> String {
    let (m, t, p) = cost;
    let values = format!("0, {}, {m}, {t}, {p}, {}, 'other'", blob(db, salt), hashes.len());
    let mut sql = format!(
        "UPDATE backup_code_batches SET revoked_at = 0 WHERE user_id = {user} AND revoked_at IS NULL; {}",
        batch_with_event(db, user, by, &values)
    );
    for hash in hashes {
        sql.push_str(&format!(
            "INSERT INTO backup_codes (batch_id, code_hash) VALUES ((SELECT MAX(id) FROM backup_code_batches), {});",
            blob(db, hash)
        ));
    }
    format!("BEGIN; {sql} COMMIT;")
}

/// A batch holds no more codes than its `code_count`, whoever writes; on PostgreSQL a code
/// is also written only in its batch's own transaction.
async fn codes_stay_within_their_batch(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let extra = |batch: &str, byte: u8| {
        format!("INSERT INTO backup_codes (batch_id, code_hash) VALUES ({batch}, {})", blob(&db, &[byte; 32]))
    };
    // The product's own batch is full: a code added later is refused.
    let refused = db.raw_execute(&extra(&issued.batch_id.to_string(), 1)).await;
    let err = refused.expect_err("a code was added to a full batch").to_string();
    assert!(err.contains("code_count") || err.contains("own transaction"), "{}: {err}", db.name);

    // A batch written with room for two codes, in one transaction: two go in, a third is refused.
    let user = db.user("jeanluc.moreau").await;
    let values = format!("0, {}, 19456, 2, 1, 2, 'other'", blob(&db, &[0; 16]));
    let batch = batch_with_event(&db, user.id, agent.staff.id, &values);
    let newest = "(SELECT MAX(id) FROM backup_code_batches)";
    let (first, second, third) = (extra(newest, 2), extra(newest, 3), extra(newest, 4));
    if db.name == "sqlite" {
        db.raw_script(&format!("BEGIN; {batch} {first}; {second}; COMMIT;")).await.unwrap();
        assert!(db.raw_execute(&third).await.is_err(), "{}: a third code went into a batch of two", db.name);
    } else {
        let over = db.raw_script(&format!("{batch} {first}; {second}; {third}")).await;
        assert!(over.is_err(), "{}: a third code went into a batch of two", db.name);
        // Room left, but not in the batch's own transaction.
        db.raw_script(&format!("{batch} {first}")).await.unwrap();
        let later = db.raw_execute(&second).await.expect_err("a code was added in another transaction");
        assert!(later.to_string().contains("own transaction"), "{}: {later}", db.name);
    }
    // The product still generates: a new batch replaces the old one, all its codes stored.
    desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
}

/// A batch exists only together with its own generation audit event, written in the same
/// transaction, whoever writes (migration 0022): a batch alone is refused; so is one whose
/// event is for another user, by another member of staff, of another kind, names another
/// batch, or was written by an earlier transaction; one event does not cover two batches.
/// The product's own generation names its batch, and the chain covers it.
async fn a_batch_is_written_only_with_its_generation_event(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let (amara, john, ada) = (db.user("amara.okafor").await, db.user("john.smith").await, db.user("ada.admin").await);
    let (user, by) = (amara.id, agent.staff.id);
    // The product's own: its generation event names the batch, and the chain verifies.
    let issued = desk.generate_codes(&agent, user, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let events = db.store.recent_audit(Some(user), 10).await.unwrap();
    let generated = events.iter().find(|e| e.action == AuditAction::BackupCodesGenerated.as_str()).unwrap();
    assert_eq!(generated.batch_id, Some(issued.batch_id), "{}: {generated:?}", db.name);
    let report = desk.verify_audit_chain().await.unwrap();
    assert!(report.broken.is_none(), "{}: {report:?}", db.name);

    // Every attempt revokes the user's batch first, so that only this rule can refuse it.
    let revoke =
        format!("UPDATE backup_code_batches SET revoked_at = 0 WHERE user_id = {user} AND revoked_at IS NULL;");
    let values = format!("0, {}, 19456, 2, 1, 1, 'other'", blob(&db, &[0; 16]));
    let in_one = |sql: String| format!("BEGIN; {revoke} {sql} COMMIT;");
    let refused = |what: &str, result: Result<(), sqlx::Error>| {
        let err = result.err().unwrap_or_else(|| panic!("{}: the database stored {what}", db.name)).to_string();
        assert!(err.contains("generation audit event"), "{}: {what}: {err}", db.name);
    };
    let (alone, _) = batch_insert(&db, user, by, &values);
    refused("a batch alone", db.raw_script(&in_one(format!("{alone};"))).await);
    // (what, the event's user, its actor, its action, the batch it names after this one's)
    let not_its_own = [
        ("a batch with another user's event", john.id, by, "backup_codes_generated", 0),
        ("a batch with another generator's event", user, ada.id, "backup_codes_generated", 0),
        ("a batch with a revocation's event", user, by, "backup_codes_revoked", 0),
        ("a batch with another batch's event", user, by, "backup_codes_generated", 1),
    ];
    for (what, event_user, actor, action, after) in not_its_own {
        let event =
            |b: &str| event_sql(event_user, actor, &format!("{b} + {after}")).replace("backup_codes_generated", action);
        refused(what, db.raw_script(&in_one(batch_and_event(&db, user, by, &values, event))).await);
    }
    // Its event committed by an earlier transaction, on another connection; and on the same
    // connection with another event written since (SQLite has no transaction id: there
    // the event must be the connection's last insert and the log's newest event).
    let given = if db.name == "sqlite" { "" } else { "OVERRIDING SYSTEM VALUE" };
    let with_id = |id: i64| {
        format!("INSERT INTO backup_code_batches (id, {BATCH_COLUMNS}) {given} VALUES ({id}, {user}, {by}, {values});")
    };
    db.raw_execute(&event_sql(user, by, "900001")).await.unwrap();
    refused("a batch whose event another connection wrote before", db.raw_script(&in_one(with_id(900_001))).await);
    let other = "INSERT INTO audit_events (at, actor, target, action) VALUES (0, 'x', 'x', 'staff_login')";
    let earlier = format!("BEGIN; {}; COMMIT; {other}; {}", event_sql(user, by, "900002"), in_one(with_id(900_002)));
    refused("a batch whose event an earlier transaction wrote", db.raw_script(&earlier).await);
    // One event, two batches: the second is refused.
    let twice = format!("{} {revoke} {alone};", batch_with_event(&db, user, by, &values));
    refused("two batches with one event", db.raw_script(&in_one(twice)).await);
    // With its own event, in one transaction, a batch is stored.
    db.raw_script(&in_one(batch_with_event(&db, user, by, &values))).await.unwrap();
    let stored = db.store.code_state(user, desk.now()).await.unwrap().expect("the batch with its event");
    assert_ne!(stored.id, issued.batch_id, "{}", db.name);
}

on_each_backend!(a_batch_is_written_only_with_its_generation_event, codes_stay_within_their_batch);
