//! Granting power takes two: a new admin, the permission, a role change and re-enabling
//! wait for a second admin who neither asked nor receives them; every forbidden
//! combination is refused and audited, on both databases, and so are grant rows written
//! through SQL.

use crate::common;

use common::{TestDb, approve_every_grant, count, events_for, login};
use helpdesk::desk::{DeskError, Generation, HelpDesk, Limits, NewStaff, Session, StaffChangeDone, WarningChoice};
use helpdesk::domain::access::{Permission, Refusal, StaffChange};
use helpdesk::domain::audit::{AuditAction, IdentityCheck};
use helpdesk::domain::grants::{GRANT_WAITS_SECS, GrantKind};
use helpdesk::domain::user::StaffRole;
use zeroize::Zeroizing;

const CODES: Permission = Permission::GenerateLockoutCodes;
const MAL_PASS: &str = "quartz-meadow-lantern-2026";

/// ada.admin alone creates mal.new "as an admin who may generate codes".
async fn ada_creates_mal(desk: &HelpDesk, ada: &Session) -> (i64, Vec<i64>) {
    let new = NewStaff {
        username: "mal.new",
        first_name: "Mal",
        last_name: "Newcomb",
        email: "mal.new@bank.example",
        role: StaffRole::Admin,
        permissions: vec![CODES],
        password: Zeroizing::new(MAL_PASS.to_owned()),
    };
    desk.create_staff_as(ada, new).await.expect("ada may create staff")
}

fn refused(result: Result<(), DeskError>, refusal: Refusal, db: &str) {
    match result {
        Err(DeskError::Refused(r)) if r == refusal => {}
        other => panic!("{db}: expected {refusal:?}, got {other:?}"),
    }
}

/// What was seen: ada.admin alone made a second admin, and that admin approved ada's own
/// request for codes for a member of staff. Now the new account is an agent without the
/// permission until ben.admin approves each grant, and nobody else can approve them.
async fn one_admin_cannot_make_a_second_and_approve_herself(db: TestDb) {
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let (mal_id, asked) = ada_creates_mal(&desk, &ada).await;
    assert_eq!(asked.len(), 2, "{}: the role and the permission are each a grant", db.name);
    let mal = db.store.staff(mal_id).await.unwrap().expect("mal is enabled staff");
    assert_eq!((mal.role, mal.has(CODES)), (StaffRole::Agent, false), "{}: power before approval", db.name);

    // ada asks for codes for sam.teller (a member of staff: needs a second admin).
    let sam = db.user("sam.teller").await;
    let seen = desk.user_detail(&ada, sam.id).await.unwrap().contact_seen;
    let choice = WarningChoice { target: sam.id, check: IdentityCheck::InPersonPhotoId, note: None, seen };
    let Ok(Generation::Requested(request)) = desk.request_codes(&ada, choice).await else {
        panic!("{}: codes for staff without a second admin", db.name)
    };

    // mal signs in in another terminal: no grant of theirs can be approved by them, and
    // they cannot approve ada's request.
    let mal_session = desk.login("mal.new", Zeroizing::new(MAL_PASS.to_owned())).await.unwrap();
    for &grant in &asked {
        refused(desk.approve_grant(&mal_session, grant).await, Refusal::AdminOnly, db.name);
        refused(desk.approve_grant(&ada, grant).await, Refusal::OwnGrantRequest, db.name);
    }
    let approved = desk.approve_request(&mal_session, request.id).await;
    assert!(matches!(approved, Err(DeskError::Refused(_))), "{}: {approved:?}", db.name);
    // Nor can ada re-ask it as a change, nor grant it twice.
    let again = desk.change_staff(&ada, mal_id, StaffChange::Promote).await;
    assert!(matches!(again, Err(DeskError::GrantAlreadyPending(id)) if id == asked[0]), "{}: {again:?}", db.name);
    let mal = db.store.staff(mal_id).await.unwrap().unwrap();
    assert_eq!((mal.role, mal.has(CODES)), (StaffRole::Agent, false), "{}: a refusal gave power", db.name);

    // A second person, ben.admin, approves: only now is mal an admin who may generate.
    let ben = login(&desk, "ben.admin").await;
    approve_every_grant(&desk, &ben).await;
    let mal = db.store.staff(mal_id).await.unwrap().unwrap();
    assert_eq!((mal.role, mal.has(CODES)), (StaffRole::Admin, true), "{}: the approval did not apply", db.name);
    // Once admin, mal is subject to the same rule: never approving a grant to themselves.
    let sam_grant = desk.change_staff(&ada, sam.id, StaffChange::Promote).await.unwrap();
    let StaffChangeDone::Asked(sam_grant) = sam_grant else { panic!("{}: promoted at once", db.name) };
    let mal_again = desk.login("mal.new", Zeroizing::new(MAL_PASS.to_owned())).await.unwrap();
    desk.approve_grant(&mal_again, sam_grant).await.expect("a third person approves");

    let events = events_for(&db, mal_id).await;
    assert_eq!(count(&events, AuditAction::GrantRequested), 2, "{}", db.name);
    assert_eq!(count(&events, AuditAction::GrantApproved), 2, "{}", db.name);
    assert_eq!(count(&events, AuditAction::StaffRoleChanged), 1, "{}", db.name);
    assert_eq!(count(&events, AuditAction::PermissionGranted), 1, "{}", db.name);
    assert!(count(&events, AuditAction::ActionRefused) >= 4, "{}: refusals unaudited", db.name);
    let approved = events.iter().find(|e| e.action == AuditAction::GrantApproved.as_str()).unwrap();
    assert_eq!(approved.actor, "ben.admin", "{}", db.name);
}

/// Promote, grant the permission and re-enable each wait; withdrawing, demoting and
/// disabling stay immediate; decline needs a reason; a decided grant is closed.
async fn every_power_giving_change_waits_and_every_other_is_immediate(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (ada, ben) = (login(&desk, "ada.admin").await, login(&desk, "ben.admin").await);
    let (nora, sam) = (db.user("nora.noperm").await, db.user("sam.teller").await);
    let agent = login(&desk, "alex.agent").await;

    // Taking power away is at once.
    let done = desk.change_staff(&ada, sam.id, StaffChange::Withdraw(CODES)).await.unwrap();
    assert_eq!(done, StaffChangeDone::Applied, "{}", db.name);
    assert!(!db.store.staff(sam.id).await.unwrap().unwrap().has(CODES), "{}", db.name);
    assert_eq!(desk.change_staff(&ada, sam.id, StaffChange::Disable).await.unwrap(), StaffChangeDone::Applied);
    assert!(db.store.staff(sam.id).await.unwrap().is_none(), "{}: sam still enabled", db.name);

    // Re-enabling waits; an agent may not even ask; nobody asks for themselves.
    let StaffChangeDone::Asked(enable) = desk.change_staff(&ada, sam.id, StaffChange::Enable).await.unwrap() else {
        panic!("{}: re-enabled by one person", db.name)
    };
    assert!(db.store.staff(sam.id).await.unwrap().is_none(), "{}: enabled before approval", db.name);
    refused(desk.change_staff(&agent, nora.id, StaffChange::Promote).await.map(drop), Refusal::AdminOnly, db.name);
    let ada_id = db.user("ada.admin").await.id;
    let own = desk.ask_grant(&ada, ada_id, GrantKind::Permission(CODES)).await.map(drop);
    refused(own, Refusal::OwnPermissions, db.name);
    let customer = db.user("amara.okafor").await;
    refused(desk.ask_grant(&ada, customer.id, GrantKind::AdminRole).await.map(drop), Refusal::NotStaff, db.name);

    // The permission for nora: declined without a reason is refused; ben declines.
    let StaffChangeDone::Asked(perm) = desk.change_staff(&ada, nora.id, StaffChange::Grant(CODES)).await.unwrap()
    else {
        panic!("{}: granted by one person", db.name)
    };
    assert!(matches!(desk.decline_grant(&ben, perm, "  ").await, Err(DeskError::DeclineNeedsReason)), "{}", db.name);
    refused(desk.decline_grant(&ada, perm, "mine").await, Refusal::OwnGrantRequest, db.name);
    desk.decline_grant(&ben, perm, "not agreed with the team lead").await.unwrap();
    assert!(!db.store.staff(nora.id).await.unwrap().unwrap().has(CODES), "{}: a decline granted", db.name);
    assert!(matches!(desk.approve_grant(&ben, perm).await, Err(DeskError::GrantClosed)), "{}", db.name);

    // Only the asker withdraws.
    let StaffChangeDone::Asked(promote) = desk.change_staff(&ada, nora.id, StaffChange::Promote).await.unwrap() else {
        panic!("{}: promoted by one person", db.name)
    };
    assert!(matches!(desk.withdraw_grant(&ben, promote).await, Err(DeskError::NotYourRequest)), "{}", db.name);
    desk.withdraw_grant(&ada, promote).await.unwrap();
    assert!(matches!(desk.approve_grant(&ben, promote).await, Err(DeskError::GrantClosed)), "{}", db.name);
    assert_eq!(db.store.staff(nora.id).await.unwrap().unwrap().role, StaffRole::Agent, "{}", db.name);

    // ben approves the re-enabling: sam signs in again.
    desk.approve_grant(&ben, enable).await.unwrap();
    assert!(db.store.staff(sam.id).await.unwrap().is_some(), "{}: the approval did not enable", db.name);
    let events = events_for(&db, nora.id).await;
    for action in [AuditAction::GrantRequested, AuditAction::GrantDeclined, AuditAction::GrantWithdrawn] {
        assert!(count(&events, action) >= 1, "{}: no {action:?}", db.name);
    }
    let declined = events.iter().find(|e| e.action == AuditAction::GrantDeclined.as_str()).unwrap();
    assert_eq!(declined.note.as_deref(), Some("not agreed with the team lead"), "{}", db.name);
}

/// A grant nobody decides expires, audited; an expired grant cannot be approved.
async fn an_undecided_grant_expires(db: TestDb) {
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let nora = db.user("nora.noperm").await;
    let StaffChangeDone::Asked(id) = desk.change_staff(&ada, nora.id, StaffChange::Promote).await.unwrap() else {
        panic!("{}: promoted by one person", db.name)
    };
    db.advance(GRANT_WAITS_SECS + 1);
    let ben = login(&desk, "ben.admin").await;
    assert!(desk.pending_grants(&ben).await.unwrap().is_empty(), "{}: an expired grant is listed", db.name);
    assert!(matches!(desk.approve_grant(&ben, id).await, Err(DeskError::GrantClosed)), "{}", db.name);
    assert_eq!(count(&events_for(&db, nora.id).await, AuditAction::GrantExpired), 1, "{}", db.name);
    assert_eq!(db.store.staff(nora.id).await.unwrap().unwrap().role, StaffRole::Agent, "{}", db.name);
}

/// The database's owner stands in for the second admin only beside a single enabled admin:
/// how a database bootstrapped with one admin gets its second.
async fn the_owner_approves_only_beside_a_single_admin(db: TestDb) {
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let (mal_id, asked) = ada_creates_mal(&desk, &ada).await;
    let two_admins = desk.approve_grant_as_owner(asked[0]).await;
    refused(two_admins, Refusal::OwnerOnlyWithOneAdmin, db.name);
    // ben.admin leaves: ada is the only admin; the owner approves the role she asked for.
    desk.change_staff(&ada, db.user("ben.admin").await.id, StaffChange::Disable).await.unwrap();
    desk.approve_grant_as_owner(asked[0]).await.expect("the owner beside a single admin");
    assert_eq!(db.store.staff(mal_id).await.unwrap().unwrap().role, StaffRole::Admin, "{}", db.name);
    // Now two admins again: the permission needs a third person, not the owner.
    refused(desk.approve_grant_as_owner(asked[1]).await, Refusal::OwnerOnlyWithOneAdmin, db.name);
    let approved = events_for(&db, mal_id).await;
    let by_owner = approved.iter().find(|e| e.action == AuditAction::GrantApproved.as_str()).unwrap();
    assert!(by_owner.actor.contains("owner"), "{}: {}", db.name, by_owner.actor);
}

/// Grant rows written through SQL: made approved, decided by the asker or the subject,
/// moved back to pending, or deleted: each refused by the database.
async fn grant_rows_through_sql_are_refused(db: TestDb) {
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let (ada_id, nora) = (db.user("ada.admin").await.id, db.user("nora.noperm").await.id);
    let (ben_id, now) = (db.user("ben.admin").await.id, 1_800_000_000_i64);
    let insert = |state: &str| {
        format!(
            "INSERT INTO grant_requests (kind, subject_id, asked_by, asked_at, expires_at, state, decided_by) \
             VALUES ('admin_role', {nora}, {ada_id}, {now}, {}, '{state}', {ben_id})",
            now + 60
        )
    };
    assert!(db.raw_execute(&insert("approved")).await.is_err(), "{}: inserted approved", db.name);
    let self_asked = format!(
        "INSERT INTO grant_requests (kind, subject_id, asked_by, asked_at, expires_at) \
         VALUES ('admin_role', {ada_id}, {ada_id}, {now}, {})",
        now + 60
    );
    assert!(db.raw_execute(&self_asked).await.is_err(), "{}: a grant asked for oneself", db.name);

    let StaffChangeDone::Asked(id) = desk.change_staff(&ada, nora, StaffChange::Promote).await.unwrap() else {
        panic!("{}: promoted by one person", db.name)
    };
    for decided_by in [ada_id, nora] {
        let own = format!("UPDATE grant_requests SET state = 'approved', decided_by = {decided_by} WHERE id = {id}");
        assert!(db.raw_execute(&own).await.is_err(), "{}: decided by asker or subject", db.name);
    }
    let undecided = format!("UPDATE grant_requests SET state = 'approved' WHERE id = {id}");
    assert!(db.raw_execute(&undecided).await.is_err(), "{}: approved by nobody", db.name);
    let ben = login(&desk, "ben.admin").await;
    desk.approve_grant(&ben, id).await.unwrap();
    let back = format!("UPDATE grant_requests SET state = 'pending', decided_by = NULL WHERE id = {id}");
    assert!(db.raw_execute(&back).await.is_err(), "{}: a decided grant reopened", db.name);
    let gone = format!("DELETE FROM grant_requests WHERE id = {id}");
    assert!(db.raw_execute(&gone).await.is_err(), "{}: a grant deleted", db.name);
}

on_each_backend!(
    one_admin_cannot_make_a_second_and_approve_herself,
    every_power_giving_change_waits_and_every_other_is_immediate,
    an_undecided_grant_expires,
    the_owner_approves_only_beside_a_single_admin,
    grant_rows_through_sql_are_refused,
);
