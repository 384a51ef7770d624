//! What the database holds whoever writes to it: one unrevoked batch a user, a used code
//! never unused, the chain never blinded, a request for codes moved only as the product
//! moves it; and on PostgreSQL, TLS when asked for and one role a writer (deploy/): the
//! runtime role runs the service but cannot erase the audit log, the Digital Banking
//! login's writes customers' profiles and devices only, the messaging system's marks
//! notices sent only.

use crate::batch_rules::{batch_sql, batch_with_event, blob};
use crate::common;
use common::{CHEAP, TestDb, login};
use helpdesk::desk::{DeskError, Generation, HelpDesk, Limits, ProfileEdit, Redemption, WarningChoice};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::audit_chain::AuditKey;
use helpdesk::domain::codes::{self, CodePolicy, HashCost};
use helpdesk::domain::two_person::ContactField;
use helpdesk::store::{self, Opening};

async fn a_second_unrevoked_batch_is_refused_by_the_database(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("john.smith").await;
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    // With its generation event, so that only this rule can refuse it.
    let values = format!("0, {}, 19456, 2, 1, 1, 'other'", blob(&db, &[0]));
    let insert = format!("BEGIN; {} COMMIT;", batch_with_event(&db, user.id, agent.staff.id, &values));
    let second = db.raw_script(&insert).await;
    let err = second.expect_err("a second unrevoked batch was stored").to_string();
    assert!(err.contains("backup_code_batches") || err.to_lowercase().contains("unique"), "{}: {err}", db.name);
}

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

/// An insert over an existing user cannot change a contact detail unrecorded: on SQLite a
/// REPLACE (or an upsert) over a user is refused, since its delete fires no trigger; on
/// PostgreSQL an upsert's UPDATE is recorded as a contact change like any other.
async fn an_insert_over_a_user_is_refused_or_recorded(db: TestDb) {
    let amara = db.user("amara.okafor").await;
    let recorded = db.store.contact_changes(amara.id, 0).await.unwrap().len();
    let new_phone = "+447700900999";
    if db.name == "sqlite" {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        // The stored columns (a generated one cannot be written).
        let cols: String = sqlx::query_scalar("SELECT group_concat(name, ', ') FROM pragma_table_info('users')")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        for verb in ["REPLACE", "INSERT OR REPLACE"] {
            let attack = format!(
                "CREATE TEMP TABLE t AS SELECT {cols} FROM users WHERE username = 'amara.okafor'; \
                 UPDATE t SET phone = '{new_phone}'; {verb} INTO users ({cols}) SELECT {cols} FROM t;"
            );
            let err = db.raw_script(&attack).await.expect_err("sqlite: an insert over a user was allowed").to_string();
            assert!(err.contains("never replaced"), "sqlite: {attack}: {err}");
        }
        let upsert = format!(
            "INSERT INTO users ({cols}) SELECT {cols} FROM users WHERE username = 'amara.okafor' \
             ON CONFLICT (username) DO UPDATE SET phone = '{new_phone}'"
        );
        let err = db.raw_execute(&upsert).await.expect_err("sqlite: an upsert over a user was allowed").to_string();
        assert!(err.contains("never replaced"), "sqlite: {upsert}: {err}");
        assert_eq!(db.user("amara.okafor").await.phone, amara.phone, "sqlite: the phone changed");
        assert_eq!(db.store.contact_changes(amara.id, 0).await.unwrap().len(), recorded);
    } else {
        let upsert = format!(
            "DO $$ DECLARE cols text; BEGIN \
             SELECT string_agg(quote_ident(column_name), ', ') INTO cols FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'users' AND is_generated = 'NEVER' \
             AND column_name <> 'id'; \
             EXECUTE format('INSERT INTO users (%s) SELECT %s FROM users WHERE username = %L \
             ON CONFLICT (username) DO UPDATE SET phone = %L', cols, cols, 'amara.okafor', '{new_phone}'); END $$"
        );
        db.raw_script(&upsert).await.unwrap();
        assert_eq!(db.user("amara.okafor").await.phone, new_phone, "postgres: the upsert did not update");
        let changes = db.store.contact_changes(amara.id, 0).await.unwrap().len();
        assert_eq!(changes, recorded + 1, "postgres: the upsert's change was not recorded");
    }
}

/// The database's bounds on a batch's cost are the domain's (`HashCost::within_bounds`):
/// each edge of them, inserted as another writer would, is stored exactly when the domain
/// allows it; and the cost that held `verify-code` for seconds is refused. (A revoked
/// batch is never hashed with: the rule is on batches that can be used.)
async fn a_batch_cost_outside_the_bounds_is_refused_by_the_database(db: TestDb) {
    let (user, agent) = (db.user("john.smith").await, db.user("alex.agent").await);
    let mut edges = vec![(262_144, 2, 1), (262_145, 2, 1), (7_168, 16, 1), (7_168, 17, 1), (19_456, 2, 16)];
    edges.extend([(19_456, 2, 17), (19_456, 2, 0), (65_536, 8, 1), (65_537, 8, 1), (19_456, 4_000_000_000, 1)]);
    for (m, t) in HashCost::OWASP_MINIMUMS {
        edges.extend([(m, t, 1), (m - 1, t, 1), (m, t - 1, 1)]);
    }
    for (m, t, p) in edges {
        let cost = HashCost { memory_kib: m, iterations: t, parallelism: p };
        let sql = batch_sql(&db, user.id, agent.id, (m.into(), t.into(), p.into()), b"0123456789abcdef", &[]);
        let stored = db.raw_script(&sql).await;
        assert_eq!(stored.is_ok(), cost.within_bounds().is_ok(), "{}: {cost:?}: {stored:?}", db.name);
    }
    for (m, t, p) in [(19_456, -1, 1), (-19_456, 2, 1), (19_456, 2, -1), (1 << 40, 2, 1)] {
        let sql = batch_sql(&db, user.id, agent.id, (m, t, p), b"0123456789abcdef", &[]);
        assert!(db.raw_script(&sql).await.is_err(), "{}: the database stored the cost ({m}, {t}, {p})", db.name);
    }
}

/// A batch written before the database held the bounds (the rule taken away as its owner
/// can, the row written, the rule back): the redemption refuses its cost before hashing,
/// spends one evaluation at the configured cost, and audits why. A right code of a batch
/// hashed below the floor does not work; a batch that asks for four billion passes answers
/// after one ordinary evaluation.
async fn a_stored_cost_outside_the_bounds_is_refused_before_hashing(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (amara, agent) = (db.user("amara.okafor").await, db.user("alex.agent").await);
    let weak = HashCost { memory_kib: 8, iterations: 1, parallelism: 1 };
    let issued = codes::generate(&CodePolicy::new(10, 12, 4, None, weak).unwrap()).unwrap();
    let (drop_rule, restore_rule) = cost_rule_toggles(&db);
    for (cost, salt, hash) in [
        ((8, 1, 1), &issued.salt[..], &issued.hashes[0][..]),
        ((19_456, 4_000_000_000, 1), &[7u8; 16][..], &[0u8; 32][..]),
    ] {
        db.raw_script(drop_rule).await.unwrap();
        db.raw_script(&batch_sql(&db, amara.id, agent.id, cost, salt, &[hash])).await.unwrap();
        db.raw_script(&restore_rule).await.unwrap();
        let before = desk.code_evaluations();
        let answer = desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap();
        assert_eq!(answer, Redemption::Rejected, "{}: a batch at {cost:?} was used", db.name);
        assert_eq!(desk.code_evaluations() - before, 1, "{}: evaluations for a batch at {cost:?}", db.name);
        let events = db.store.recent_audit(Some(amara.id), 1).await.unwrap();
        assert!(
            events[0].detail.as_deref().unwrap_or_default().contains("cost the product does not use"),
            "{}: {events:?}",
            db.name
        );
    }
}

/// The statements that take the cost rule away and put it back (as the database's owner).
fn cost_rule_toggles(db: &TestDb) -> (&'static str, String) {
    if db.name == "sqlite" {
        let migration = include_str!("../../migrations/sqlite/0018_rows_nobody_may_insert.sql");
        let start = migration.find("CREATE TRIGGER backup_code_batches_cost_bounds").unwrap();
        let end = start + migration[start..].find("END;").unwrap() + 4;
        ("DROP TRIGGER backup_code_batches_cost_bounds", migration[start..end].to_owned())
    } else {
        let migration = include_str!("../../migrations/postgres/0018_rows_nobody_may_insert.sql");
        let start =
            migration.find("ALTER TABLE backup_code_batches ADD CONSTRAINT backup_code_batches_cost_bounds").unwrap();
        let end = start + migration[start..].find("NOT VALID;").unwrap() + 10;
        (
            "ALTER TABLE backup_code_batches DROP CONSTRAINT backup_code_batches_cost_bounds",
            migration[start..end].to_owned(),
        )
    }
}

#[tokio::test]
async fn on_postgres_sslmode_require_connects_over_tls() {
    let Some(db) = common::seeded_postgres().await else { return };
    let url = format!("{}&sslmode=require", db.url);
    assert_eq!(helpdesk::store::redact(&url), url, "the URL has no password to hide");
    let store =
        store::open_with(&url, 1, Opening::Run, &db.audit_key).await.expect("sslmode=require against the test server");
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

/// Runs `checks(url, role)` connected as a throw-away role made by the deploy script
/// `script` (its role `name` renamed, so that parallel tests do not meet), on a thread of
/// its own so that a failed check still reaches the clean-up: the role is dropped whatever
/// happened, and the cluster left as it was found.
async fn as_deployed_role<F, Fut>(db: &TestDb, script: &str, name: &str, checks: F)
where
    F: FnOnce(String, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let role = format!("{name}_{}", common::hex(&codes::random_bytes::<6>().unwrap()));
    let mut owner = pg(&db.url).await;
    sqlx::raw_sql(&script.replace(name, &role)).execute(&mut owner).await.expect("the deploy script");
    let (url, who) = (as_role(&db.url, &role), role.clone());
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        runtime.block_on(checks(url, who))
    })
    .join();
    let cleanup = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'; \
         DROP OWNED BY {role}; DROP ROLE {role};"
    );
    sqlx::raw_sql(&cleanup).execute(&mut owner).await.expect("dropping the test role");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Each statement of `attacks`, on a connection of its own as `url`'s role, is refused.
async fn all_refused(url: &str, who: &str, attacks: &[&str]) {
    for attack in attacks {
        let mut c = pg(url).await;
        let done = sqlx::raw_sql(attack).execute(&mut c).await;
        let err = done.err().unwrap_or_else(|| panic!("the {who} role could: {attack}")).to_string();
        assert!(
            err.contains("permission denied") || err.contains("row-level security"),
            "the {who} role was refused {attack} for another reason: {err}"
        );
    }
}

#[tokio::test]
async fn on_postgres_the_runtime_role_runs_the_service_but_cannot_erase_the_audit_log() {
    let Some(db) = common::seeded_postgres().await else { return };
    let amara = db.user("amara.okafor").await.id;
    let key = db.audit_key.clone();
    let script = include_str!("../../deploy/postgres-runtime-role.sql");
    as_deployed_role(&db, script, "helpdesk_runtime", move |url, role| async move {
        runtime_role_checks(&url, &role, amara, &key).await
    })
    .await;
}

async fn runtime_role_checks(url: &str, role: &str, amara: i64, key: &AuditKey) {
    // The service, through the runtime role: it does not migrate, only checks the version.
    let store = store::open_with(url, 4, Opening::Run, key).await.expect("the service as the runtime role");
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
    desk.update_profile(
        &agent,
        amara,
        ProfileEdit { first_name: "Amara", last_name: "Okafor", email: &amara_user.email, phone: "+447911123456" },
    )
    .await
    .unwrap();
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
    // A grant through the runtime role: ada asks, ben approves, the role applies; the
    // owner's stand-in is not the runtime role's to write.
    let nora = store.user_by_username("nora.noperm").await.unwrap().unwrap().id;
    common::grant(&desk, &admin, nora, helpdesk::domain::access::StaffChange::Promote, Some(&ben)).await;
    assert!(store.staff(nora).await.unwrap().unwrap().is_admin(), "the approved grant did not apply");
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
        // What the product never updates: a user's identity, a request's history, a
        // session's owner and start.
        "UPDATE users SET username = username",
        "UPDATE users SET kind = kind",
        "UPDATE users SET created_at = created_at",
        "UPDATE users SET institution_id = institution_id",
        "UPDATE code_requests SET requester_id = requester_id",
        "UPDATE code_requests SET created_at = created_at",
        "UPDATE code_requests SET state = 'approved'",
        "UPDATE grant_requests SET decided_by_owner = true",
        "UPDATE grant_requests SET subject_id = subject_id",
        "DELETE FROM grant_requests",
        "UPDATE staff_sessions SET staff_id = staff_id",
        "UPDATE staff_sessions SET started_at = started_at",
        "UPDATE unknown_username_throttle SET id = id",
    ] {
        let mut c = pg(url).await;
        let done = sqlx::raw_sql(attack).execute(&mut c).await;
        assert!(done.is_err(), "the runtime role could: {attack}");
    }
    // A request's history is not the runtime role's to change even while it is open (the
    // transition trigger refuses it too, whoever writes).
    for column in ["requester_id", "target_id", "identity_check", "signals", "contact_seen", "created_at", "expires_at"]
    {
        let may: bool = sqlx::query_scalar("SELECT has_column_privilege('code_requests', $1, 'UPDATE')")
            .bind(column)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(!may, "the runtime role may update code_requests.{column}");
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

/// The statements of "what was seen" that no writer but helpdesk may run: codes minted
/// through SQL, a request approved by hand, a contact change marked handled, staff powers,
/// the audit log, sessions and serve clients. `{user}` a customer's id, `{staff}` an admin's.
const NOT_FOR_OTHER_SYSTEMS: &[&str] = &[
    "INSERT INTO backup_code_batches (user_id, generated_by, created_at, salt, argon2_m, argon2_t, argon2_p, \
     code_count, identity_check) VALUES ({user}, {staff}, 0, '\\x00'::bytea, 19456, 2, 1, 1, 'other')",
    "INSERT INTO backup_codes (batch_id, code_hash) SELECT id, '\\x00'::bytea FROM backup_code_batches LIMIT 1",
    "INSERT INTO backup_codes (batch_id, code_hash) VALUES (1, '\\x00'::bytea)",
    "SELECT code_hash FROM backup_codes",
    "SELECT salt FROM backup_code_batches",
    "UPDATE backup_code_batches SET revoked_at = NULL",
    "UPDATE code_requests SET state = 'approved'",
    "INSERT INTO code_requests (requester_id, target_id, identity_check, signals, reasons, created_at, expires_at) \
     VALUES ({staff}, {user}, 'other', '', '', 0, 0)",
    "SELECT state FROM code_requests",
    "UPDATE contact_changes SET handled = 1",
    "SELECT old_value FROM contact_changes",
    "UPDATE users SET staff_role = 'admin'",
    "UPDATE users SET password_hash = NULL",
    "UPDATE users SET disabled_at = NULL",
    "UPDATE users SET kind = kind",
    "UPDATE users SET username = username",
    "UPDATE users SET code_failures = 0, codes_locked_until = NULL, code_failures_total = 0",
    "UPDATE users SET login_failures = 0, login_locked_until = NULL",
    "UPDATE users SET sort_key = sort_key, keys_stale = 0",
    "SELECT password_hash FROM users",
    "INSERT INTO users (institution_id, kind, username, first_name, last_name, email, phone, enrolment, staff_role, \
     created_at, updated_at) VALUES (1, 'staff', 'eve.admin', 'Eve', 'Admin', 'eve@bank.example', '', 'enrolled', \
     'admin', 0, 0)",
    "DELETE FROM users",
    "INSERT INTO staff_permissions (user_id, permission) VALUES ({staff}, 'generate_lockout_codes')",
    "DELETE FROM staff_permissions",
    "INSERT INTO audit_events (at, actor, target, action) VALUES (0, 'x', 'x', 'staff_login')",
    "SELECT note FROM audit_events",
    "UPDATE audit_chain SET last_id = last_id",
    "INSERT INTO staff_sessions (staff_id, started_at, last_seen_at) VALUES ({staff}, 0, 0)",
    "UPDATE staff_sessions SET ended_at = NULL",
    "INSERT INTO serve_clients (name, token_hash, created_at, created_by) \
     VALUES ('eve', sha256('x'), 0, {staff})",
    "UPDATE serve_clients SET revoked_at = NULL",
    "SELECT token_hash FROM serve_clients",
    "INSERT INTO staff_identity_links (staff_id, user_id, linked_by, linked_at) VALUES ({staff}, {user}, {staff}, 0)",
    "UPDATE institutions SET codes_need_second_person = 0",
    "DELETE FROM institution_2fa_methods",
    "SELECT key FROM instance_keys",
    "UPDATE unknown_username_throttle SET attempts = 0",
    "INSERT INTO notification_outbox (created_at, user_id, channel, address, kind, body) \
     VALUES (0, {user}, 'email', 'x@example.com', 'x', 'x')",
    "CREATE TABLE helpdesk_extra (id BIGINT)",
];

fn filled(attacks: &[&str], user: i64, staff: i64) -> Vec<String> {
    attacks.iter().map(|a| a.replace("{user}", &user.to_string()).replace("{staff}", &staff.to_string())).collect()
}

/// The Digital Banking login's role (deploy/postgres-login-role.sql): a customer's name,
/// email and phone and their devices, and nothing else; its contact changes are recorded
/// and weighed as any other system's.
#[tokio::test]
async fn on_postgres_the_login_role_writes_customer_profiles_and_devices_only() {
    let Some(db) = common::seeded_postgres().await else { return };
    let (amara, ada) = (db.user("amara.okafor").await, db.user("ada.admin").await);
    let devices_before = db.store.devices(amara.id).await.unwrap().len();
    let script = include_str!("../../deploy/postgres-login-role.sql");
    let (user, staff) = (amara.id, ada.id);
    as_deployed_role(
        &db,
        script,
        "helpdesk_login",
        move |url, _| async move { login_role_checks(&url, user, staff).await },
    )
    .await;

    // Recorded by the trigger as another system's changes, and weighed: no codes alone.
    let changes = db.store.contact_changes(amara.id, 0).await.unwrap();
    let changed = |field: ContactField| changes.iter().any(|c| c.field == field && c.staff.is_none());
    assert!(changed(ContactField::Email) && changed(ContactField::Phone), "{changes:?}");
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let alone = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await;
    assert!(matches!(alone, Err(DeskError::NeedsSecondPerson(_))), "{:?}", alone.map(|_| "codes"));
    let amara_now = db.user("amara.okafor").await;
    assert_eq!((amara_now.first_name.as_str(), amara_now.email.as_str()), ("Amarachi", "amara.new@example.com"));
    assert_eq!(db.store.devices(amara.id).await.unwrap().len(), devices_before + 1);
    let ada_now = db.user("ada.admin").await;
    assert_eq!((ada_now.email, ada_now.phone), (ada.email, ada.phone), "the login changed a member of staff");
}

async fn login_role_checks(url: &str, user: i64, staff: i64) {
    let mut c = pg(url).await;
    let now = helpdesk::domain::time::now();
    for legitimate in [
        format!("UPDATE users SET email = 'amara.new@example.com', updated_at = {now} WHERE username = 'amara.okafor'"),
        format!("UPDATE users SET phone = '+447700900123', updated_at = {now} WHERE id = {user}"),
        format!("UPDATE users SET first_name = 'Amarachi', last_name = 'Okafor' WHERE id = {user}"),
        format!(
            "INSERT INTO two_factor_devices (user_id, method, label, added_at) \
             VALUES ({user}, 'authenticator_app', 'new phone', {now})"
        ),
    ] {
        let done = sqlx::raw_sql(&legitimate).execute(&mut c).await.unwrap_or_else(|e| panic!("{legitimate}: {e}"));
        assert_eq!(done.rows_affected(), 1, "{legitimate}");
    }
    let read: (String, String) =
        sqlx::query_as("SELECT email, phone FROM users WHERE id = $1").bind(user).fetch_one(&mut c).await.unwrap();
    assert_eq!(read.0, "amara.new@example.com");

    let attacks = filled(NOT_FOR_OTHER_SYSTEMS, user, staff);
    let attacks: Vec<&str> = attacks.iter().map(String::as_str).collect();
    all_refused(url, "login", &attacks).await;
    let device_for_staff =
        format!("INSERT INTO two_factor_devices (user_id, method, label, added_at) VALUES ({staff}, 'sms', 'eve', 0)");
    all_refused(url, "login", &[&device_for_staff]).await;
    // A member of staff's row is out of its sight: nothing to change, nothing to read.
    for unseen in [
        format!("UPDATE users SET email = 'eve@evil.example' WHERE id = {staff}"),
        "UPDATE users SET phone = '+15550100' WHERE kind = 'staff'".to_owned(),
        format!("DELETE FROM two_factor_devices WHERE user_id = {staff}"),
    ] {
        let done = sqlx::raw_sql(&unseen).execute(&mut c).await.unwrap_or_else(|e| panic!("{unseen}: {e}"));
        assert_eq!(done.rows_affected(), 0, "the login role changed a member of staff: {unseen}");
    }
    let staff_seen: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE kind <> 'customer'").fetch_one(&mut c).await.unwrap();
    assert_eq!(staff_seen, 0, "the login role sees staff rows");
}

/// The bank's messaging system's role (deploy/postgres-messaging-role.sql): reads the
/// outbox and marks a notice sent; writes no notice, changes none, touches nothing else.
#[tokio::test]
async fn on_postgres_the_messaging_role_reads_the_outbox_and_marks_notices_sent_only() {
    let Some(db) = common::seeded_postgres().await else { return };
    let (amara, ada) = (db.user("amara.okafor").await, db.user("ada.admin").await);
    // A generation tells the user: a notice to send.
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let notices = db.store.notifications(amara.id).await.unwrap();
    assert!(!notices.is_empty());
    let script = include_str!("../../deploy/postgres-messaging-role.sql");
    let (user, staff) = (amara.id, ada.id);
    as_deployed_role(&db, script, "helpdesk_messaging", move |url, _| async move {
        messaging_role_checks(&url, user, staff).await
    })
    .await;
    assert_eq!(db.store.notifications(amara.id).await.unwrap(), notices, "a notice changed beyond being sent");
}

async fn messaging_role_checks(url: &str, user: i64, staff: i64) {
    let mut c = pg(url).await;
    let unsent: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, address, body FROM notification_outbox WHERE sent_at IS NULL AND user_id = $1 ORDER BY id",
    )
    .bind(user)
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(!unsent.is_empty(), "the messaging role reads no notice");
    let now = helpdesk::domain::time::now();
    let sent = sqlx::query("UPDATE notification_outbox SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL")
        .bind(unsent[0].0)
        .bind(now)
        .execute(&mut c)
        .await
        .unwrap();
    assert_eq!(sent.rows_affected(), 1);

    let mut attacks = filled(NOT_FOR_OTHER_SYSTEMS, user, staff);
    attacks.extend(
        [
            "UPDATE notification_outbox SET body = 'Call us on +1 555 0100'",
            "UPDATE notification_outbox SET address = 'eve@evil.example'",
            "UPDATE notification_outbox SET user_id = user_id, kind = kind, channel = channel",
            "DELETE FROM notification_outbox",
            "TRUNCATE notification_outbox",
            "SELECT email FROM users",
            "SELECT label FROM two_factor_devices",
            "UPDATE users SET email = 'eve@evil.example'",
            "INSERT INTO two_factor_devices (user_id, method, label, added_at) VALUES ({user}, 'sms', 'eve', 0)",
        ]
        .map(|a| a.replace("{user}", &user.to_string())),
    );
    let attacks: Vec<&str> = attacks.iter().map(String::as_str).collect();
    all_refused(url, "messaging", &attacks).await;
}

/// A request for codes moves only as the product moves it, whoever writes: never approved
/// by hand without another admin as its decider, never reopened, never rewritten.
async fn a_request_moves_only_as_the_product_moves_it(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let ben = login(&desk, "ben.admin").await;
    let (jean, amara) = (db.user("jeanluc.moreau").await, db.user("amara.okafor").await);
    let weak = IdentityCheck::KnowledgeBasedVerification;
    let seen = desk.user_detail(&agent, jean.id).await.unwrap().contact_seen;
    let asked = desk.request_codes(&agent, WarningChoice { target: jean.id, check: weak, note: None, seen }).await;
    let Ok(Generation::Requested(request)) = asked else { panic!("{}: no request", db.name) };
    let (id, now) = (request.id, db.clock.load(std::sync::atomic::Ordering::SeqCst));
    let (alex, ben_id, ada_id) = (agent.staff.id, ben.staff.id, db.user("ada.admin").await.id);
    let refused = |sql: String| {
        let db = &db;
        async move {
            let err = db.raw_execute(&sql).await.err().unwrap_or_else(|| panic!("{}: allowed: {sql}", db.name));
            assert!(
                err.to_string().contains("request for codes"),
                "{}: {sql} refused for another reason: {err}",
                db.name
            );
        }
    };
    let approve = |by: i64, until: &str| {
        format!(
            "UPDATE code_requests SET state = 'approved', decided_by = {by}, decided_at = {now}, \
                 approval_expires_at = {until} WHERE id = {id}"
        )
    };
    // Pending: no approval without another admin who may generate, until a set time.
    refused(format!("UPDATE code_requests SET state = 'approved' WHERE id = {id}")).await;
    refused(approve(alex, &(now + 600).to_string())).await;
    refused(approve(jean.id, &(now + 600).to_string())).await;
    refused(approve(amara.id, &(now + 600).to_string())).await;
    refused(approve(ben_id, "NULL")).await;
    refused(format!("UPDATE code_requests SET state = 'declined', closed_at = {now} WHERE id = {id}")).await;
    refused(format!("UPDATE code_requests SET state = 'used', closed_at = {now} WHERE id = {id}")).await;
    refused(format!("UPDATE code_requests SET state = 'expired' WHERE id = {id}")).await;
    refused(format!("UPDATE code_requests SET decided_by = {ben_id}, decided_at = {now} WHERE id = {id}")).await;
    for history in [
        format!("requester_id = {ada_id}"),
        format!("target_id = {}", amara.id),
        "identity_check = 'in_person_photo_id'".to_owned(),
        "signals = signals || 'x'".to_owned(),
        "note = 'ticket 1'".to_owned(),
        "contact_seen = coalesce(contact_seen, 0) + 1".to_owned(),
        "batch_seen = coalesce(batch_seen, 0) + 1".to_owned(),
        "created_at = 0".to_owned(),
        "expires_at = expires_at + 86400".to_owned(),
    ] {
        refused(format!("UPDATE code_requests SET {history} WHERE id = {id}")).await;
    }
    refused(format!("DELETE FROM code_requests WHERE id = {id}")).await;
    refused(format!(
        "INSERT INTO code_requests (requester_id, target_id, identity_check, signals, reasons, created_at, expires_at, \
         state, decided_by, decided_at, approval_expires_at) \
         VALUES ({alex}, {}, 'other', '', '', {now}, {}, 'approved', {ben_id}, {now}, {})",
        amara.id,
        now + 600,
        now + 600
    ))
    .await;

    // Approved by the product: not reopened, extended, redecided or used late.
    desk.approve_request(&ben, id).await.unwrap();
    refused(format!("UPDATE code_requests SET state = 'pending' WHERE id = {id}")).await;
    refused(format!("UPDATE code_requests SET approval_expires_at = approval_expires_at + 86400 WHERE id = {id}"))
        .await;
    refused(format!("UPDATE code_requests SET decided_by = {ada_id} WHERE id = {id}")).await;
    refused(format!("UPDATE code_requests SET state = 'declined', closed_at = {now} WHERE id = {id}")).await;
    refused(format!("UPDATE code_requests SET state = 'used', closed_at = approval_expires_at WHERE id = {id}")).await;
    desk.generate_approved(&agent, id).await.unwrap();
    // Used: closed for good.
    for closed in [
        "state = 'approved', closed_at = NULL",
        "state = 'void'",
        "closed_at = closed_at + 1",
        "decision_note = 'fine'",
    ] {
        refused(format!("UPDATE code_requests SET {closed} WHERE id = {id}")).await;
    }

    // A legal move by another writer is not refused: the rule is the state machine.
    let seen = desk.user_detail(&agent, amara.id).await.unwrap().contact_seen;
    let asked = desk.request_codes(&agent, WarningChoice { target: amara.id, check: weak, note: None, seen }).await;
    let Ok(Generation::Requested(second)) = asked else { panic!("{}: no second request", db.name) };
    let by_hand = format!(
        "UPDATE code_requests SET state = 'approved', decided_by = {ben_id}, decided_at = {now}, \
         approval_expires_at = {} WHERE id = {}",
        now + 600,
        second.id
    );
    assert_eq!(db.raw_execute(&by_hand).await.unwrap(), 1, "{}", db.name);
}

on_each_backend!(
    a_second_unrevoked_batch_is_refused_by_the_database,
    the_database_refuses_to_undo_a_use_or_blind_the_chain,
    a_batch_cost_outside_the_bounds_is_refused_by_the_database,
    a_stored_cost_outside_the_bounds_is_refused_before_hashing,
    an_insert_over_a_user_is_refused_or_recorded,
    a_request_moves_only_as_the_product_moves_it,
);
