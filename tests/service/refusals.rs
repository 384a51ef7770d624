//! Refusals leave a trace, and a generation re-checks its right where it stores the batch,
//! on every backend.

use crate::common;

use common::{TestDb, login};
use helpdesk::desk::{DeskError, Generation, Limits, NewStaff, ProfileEdit, WarningChoice};
use helpdesk::domain::access::{Permission, Refusal, Staff, StaffChange};
use helpdesk::domain::audit::{AuditAction, IdentityCheck, NewAuditEvent};
use helpdesk::domain::codes;
use helpdesk::domain::institution::TwoFactorMethod;
use helpdesk::domain::user::StaffRole;
use helpdesk::store::{
    Acting, BatchOutcome, NewBatch, ProfileOutcome, ProfileUpdate, RevokeOutcome, StaffChangeOutcome,
};
use std::time::Duration;

use zeroize::Zeroizing;

fn refusals(events: &[helpdesk::domain::audit::AuditEvent]) -> Vec<String> {
    events.iter().filter(|e| e.action == "action_refused").filter_map(|e| e.detail.clone()).collect()
}

async fn refused_actions_are_audited_with_their_reason(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let (sam, amara) = (db.user("sam.teller").await, db.user("amara.okafor").await);
    assert!(desk.generate_codes(&agent, sam.id, IdentityCheck::InPersonPhotoId, None).await.is_err());
    assert!(desk.revoke_codes(&agent, sam.id).await.is_err());
    assert!(desk.set_permitted_methods(&agent, &[TwoFactorMethod::Sms]).await.is_err());
    assert!(desk.set_permission(&agent, sam.id, Permission::GenerateLockoutCodes, false).await.is_err());
    let nora = login(&desk, "nora.noperm").await;
    assert!(desk.generate_codes(&nora, amara.id, IdentityCheck::InPersonPhotoId, None).await.is_err());
    // The export by an agent, staff creation by an agent, a profile edit the rules refuse.
    assert!(desk.export_audit_as(&agent, &Default::default(), 0, 10).await.is_err());
    assert!(desk.staff_members(&agent).await.is_err());
    assert!(desk.open_requests(&agent).await.is_err());
    let pass = Zeroizing::new("a long enough passphrase 2026".to_owned());
    let perms = vec![Permission::GenerateLockoutCodes];
    let eve = NewStaff {
        username: "eve.admin",
        first_name: "Eve",
        last_name: "Admin",
        email: "eve@bank.example",
        role: StaffRole::Admin,
        permissions: perms,
        password: pass,
    };
    let made = desk.create_staff_as(&agent, eve).await;
    assert!(made.is_err(), "{}: an agent created staff", db.name);
    let bad_phone = desk
        .update_profile(
            &agent,
            amara.id,
            ProfileEdit { first_name: "Amara", last_name: "Okafor", email: &amara.email, phone: "12" },
        )
        .await;
    assert!(bad_phone.is_err(), "{}", db.name);

    let events = db.store.recent_audit(None, 50).await.unwrap();
    let details = refusals(&events);
    for expected in [
        "backup_codes_generated: Only admin-level staff may generate or revoke backup codes for other staff users.",
        "backup_codes_revoked: Only admin-level staff",
        "permitted_methods_changed: Only admin-level staff may do this.",
        "permission_revoked: Only admin-level staff may do this.",
        "backup_codes_generated: You do not have the permission",
        "audit_exported: Only admin-level staff may do this.",
        "admin_read: Only admin-level staff may do this.",
        "staff_created: Only admin-level staff may do this.",
        "profile_updated: ",
    ] {
        assert!(details.iter().any(|d| d.starts_with(expected)), "{}: no refusal {expected:?} in {details:?}", db.name);
    }
    let by_nora = events.iter().find(|e| e.action == "action_refused" && e.actor == "nora.noperm").unwrap();
    assert_eq!(by_nora.target, "amara.okafor", "{}: the refusal does not name its target", db.name);
}

async fn a_wrong_current_password_is_throttled_and_audited(db: TestDb) {
    let limits = Limits { login_max_failures: 3, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let new = || Zeroizing::new("a much better passphrase".to_owned());
    for _ in 0..3 {
        let wrong = desk.change_password(&agent, Zeroizing::new("not my password".into()), new()).await;
        assert!(matches!(wrong, Err(DeskError::WrongPassword)), "{}: {wrong:?}", db.name);
    }
    let locked = desk.change_password(&agent, Zeroizing::new("agent-demo-pass-2026".into()), new()).await;
    assert!(matches!(locked, Err(DeskError::LoginLocked { .. })), "{}: the right password got through a lock", db.name);
    let events = db.store.recent_audit(None, 20).await.unwrap();
    let failed = events.iter().filter(|e| e.action == "staff_login_failed" && e.actor == "alex.agent").count();
    assert!(failed >= 3, "{}: {failed} failures audited", db.name);
}

async fn a_generation_stores_nothing_when_its_right_went_away_while_hashing(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let batch = codes::generate(&common::policy()).unwrap();
    let new_batch = |session: i64| NewBatch {
        user_id: amara.id,
        generated_by: agent.staff.id,
        session,
        created_at: desk.now(),
        expires_at: None,
        salt: &batch.salt,
        cost: common::CODE_COST,
        hashes: &batch.hashes,
        identity_check: IdentityCheck::InPersonPhotoId,
        note: None,
        contact_seen: None,
        request: None,
        velocity_limits: None,
    };
    // The generation event the database requires with the batch (migration 0022).
    let generated = |by: &Staff| {
        NewAuditEvent::new(desk.now(), AuditAction::BackupCodesGenerated)
            .actor(by.id, &by.username)
            .target(amara.id, &amara.username)
    };
    let allow = |_: &Staff| true;
    let deny = |_: &Staff| false;
    // The rule says no inside the transaction: nothing is written.
    assert_eq!(
        db.store.store_batch(&new_batch(agent.id), &deny, &generated(&agent.staff), &[], &[]).await.unwrap(),
        BatchOutcome::NoLongerActing,
        "{}",
        db.name
    );
    // Someone else's session does not count.
    let other = login(&desk, "sam.teller").await;
    assert_eq!(
        db.store.store_batch(&new_batch(other.id), &allow, &generated(&agent.staff), &[], &[]).await.unwrap(),
        BatchOutcome::NoLongerActing,
        "{}",
        db.name
    );
    assert!(db.store.code_state(amara.id, desk.now()).await.unwrap().is_none(), "{}: a batch was stored", db.name);
    // A disabled actor, through the service: the permission is withdrawn and then the
    // session is ended; the desk reports it and stores nothing.
    let admin = login(&desk, "ada.admin").await;
    let alex = db.user("alex.agent").await;
    desk.change_staff(&admin, alex.id, StaffChange::Withdraw(Permission::GenerateLockoutCodes)).await.unwrap();
    let refused = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::MissingPermission))), "{}: {refused:?}", db.name);
    // With the right and an open session it is stored.
    let refused = db.store.store_batch(&new_batch(other.id), &allow, &generated(&agent.staff), &[], &[]).await.unwrap();
    assert!(!matches!(refused, BatchOutcome::Stored(_)), "{}: {refused:?}", db.name);
    let sam = login(&desk, "sam.teller").await;
    let sam_batch = NewBatch { generated_by: sam.staff.id, session: sam.id, ..new_batch(sam.id) };
    let stored = db.store.store_batch(&sam_batch, &allow, &generated(&sam.staff), &[], &[]).await.unwrap();
    assert!(matches!(stored, BatchOutcome::Stored(_)), "{}: {stored:?}", db.name);
}

fn allow(_: &Staff) -> bool {
    true
}

fn deny(_: &Staff) -> bool {
    false
}

/// Revoking, editing a profile and changing staff read the session and the actor again
/// inside their own transaction: a rule that no longer holds, a session
/// that is not the actor's, or a session ended by another writer while the write waited for
/// its lock writes nothing.
async fn revoke_profile_and_staff_changes_check_the_actor_inside_their_transaction(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (agent, admin) = (login(&desk, "alex.agent").await, login(&desk, "ada.admin").await);
    let (amara, sam) = (db.user("amara.okafor").await, db.user("sam.teller").await);
    desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let acting = |session: &helpdesk::desk::Session, may: &'static (dyn Fn(&Staff) -> bool + Send + Sync)| Acting {
        session: session.id,
        actor: session.staff.id,
        may,
    };
    let now = desk.now();
    let event = |action| NewAuditEvent::new(now, action);
    let before = db.store.recent_audit(None, 500).await.unwrap().len();
    let (revoke, edit, promote) = (
        event(AuditAction::BackupCodesRevoked),
        [event(AuditAction::ProfileUpdated)],
        event(AuditAction::StaffRoleChanged),
    );
    let revoked = db.store.revoke_batch(acting(&agent, &deny), amara.id, now, &revoke, &[]).await;
    assert_eq!(revoked.unwrap(), RevokeOutcome::NoLongerActing, "{}", db.name);
    // The admin's session with the agent named as the actor.
    let borrowed = Acting { session: admin.id, actor: agent.staff.id, may: &allow };
    let revoked = db.store.revoke_batch(borrowed, amara.id, now, &revoke, &[]).await;
    assert_eq!(revoked.unwrap(), RevokeOutcome::NoLongerActing, "{}", db.name);
    assert!(db.store.code_state(amara.id, now).await.unwrap().is_some(), "{}: revoked", db.name);

    let update = ProfileUpdate {
        first_name: "Mallory".into(),
        last_name: amara.last_name.clone(),
        email: "mallory@attacker.example".into(),
        phone: amara.phone.clone(),
    };
    let edited = db.store.update_profile(acting(&agent, &deny), amara.id, &update, &edit, &[]).await;
    assert_eq!(edited.unwrap(), ProfileOutcome::NoLongerActing, "{}", db.name);
    assert_eq!(db.user("amara.okafor").await.email, amara.email, "{}: the email changed", db.name);

    let promoted =
        db.store.change_staff(acting(&admin, &deny), sam.id, StaffChange::Promote, now, &promote, None).await;
    assert_eq!(promoted.unwrap(), StaffChangeOutcome::NoLongerActing, "{}", db.name);
    assert_eq!(db.user("sam.teller").await.role, Some(StaffRole::Agent), "{}: promoted", db.name);
    assert_eq!(db.store.recent_audit(None, 500).await.unwrap().len(), before, "{}: an event was written", db.name);

    // Another writer ends the agent's session and holds its transaction open; the revoke
    // waits for it (PostgreSQL: the share lock on the session row; SQLite: the write lock),
    // then sees the session ended.
    let ender = format!("UPDATE staff_sessions SET ended_at = {now} WHERE id = {}", agent.id);
    let revoked = revoke_waiting_for(&db, &[ender], agent.id, agent.staff.id, amara.id, &allow).await;
    assert_eq!(revoked, RevokeOutcome::NoLongerActing, "{}: revoked by an ended session", db.name);
    assert!(db.store.code_state(amara.id, now).await.unwrap().is_some(), "{}: revoked", db.name);

    // The same with the permission withdrawn by another writer, as the Staff pane does it
    // (the staff row written, the grant deleted): the revoke waits, then finds no right.
    let agent = login(&desk, "alex.agent").await;
    let withdraw = [
        format!("UPDATE users SET updated_at = {now} WHERE id = {}", agent.staff.id),
        format!("DELETE FROM staff_permissions WHERE user_id = {}", agent.staff.id),
    ];
    let revoked = revoke_waiting_for(&db, &withdraw, agent.id, agent.staff.id, amara.id, &holds_the_right).await;
    assert_eq!(revoked, RevokeOutcome::NoLongerActing, "{}: revoked without the permission", db.name);
    assert!(db.store.code_state(amara.id, now).await.unwrap().is_some(), "{}: revoked", db.name);
}

fn holds_the_right(staff: &Staff) -> bool {
    staff.has(Permission::GenerateLockoutCodes)
}

/// Another writer runs `statements` and holds its transaction open; a revoke by `actor`
/// must wait for it (PostgreSQL: for the rows it locks; SQLite: for the write lock) and is
/// answered after the commit.
async fn revoke_waiting_for(
    db: &TestDb,
    statements: &[String],
    session: i64,
    actor: i64,
    target: i64,
    may: &'static (dyn Fn(&Staff) -> bool + Send + Sync),
) -> RevokeOutcome {
    let store = db.store.clone();
    let revoke = move || {
        tokio::spawn(async move {
            let now = helpdesk::domain::time::now();
            let acting = Acting { session, actor, may };
            store
                .revoke_batch(acting, target, now, &NewAuditEvent::new(now, AuditAction::BackupCodesRevoked), &[])
                .await
        })
    };
    let revoke = if db.name == "sqlite" {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
        }
        let revoke = revoke();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!revoke.is_finished(), "{}: the revoke did not wait for the other writer", db.name);
        tx.commit().await.unwrap();
        revoke
    } else {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
        }
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *tx).await.unwrap();
        let revoke = revoke();
        common::wait_until_blocked_by(&db.url, pid, &format!("{}: the revoke", db.name)).await;
        tx.commit().await.unwrap();
        revoke
    };
    revoke.await.unwrap().unwrap()
}

on_each_backend!(
    refused_actions_are_audited_with_their_reason,
    a_wrong_current_password_is_throttled_and_audited,
    a_generation_stores_nothing_when_its_right_went_away_while_hashing,
    revoke_profile_and_staff_changes_check_the_actor_inside_their_transaction,
);

async fn an_override_is_made_on_what_the_warning_showed(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let amara = db.user("amara.okafor").await;
    // The admin opens the warning: no contact change yet.
    let seen = desk.user_detail(&admin, amara.id).await.unwrap().contact_seen;
    assert_eq!(seen, None);
    // Meanwhile an agent changes the phone at a caller's request.
    desk.update_profile(
        &agent,
        amara.id,
        ProfileEdit { first_name: "Amara", last_name: "Okafor", email: &amara.email, phone: "+447911123456" },
    )
    .await
    .unwrap();
    let stale = desk
        .generate_codes_after_warning(
            &admin,
            WarningChoice { target: amara.id, check: IdentityCheck::InPersonPhotoId, note: None, seen },
        )
        .await;
    assert!(matches!(stale, Err(DeskError::ChangedSinceWarning)), "{}: {:?}", db.name, stale.map(|_| "codes"));
    assert!(
        db.store.code_state(amara.id, desk.now()).await.unwrap().is_none(),
        "{}: codes after a stale warning",
        db.name
    );
    // Read again, the override is asked for: it waits for a second admin.
    let seen = desk.user_detail(&admin, amara.id).await.unwrap().contact_seen;
    assert!(seen.is_some());
    let asked = desk
        .request_codes(
            &admin,
            WarningChoice { target: amara.id, check: IdentityCheck::InPersonPhotoId, note: None, seen },
        )
        .await
        .unwrap();
    assert!(matches!(asked, Generation::Requested(_)), "{}: {asked:?}", db.name);
}

async fn no_codes_where_the_institution_does_not_permit_them(db: TestDb) {
    use helpdesk::domain::institution::TwoFactorMethod::{AuthenticatorApp, Sms};
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    desk.set_permitted_methods(&admin, &[Sms, AuthenticatorApp]).await.unwrap();
    let amara = db.user("amara.okafor").await;
    let refused = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await;
    assert!(
        matches!(refused, Err(DeskError::Refused(Refusal::BackupCodesNotPermitted))),
        "{}: {:?}",
        db.name,
        refused.map(|_| "codes")
    );
    let detail = desk.user_detail(&agent, amara.id).await.unwrap();
    assert_eq!(detail.may_generate, Err(Refusal::BackupCodesNotPermitted));
}

async fn demoting_a_disabled_admin_takes_nobody_away(db: TestDb) {
    let desk = db.desk(Limits::default());
    let admin = login(&desk, "ada.admin").await;
    let sam = db.user("sam.teller").await;
    let ben = login(&desk, "ben.admin").await;
    common::grant(&desk, &admin, sam.id, StaffChange::Promote, Some(&ben)).await;
    desk.change_staff(&admin, sam.id, StaffChange::Disable).await.unwrap();
    desk.change_staff(&admin, db.user("ben.admin").await.id, StaffChange::Disable).await.unwrap();
    // Ada is the only enabled admin; Sam, disabled, may still be made an agent.
    desk.change_staff(&admin, sam.id, StaffChange::Demote).await.unwrap();
}

async fn the_first_member_of_staff_must_be_an_admin(db: TestDb) {
    use helpdesk::domain::user::StaffRole;
    let empty = common::fresh(&db).await;
    let desk = empty.desk(Limits::default());
    let password = || Zeroizing::new("a long enough passphrase".to_owned());
    let first = |username, last_name, email, role| NewStaff {
        username,
        first_name: "First",
        last_name,
        email,
        role,
        permissions: vec![],
        password: password(),
    };
    let agent = desk.create_staff(first("first.agent", "Agent", "first@bank.example", StaffRole::Agent)).await;
    assert!(matches!(agent, Err(DeskError::BootstrapNeedsAdmin)), "{}: {agent:?}", db.name);
    desk.create_staff(first("first.admin", "Admin", "admin@bank.example", StaffRole::Admin)).await.unwrap();
}

on_each_backend!(
    an_override_is_made_on_what_the_warning_showed,
    no_codes_where_the_institution_does_not_permit_them,
    demoting_a_disabled_admin_takes_nobody_away,
    the_first_member_of_staff_must_be_an_admin,
);
