//! No single person, and no single recent change, can hand out a working code: contact
//! changes made by any writer (here through SQL, as Digital Banking would), identity
//! checks weighed against them, the two-person rule from request to used approval,
//! velocity limits, linked identities and disabled staff. On both databases.

use crate::common;

use std::sync::Arc;

use common::{TestDb, approve_every_grant, login};
use helpdesk::desk::{
    DeskError, Generation, HelpDesk, Limits, NewStaff, ProfileEdit, Redemption, Session, WarningChoice,
};
use helpdesk::domain::access::{Permission, Refusal, StaffChange};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::codes::BackupCode;
use helpdesk::domain::two_person::{Reason, RequestState, VelocityLimits};
use helpdesk::domain::user::StaffRole;
use zeroize::Zeroizing;

const PHOTO: IdentityCheck = IdentityCheck::InPersonPhotoId;
const WEAK: IdentityCheck = IdentityCheck::KnowledgeBasedVerification;
const SECOND_PASS: &str = "violet-harbour-lantern-2026";

/// A second and a third admin, created by ada.admin, signed in.
async fn more_admins(desk: &HelpDesk) -> (Session, Session) {
    let ada = login(desk, "ada.admin").await;
    let mut out = Vec::new();
    for (name, first) in [("bea.admin", "Bea"), ("cy.admin", "Cy")] {
        let pass = SECOND_PASS.to_owned();
        let perms = vec![Permission::GenerateLockoutCodes];
        let email = format!("{name}@bank.example");
        let new = NewStaff {
            username: name,
            first_name: first,
            last_name: "Admin",
            email: &email,
            role: StaffRole::Admin,
            permissions: perms,
            password: Zeroizing::new(pass.clone()),
        };
        desk.create_staff_as(&ada, new).await.unwrap();
        out.push((name, pass));
    }
    // ben.admin, the second person, approves the roles and permissions ada asked for.
    approve_every_grant(desk, &login(desk, "ben.admin").await).await;
    let mut out: Vec<Session> = {
        let mut sessions = Vec::new();
        for (name, pass) in out {
            sessions.push(desk.login(name, Zeroizing::new(pass)).await.unwrap());
        }
        sessions
    };
    let cy = out.pop().unwrap();
    (out.pop().unwrap(), cy)
}

fn code_text(code: &BackupCode) -> Zeroizing<String> {
    code.grouped()
}

async fn requested(desk: &HelpDesk, who: &Session, target: i64, check: IdentityCheck) -> i64 {
    let seen = desk.user_detail(who, target).await.unwrap().contact_seen;
    match desk.request_codes(who, WarningChoice { target, check, note: Some("ticket 4711".into()), seen }).await {
        Ok(Generation::Requested(r)) => r.id,
        Ok(Generation::Issued(_)) => panic!("codes without a second admin"),
        Err(e) => panic!("request refused: {e}"),
    }
}

async fn actions(db: &TestDb, target: i64) -> Vec<String> {
    db.store.recent_audit(Some(target), 50).await.unwrap().into_iter().map(|e| e.action).collect()
}

async fn a_contact_change_through_sql_starts_the_cool_off_and_is_told(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    // Digital Banking's profile page, or an attacker signed in there.
    db.raw_execute(&format!("UPDATE users SET phone = '+447911123456' WHERE id = {}", amara.id)).await.unwrap();
    db.raw_execute(&format!("UPDATE users SET email = 'Attacker@Evil.example' WHERE id = {}", amara.id)).await.unwrap();

    // One person alone gets no codes inside the cool-off; the generation is refused, audited.
    let refused = desk.generate_codes(&agent, amara.id, PHOTO, None).await;
    assert!(
        matches!(&refused, Err(DeskError::NeedsSecondPerson(r)) if r[0].contains("cool-off")),
        "{}: {:?}",
        db.name,
        refused.map(|_| "codes")
    );
    let detail = desk.user_detail(&agent, amara.id).await.unwrap();
    let changes = &detail.risk.contact_changes;
    assert_eq!(changes.len(), 2, "{}: {changes:?}", db.name);
    assert!(changes.iter().all(|c| c.outside_helpdesk()), "{}", db.name);
    let text = detail.signals.join("\n");
    assert!(text.contains("The phone changed outside helpdesk"), "{}: {text}", db.name);
    assert!(text.contains("The email changed outside helpdesk"), "{}: {text}", db.name);
    let (_, call_back) = detail.checks.iter().find(|(c, _)| *c == IdentityCheck::CallBackNumberOnFile).unwrap();
    assert!(call_back.as_ref().is_err_and(|why| why.contains("phone number changed")), "{}", db.name);

    // The old addresses are told, once each, whichever process handled it.
    assert_eq!(desk.handle_outside_changes().await.unwrap(), 0, "{}: handled twice", db.name);
    let notices = db.store.notifications(amara.id).await.unwrap();
    let to =
        |address: &str| notices.iter().filter(|n| n.kind == "contact_details_changed" && n.address == address).count();
    assert!(to(&amara.phone) >= 1, "{}: the old phone was not told: {notices:?}", db.name);
    assert!(to(&amara.email) >= 1, "{}: the old email was not told", db.name);
    let events = db.store.recent_audit(Some(amara.id), 20).await.unwrap();
    let changed: Vec<_> = events.iter().filter(|e| e.action == "contact_details_changed").collect();
    assert_eq!(changed.len(), 2, "{}", db.name);
    assert!(changed.iter().all(|e| e.actor.contains("outside helpdesk")), "{}", db.name);
    assert!(events.iter().any(|e| e.action == "action_refused" && e.actor == "alex.agent"), "{}", db.name);
    // The product's own refold of the phone into E.164 (the row went stale) is not a change.
    desk.refold_all().await.unwrap();
    assert_eq!(db.store.contact_changes(amara.id, 10).await.unwrap().len(), 2, "{}", db.name);

    // A burst of email changes does not push the phone change out of view.
    for i in 0..30 {
        db.raw_execute(&format!("UPDATE users SET email = 'flip{i}@evil.example' WHERE id = {}", amara.id))
            .await
            .unwrap();
    }
    let detail = desk.user_detail(&agent, amara.id).await.unwrap();
    let (_, call_back) = detail.checks.iter().find(|(c, _)| *c == IdentityCheck::CallBackNumberOnFile).unwrap();
    assert!(call_back.is_err(), "{}: the call-back came back after 30 email changes", db.name);
    assert!(detail.signals.join("\n").contains("The phone changed outside helpdesk"), "{}", db.name);
}

async fn another_writer_cannot_pass_for_helpdesk(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let (amara, jean) = (db.user("amara.okafor").await, db.user("jeanluc.moreau").await);
    let ada = db.user("ada.admin").await;
    // The writer sets helpdesk's own mark, dated 1970, naming ada.admin.
    let (mark, refold) = if db.name == "sqlite" {
        (
            format!(
                "BEGIN; INSERT INTO writer_mark (id, kind, staff_id, at) VALUES (1, 'staff', {}, 0); \
                     UPDATE users SET phone = '+447911123456' WHERE id = {}; DELETE FROM writer_mark; COMMIT;",
                ada.id, amara.id
            ),
            format!(
                "BEGIN; INSERT INTO writer_mark (id, kind) VALUES (1, 'refold'); \
                     UPDATE users SET phone = '+447911654321' WHERE id = {}; DELETE FROM writer_mark; COMMIT;",
                jean.id
            ),
        )
    } else {
        (
            format!(
                "BEGIN; SELECT set_config('helpdesk.writer', 'staff {} 0', true); \
                     UPDATE users SET phone = '+447911123456' WHERE id = {}; COMMIT;",
                ada.id, amara.id
            ),
            format!(
                "BEGIN; SELECT set_config('helpdesk.writer', 'refold', true); \
                     UPDATE users SET phone = '+447911654321' WHERE id = {}; COMMIT;",
                jean.id
            ),
        )
    };
    db.raw_script(&mark).await.unwrap();
    db.raw_script(&refold).await.unwrap();
    // The change is dated now, is audited and told like any other, and starts the cool-off.
    let changes = db.store.contact_changes(amara.id, 0).await.unwrap();
    assert_eq!(changes.len(), 1, "{}", db.name);
    assert!(changes[0].at >= helpdesk::domain::time::now() - 60, "{}: dated {}", db.name, changes[0].at);
    let alone = desk.generate_codes(&agent, amara.id, PHOTO, None).await;
    assert!(matches!(&alone, Err(DeskError::NeedsSecondPerson(r)) if r[0].contains("cool-off")), "{}", db.name);
    assert!(actions(&db, amara.id).await.contains(&"contact_details_changed".to_owned()), "{}", db.name);
    // A "refold" that changes the number is a change.
    let changes = db.store.contact_changes(jean.id, 0).await.unwrap();
    assert_eq!(changes.len(), 1, "{}: a new number passed for a reformat", db.name);
}

async fn a_change_made_in_helpdesk_names_its_staff_and_blocks_their_override(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (bea, cy) = more_admins(&desk).await;
    let ada = login(&desk, "ada.admin").await;
    let amara = db.user("amara.okafor").await;
    desk.update_profile(
        &bea,
        amara.id,
        ProfileEdit { first_name: "Amara", last_name: "Okafor", email: &amara.email, phone: "+447911123456" },
    )
    .await
    .unwrap();
    let changes = db.store.contact_changes(amara.id, 10).await.unwrap();
    assert_eq!(changes.len(), 1, "{}", db.name);
    assert_eq!(changes[0].staff.as_ref().map(|(_, n)| n.as_str()), Some("bea.admin"));
    assert_eq!(changes[0].at, desk.now(), "{}: the product's clock", db.name);
    // The admin who made the change may not override its cool-off, nor approve another's.
    let own = desk.user_detail(&bea, amara.id).await.unwrap();
    assert_eq!(own.may_generate.err(), Some(Refusal::OwnContactChange), "{}", db.name);
    let id = requested(&desk, &ada, amara.id, PHOTO).await;
    let request = desk.code_request(&ada, id).await.unwrap();
    assert!(request.reasons.iter().any(|r| r.sentence().contains("cool-off")), "{}: {:?}", db.name, request.reasons);
    assert!(request.overrides_cool_off(), "{}: the override is stored as its kind", db.name);
    let refused = desk.approve_request(&bea, id).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::OwnContactChange))), "{}: {refused:?}", db.name);
    desk.approve_request(&cy, id).await.unwrap();
    let codes = desk.generate_approved(&ada, id).await.unwrap();
    assert!(matches!(
        desk.redeem("amara.okafor", code_text(&codes.codes[0])).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    let acts = actions(&db, amara.id).await;
    assert!(acts.contains(&"cool_off_overridden".to_owned()), "{}: {acts:?}", db.name);
}

async fn a_request_is_approved_by_a_second_admin_and_used_once(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (bea, _) = more_admins(&desk).await;
    let agent = login(&desk, "alex.agent").await;
    let jean = db.user("jeanluc.moreau").await;
    // A weak check needs a second person: the warning's path makes a request.
    let id = requested(&desk, &agent, jean.id, WEAK).await;
    assert_eq!(desk.pending_requests(&bea).await.unwrap(), 1, "{}", db.name);
    assert_eq!(desk.pending_requests(&agent).await.unwrap(), 0, "{}: agents see no count", db.name);
    let open = desk.open_requests(&bea).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].requester.as_str(), open[0].identity_check), ("alex.agent", WEAK));
    assert!(open[0].reasons.iter().any(|r| r.sentence().contains("weak identity check")), "{}", db.name);
    assert_eq!(open[0].note.as_deref(), Some("ticket 4711"));
    // Before the approval there is nothing to generate with; an agent cannot approve.
    assert!(matches!(desk.generate_approved(&agent, id).await, Err(DeskError::RequestClosed)), "{}", db.name);
    let agent_approves = desk.approve_request(&agent, id).await;
    assert!(matches!(agent_approves, Err(DeskError::Refused(Refusal::AdminOnly))), "{}", db.name);
    // A second request for the same user waits behind the first.
    let ada = login(&desk, "ada.admin").await;
    let seen = desk.user_detail(&ada, jean.id).await.unwrap().contact_seen;
    let second = desk.request_codes(&ada, WarningChoice { target: jean.id, check: WEAK, note: None, seen }).await;
    assert!(matches!(second, Err(DeskError::RequestOpen)), "{}: {:?}", db.name, second.map(|_| ()));

    desk.approve_request(&bea, id).await.unwrap();
    let detail = desk.user_detail(&agent, jean.id).await.unwrap();
    let request = detail.request.expect("the requester sees the request");
    assert_eq!(request.state, RequestState::Approved);
    assert_eq!(request.decided_by.map(|(_, n)| n), Some("bea.admin".into()));
    // Only the requester generates with it.
    assert!(matches!(desk.generate_approved(&bea, id).await, Err(DeskError::NotYourRequest)), "{}", db.name);
    let issued = desk.generate_approved(&agent, id).await.unwrap();
    let again = desk.generate_approved(&agent, id).await;
    assert!(matches!(again, Err(DeskError::RequestClosed)), "{}: {:?}", db.name, again.map(|_| "codes"));
    assert!(matches!(
        desk.redeem("jeanluc.moreau", code_text(&issued.codes[0])).await.unwrap(),
        Redemption::Accepted { .. }
    ));
    let acts = actions(&db, jean.id).await;
    for action in ["codes_requested", "code_request_approved", "code_request_used", "backup_codes_generated"] {
        assert!(acts.contains(&action.to_owned()), "{}: no {action} in {acts:?}", db.name);
    }
    let events = db.store.recent_audit(Some(jean.id), 20).await.unwrap();
    let generated = events.iter().find(|e| e.action == "backup_codes_generated").unwrap();
    assert!(generated.detail.as_deref().is_some_and(|d| d.contains("approved by bea.admin")), "{}", db.name);
    assert_eq!(generated.identity_check.as_deref(), Some(WEAK.as_str()));
}

async fn every_forbidden_approver_is_refused_and_audited(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (bea, cy) = more_admins(&desk).await;
    let ada = login(&desk, "ada.admin").await;
    // The requester.
    let jean = db.user("jeanluc.moreau").await;
    let id = requested(&desk, &ada, jean.id, WEAK).await;
    let own = desk.approve_request(&ada, id).await;
    assert!(matches!(own, Err(DeskError::Refused(Refusal::OwnRequest))), "{}: {own:?}", db.name);
    desk.withdraw_request(&ada, id).await.unwrap();
    // The target: codes for a member of staff always need a second admin, not the target.
    let bea_user = db.user("bea.admin").await;
    let id = requested(&desk, &ada, bea_user.id, PHOTO).await;
    let target = desk.approve_request(&bea, id).await;
    assert!(matches!(target, Err(DeskError::Refused(Refusal::OwnAccount))), "{}: {target:?}", db.name);
    desk.withdraw_request(&ada, id).await.unwrap();
    // The target's linked identity: a customer sharing bea's email (written by another system,
    // in other case).
    let siobhan = db.user("siobhan.obrien").await;
    db.raw_execute(&format!("UPDATE users SET email = 'BEA.Admin@Bank.example' WHERE id = {}", siobhan.id))
        .await
        .unwrap();
    db.advance(25 * 3600);
    let (ada, cy) = (login(&desk, "ada.admin").await, relogin(&desk, &cy).await);
    let bea = relogin(&desk, &bea).await;
    let id = requested(&desk, &ada, siobhan.id, PHOTO).await;
    let reasons = desk.code_request(&ada, id).await.unwrap().reasons;
    assert!(
        reasons.iter().any(|r| r.sentence().contains("shares an email with member of staff bea.admin")),
        "{}: {reasons:?}",
        db.name
    );
    let linked = desk.approve_request(&bea, id).await;
    assert!(matches!(linked, Err(DeskError::Refused(Refusal::OwnLinkedIdentity))), "{}: {linked:?}", db.name);
    // A declined request is read by its requester with the reason.
    // Nobody declines or uses a request for their own account, or another's approval.
    let bea_id = db.user("bea.admin").await.id;
    let id_bea = requested(&desk, &ada, bea_id, PHOTO).await;
    let by_target = desk.decline_request(&bea, id_bea, "no").await;
    assert!(matches!(by_target, Err(DeskError::Refused(Refusal::OwnAccount))), "{}: {by_target:?}", db.name);
    let not_mine = desk.generate_approved(&cy, id_bea).await;
    assert!(matches!(not_mine, Err(DeskError::NotYourRequest)), "{}", db.name);
    desk.withdraw_request(&ada, id_bea).await.unwrap();
    let no_reason = desk.decline_request(&cy, id, "  ").await;
    assert!(matches!(no_reason, Err(DeskError::DeclineNeedsReason)), "{}", db.name);
    desk.decline_request(&cy, id, "call back on a number we trust").await.unwrap();
    let seen = desk.user_detail(&ada, siobhan.id).await.unwrap().request.unwrap();
    assert_eq!(seen.state, RequestState::Declined);
    assert_eq!(seen.decision_note.as_deref(), Some("call back on a number we trust"));
    let events = db.store.recent_audit(None, 200).await.unwrap();
    let refusals = events
        .iter()
        .filter(|e| {
            e.action == "action_refused" && e.detail.as_deref().is_some_and(|d| d.starts_with("code_request_approved"))
        })
        .count();
    assert_eq!(refusals, 3, "{}: every refused approval is audited", db.name);
    let misuse = events.iter().filter(|e| e.action == "action_refused" && e.actor == "cy.admin").count();
    assert_eq!(misuse, 1, "{}: using another's approval is audited", db.name);
    for action in ["code_request_withdrawn", "code_request_declined"] {
        assert!(events.iter().any(|e| e.action == action), "{}: no {action}", db.name);
    }
}

async fn relogin(desk: &HelpDesk, session: &Session) -> Session {
    desk.login(&session.staff.username, Zeroizing::new(SECOND_PASS.to_owned())).await.unwrap()
}

async fn requests_and_approvals_expire(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (bea, _) = more_admins(&desk).await;
    let agent = login(&desk, "alex.agent").await;
    let jean = db.user("jeanluc.moreau").await;
    let id = requested(&desk, &agent, jean.id, WEAK).await;
    db.advance(Limits::default().request_secs);
    let (bea, agent) = (relogin(&desk, &bea).await, login(&desk, "alex.agent").await);
    let late = desk.approve_request(&bea, id).await;
    assert!(matches!(late, Err(DeskError::RequestClosed)), "{}: {late:?}", db.name);
    assert!(actions(&db, jean.id).await.contains(&"code_request_expired".to_owned()), "{}", db.name);
    // An approval lasts `approval_minutes`.
    let id = requested(&desk, &agent, jean.id, WEAK).await;
    desk.approve_request(&bea, id).await.unwrap();
    db.advance(Limits::default().approval_secs);
    let agent = login(&desk, "alex.agent").await;
    let late = desk.generate_approved(&agent, id).await;
    assert!(matches!(late, Err(DeskError::RequestClosed)), "{}: {:?}", db.name, late.map(|_| "codes"));
    assert!(db.store.code_state(jean.id, desk.now()).await.unwrap().is_none(), "{}", db.name);
}

async fn a_contact_change_through_sql_after_the_approval_voids_it(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (bea, _) = more_admins(&desk).await;
    let agent = login(&desk, "alex.agent").await;
    let jean = db.user("jeanluc.moreau").await;
    let id = requested(&desk, &agent, jean.id, WEAK).await;
    desk.approve_request(&bea, id).await.unwrap();
    db.raw_execute(&format!("UPDATE users SET email = 'new@evil.example' WHERE id = {}", jean.id)).await.unwrap();
    let void = desk.generate_approved(&agent, id).await;
    assert!(matches!(void, Err(DeskError::RequestVoided(_))), "{}: {:?}", db.name, void.map(|_| "codes"));
    assert!(db.store.code_state(jean.id, desk.now()).await.unwrap().is_none(), "{}", db.name);
    assert_eq!(db.store.request(id).await.unwrap().unwrap().state, RequestState::Void);
    assert!(actions(&db, jean.id).await.contains(&"code_request_voided".to_owned()), "{}", db.name);
}

async fn two_admins_approving_at_once_and_one_approval_used_twice_at_once(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (bea, cy) = more_admins(&desk).await;
    let agent = login(&desk, "alex.agent").await;
    let jean = db.user("jeanluc.moreau").await;
    let id = requested(&desk, &agent, jean.id, WEAK).await;
    let (d1, d2) =
        (Arc::new(db.separate_desk(Limits::default()).await), Arc::new(db.separate_desk(Limits::default()).await));
    let (a, b) = tokio::join!(d1.approve_request(&bea, id), d2.approve_request(&cy, id));
    assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{}: {a:?} {b:?}", db.name);
    let approvals = db.store.recent_audit(Some(jean.id), 20).await.unwrap();
    assert_eq!(approvals.iter().filter(|e| e.action == "code_request_approved").count(), 1, "{}", db.name);
    let (a, b) = tokio::join!(d1.generate_approved(&agent, id), d2.generate_approved(&agent, id));
    assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{}: one approval, one batch", db.name);
    let batches = approvals_batches(&db, jean.id).await;
    assert_eq!(batches, 1, "{}", db.name);
}

async fn approvals_batches(db: &TestDb, user: i64) -> usize {
    db.store.recent_audit(Some(user), 50).await.unwrap().iter().filter(|e| e.action == "backup_codes_generated").count()
}

async fn disabling_staff_revokes_their_codes_and_refuses_them(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (bea, _) = more_admins(&desk).await;
    let ada = login(&desk, "ada.admin").await;
    let sam = db.user("sam.teller").await;
    // Codes for a member of staff wait for a second admin.
    let alone = desk.generate_codes(&ada, sam.id, PHOTO, None).await;
    assert!(matches!(&alone, Err(DeskError::NeedsSecondPerson(r)) if r[0].contains("member of staff")), "{}", db.name);
    let id = requested(&desk, &ada, sam.id, PHOTO).await;
    desk.approve_request(&bea, id).await.unwrap();
    let issued = desk.generate_approved(&ada, id).await.unwrap();
    desk.change_staff(&ada, sam.id, StaffChange::Disable).await.unwrap();
    assert!(db.store.code_state(sam.id, desk.now()).await.unwrap().is_none(), "{}: still active", db.name);
    assert_eq!(desk.redeem("sam.teller", code_text(&issued.codes[0])).await.unwrap(), Redemption::Rejected);
    let events = db.store.recent_audit(Some(sam.id), 20).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "backup_codes_revoked" && e.detail.as_deref() == Some("the account was disabled"))
    );
    assert!(db.store.notifications(sam.id).await.unwrap().iter().any(|n| n.kind == "backup_codes_revoked"));
    // A revoked batch cannot be revived in the database (migration 0015).
    let revive = format!("UPDATE backup_code_batches SET revoked_at = NULL WHERE id = {}", issued.batch_id);
    assert!(db.raw_execute(&revive).await.is_err(), "{}: a revoked batch came back", db.name);
    // An account disabled by another writer, its batch untouched: its codes are refused.
    let id = requested(&desk, &ada, db.user("nora.noperm").await.id, PHOTO).await;
    desk.approve_request(&bea, id).await.unwrap();
    let nora = desk.generate_approved(&ada, id).await.unwrap();
    db.raw_execute("UPDATE users SET disabled_at = 1 WHERE username = 'nora.noperm'").await.unwrap();
    assert_eq!(desk.redeem("nora.noperm", code_text(&nora.codes[0])).await.unwrap(), Redemption::Rejected);
}

async fn linked_identities_by_email_phone_and_link(db: TestDb) {
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let (alex, sam) = (login(&desk, "alex.agent").await, login(&desk, "sam.teller").await);
    let alex_user = db.user("alex.agent").await;
    // Alex's own customer account, written by Digital Banking with the email in other case.
    let jean = db.user("jeanluc.moreau").await;
    let email = alex_user.email.to_uppercase();
    db.raw_execute(&format!("UPDATE users SET email = '{email}' WHERE id = {}", jean.id)).await.unwrap();
    db.advance(25 * 3600);
    let (ada, alex, sam) =
        (relogin_demo(&desk, &ada).await, relogin_demo(&desk, &alex).await, relogin_demo(&desk, &sam).await);
    let own = desk.generate_codes(&alex, jean.id, PHOTO, None).await;
    assert!(matches!(own, Err(DeskError::Refused(Refusal::OwnLinkedIdentity))), "{}: {:?}", db.name, own.map(|_| ()));
    let other = desk.generate_codes(&sam, jean.id, PHOTO, None).await;
    assert!(
        matches!(&other, Err(DeskError::NeedsSecondPerson(r)) if r.iter().any(|r| r.contains("shares an email with member of staff alex.agent"))),
        "{}: {:?}",
        db.name,
        other.map(|_| ())
    );
    let signals = desk.user_detail(&sam, jean.id).await.unwrap().signals.join("\n");
    assert!(signals.contains("shares an email with member of staff alex.agent"), "{}: {signals}", db.name);

    // By phone, formatted differently: the staff profile holds it in E.164, the customer row
    // as a person typed it.
    desk.update_profile(
        &ada,
        alex_user.id,
        ProfileEdit { first_name: "Alex", last_name: "Rivera", email: &alex_user.email, phone: "+44 20 7946 0000" },
    )
    .await
    .unwrap();
    let siobhan = db.user("siobhan.obrien").await;
    db.raw_execute(&format!("UPDATE users SET phone = '+44 (0)20 7946-0000' WHERE id = {}", siobhan.id)).await.unwrap();
    db.advance(25 * 3600);
    let alex = relogin_demo(&desk, &alex).await;
    let own = desk.generate_codes(&alex, siobhan.id, PHOTO, None).await;
    assert!(matches!(own, Err(DeskError::Refused(Refusal::OwnLinkedIdentity))), "{}: {:?}", db.name, own.map(|_| ()));

    // An admin changing alex's staff email afterwards does not undo the link: the old value
    // is in the history. Nobody edits their own profile.
    let ada = relogin_demo(&desk, &ada).await;
    let own = desk
        .update_profile(
            &ada,
            db.user("ada.admin").await.id,
            ProfileEdit { first_name: "Ada", last_name: "Lovelace", email: "x@y.example", phone: "" },
        )
        .await;
    assert!(matches!(own, Err(DeskError::Refused(Refusal::OwnProfile))), "{}: {own:?}", db.name);
    desk.update_profile(
        &ada,
        alex_user.id,
        ProfileEdit { first_name: "Alex", last_name: "Rivera", email: "elsewhere@bank.example", phone: "" },
    )
    .await
    .unwrap();
    let alex = relogin_demo(&desk, &alex).await;
    let own = desk.generate_codes(&alex, jean.id, PHOTO, None).await;
    assert!(matches!(own, Err(DeskError::Refused(Refusal::OwnLinkedIdentity))), "{}: {:?}", db.name, own.map(|_| ()));

    // By an explicit link.
    let hiroshi = db.user("hiroshi.tanaka").await;
    desk.link_identity(&ada, db.user("sam.teller").await.id, "hiroshi.tanaka").await.unwrap();
    let sam = relogin_demo(&desk, &sam).await;
    let own = desk.generate_codes(&sam, hiroshi.id, PHOTO, None).await;
    assert!(matches!(own, Err(DeskError::Refused(Refusal::OwnLinkedIdentity))), "{}: {:?}", db.name, own.map(|_| ()));
    let events = db.store.recent_audit(Some(hiroshi.id), 20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "identity_linked"), "{}", db.name);
    assert!(events.iter().any(|e| e.action == "action_refused" && e.actor == "sam.teller"), "{}", db.name);
}

async fn relogin_demo(desk: &HelpDesk, session: &Session) -> Session {
    login(desk, &session.staff.username).await
}

async fn velocity_limits_count_at_their_boundary(db: TestDb) {
    let limits = Limits {
        velocity: VelocityLimits { per_agent_hour: 3, per_agent_day: 20, per_user_day: 2 },
        ..Limits::default()
    };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    // A customer's two batches a day go alone; the third waits for a second admin.
    desk.generate_codes(&agent, amara.id, PHOTO, None).await.unwrap();
    desk.generate_codes(&agent, amara.id, PHOTO, None).await.unwrap();
    let third = desk.generate_codes(&agent, amara.id, PHOTO, None).await;
    assert!(
        matches!(&third, Err(DeskError::NeedsSecondPerson(r)) if r.iter().any(|r| r.contains("received 2 batches"))),
        "{}: {:?}",
        db.name,
        third.map(|_| ())
    );
    let signals = desk.user_detail(&agent, amara.id).await.unwrap().signals.join("\n");
    assert!(signals.contains("received 2 batches"), "{}: {signals}", db.name);
    // An agent's third batch in the hour goes alone; the fourth waits.
    let jean = db.user("jeanluc.moreau").await;
    desk.generate_codes(&agent, jean.id, PHOTO, None).await.unwrap();
    let hiroshi = db.user("hiroshi.tanaka").await;
    let fourth = desk.generate_codes(&agent, hiroshi.id, PHOTO, None).await;
    assert!(
        matches!(&fourth, Err(DeskError::NeedsSecondPerson(r)) if r.iter().any(|r| r.contains("3 batches in the last hour"))),
        "{}: {:?}",
        db.name,
        fourth.map(|_| ())
    );
    // An hour later the agent's count has room again.
    db.advance(3_601);
    let agent = login(&desk, "alex.agent").await;
    desk.generate_codes(&agent, hiroshi.id, PHOTO, None).await.unwrap();
}

async fn the_institution_may_require_a_second_person_for_every_batch(db: TestDb) {
    let desk = db.desk(Limits::default());
    let ada = login(&desk, "ada.admin").await;
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let refused = desk.set_second_person_always(&agent, true).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}", db.name);
    desk.set_second_person_always(&ada, true).await.unwrap();
    let alone = desk.generate_codes(&agent, amara.id, PHOTO, None).await;
    assert!(
        matches!(&alone, Err(DeskError::NeedsSecondPerson(r)) if r.iter().any(|r| r.contains("institution requires"))),
        "{}",
        db.name
    );
    let events = db.store.recent_audit(None, 20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "second_person_rule_changed" && e.actor == "ada.admin"));
    desk.set_second_person_always(&ada, false).await.unwrap();
    desk.generate_codes(&agent, amara.id, PHOTO, None).await.unwrap();
}

/// A request stores why it waits as kinds, which the schema checks and keeps; a request
/// made before (its reasons one sentence a line) is carried over on upgrade: its cool-off
/// override as the kind the approval rule reads, every other line as the sentence it was.
async fn reasons_are_stored_as_kinds_and_older_requests_carried_over(db: TestDb) {
    let (url, _dir) = common::before_migration(&db, 16).await;
    let older = "INSERT INTO users (institution_id, kind, username, first_name, last_name, sort_key, \
         first_key, email, phone, phone_digits, enrolment, staff_role, created_at, updated_at) VALUES \
         (1, 'staff', 'ann.admin', 'Ann', 'Admin', 'admin', 'ann', 'ann@bank.example', '', '', 'enrolled', 'admin', 0, 0), \
         (1, 'customer', 'cat.customer', 'Cat', 'Customer', 'customer', 'cat', 'cat@example.com', '', '', 'registered', NULL, 0, 0); \
         INSERT INTO code_requests (requester_id, target_id, identity_check, signals, reasons, created_at, \
         expires_at, state) SELECT a.id, c.id, 'other', '', \
         'a weak identity check (other)\noverrides the contact-change cool-off (until 2026-11-19 11:06 UTC)\n', \
         1795000000, 1795001800, 'pending' FROM users a, users c \
         WHERE a.username = 'ann.admin' AND c.username = 'cat.customer'";
    db.raw_script_at(&url, older).await.expect("a request as an older helpdesk wrote it");
    let store = helpdesk::store::open(&url, 2, &db.audit_key).await.expect("the upgrade");
    // The first request of an empty table has id 1 on both databases.
    let request = store.request(1).await.unwrap().expect("the older request");
    assert_eq!(
        request.reasons,
        vec![
            Reason::Recorded("a weak identity check (other)".into()),
            Reason::CoolOffOverride { until: 1_795_086_360 }
        ],
        "{}",
        db.name
    );
    assert!(request.overrides_cool_off(), "{}: the rule reads the carried-over kind", db.name);
    assert_eq!(request.reasons[1].sentence(), "overrides the contact-change cool-off (until 2026-11-19 11:06 UTC)");

    // The schema knows the set and what each kind names; what is written stays.
    for refused in [
        "INSERT INTO code_request_reasons (request_id, position, kind) VALUES (1, 9, 'overrides the cool-off')",
        "INSERT INTO code_request_reasons (request_id, position, kind) VALUES (1, 9, 'cool_off_override')",
        "INSERT INTO code_request_reasons (request_id, position, kind, until_at) VALUES (1, 9, 'staff_target', 5)",
        "INSERT INTO code_request_reasons (request_id, position, kind, count) VALUES (1, 9, 'agent_day', 5)",
        "UPDATE code_request_reasons SET kind = 'staff_target', until_at = NULL WHERE request_id = 1",
        "DELETE FROM code_request_reasons WHERE request_id = 1",
    ] {
        assert!(db.raw_script_at(&url, refused).await.is_err(), "{}: {refused}", db.name);
    }
    assert_eq!(store.request(1).await.unwrap().unwrap().reasons, request.reasons, "{}", db.name);
}

/// Another writer's phone change, committed while a profile edit waits for the user's row,
/// keeps its own audit event and notice: the edit marks handled only the change it made.
async fn an_outside_change_committed_during_a_profile_edit_is_still_told(db: TestDb) {
    use sqlx::Connection;
    use std::time::Duration;
    let desk = Arc::new(db.desk(Limits::default()));
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    desk.handle_outside_changes().await.unwrap();
    let outside = format!("UPDATE users SET phone = '+447911123456' WHERE id = {}", amara.id);
    let edit = |desk: Arc<HelpDesk>, amara: helpdesk::domain::user::User| {
        tokio::spawn(async move {
            // The form as the agent read it, before the other writer's change.
            let edit =
                ProfileEdit { first_name: "Amara-Jane", last_name: "Okafor", email: &amara.email, phone: &amara.phone };
            desk.update_profile(&agent, amara.id, edit).await
        })
    };
    let edited = if db.name == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        sqlx::query(&outside).execute(&mut *tx).await.unwrap();
        let edited = edit(desk.clone(), amara.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
        edited
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let mut tx = c.begin().await.unwrap();
        sqlx::query(&outside).execute(&mut *tx).await.unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *tx).await.unwrap();
        let edited = edit(desk.clone(), amara.clone());
        common::wait_until_blocked_by(&db.url, pid, &format!("{}: the edit", db.name)).await;
        tx.commit().await.unwrap();
        edited
    };
    edited.await.unwrap().unwrap();
    assert_eq!(desk.handle_outside_changes().await.unwrap(), 1, "{}: the outside change was swallowed", db.name);
    let told = db.store.notifications(amara.id).await.unwrap();
    assert!(
        told.iter().any(|n| n.kind == "contact_details_changed" && n.address == amara.phone),
        "{}: the old number was not told of the outside change",
        db.name
    );
}

/// Another system's change is audited and told within seconds with nobody using the help
/// desk (what `helpdesk serve` and `helpdesk watch` run), and the notice says it was not
/// the help desk that made it.
async fn outside_changes_are_told_within_seconds_with_no_agent_working(db: TestDb) {
    use std::time::{Duration, Instant};
    let desk = Arc::new(db.desk(Limits::default()));
    let amara = db.user("amara.okafor").await;
    desk.handle_outside_changes().await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watching = {
        let desk = desk.clone();
        tokio::spawn(async move {
            desk.watch_outside_changes(Duration::from_millis(50), async {
                let _ = stopped.await;
            })
            .await
        })
    };
    db.raw_execute(&format!("UPDATE users SET email = 'someone@else.example' WHERE id = {}", amara.id)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let told = loop {
        let told: Vec<_> = db.store.notifications(amara.id).await.unwrap();
        if told.iter().any(|n| n.kind == "contact_details_changed") {
            break told;
        }
        assert!(Instant::now() < deadline, "{}: the change was not handled within seconds", db.name);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    stop.send(()).unwrap();
    watching.await.unwrap();
    let to_old = told.iter().find(|n| n.address == amara.email).expect("the old address is told");
    assert!(to_old.body.contains("not by our help desk"), "{}: {}", db.name, to_old.body);
    let events = db.store.recent_audit(Some(amara.id), 20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "contact_details_changed" && e.actor.contains("outside helpdesk")));
}

on_each_backend!(
    outside_changes_are_told_within_seconds_with_no_agent_working,
    reasons_are_stored_as_kinds_and_older_requests_carried_over,
    an_outside_change_committed_during_a_profile_edit_is_still_told,
    a_contact_change_through_sql_starts_the_cool_off_and_is_told,
    another_writer_cannot_pass_for_helpdesk,
    a_change_made_in_helpdesk_names_its_staff_and_blocks_their_override,
    a_request_is_approved_by_a_second_admin_and_used_once,
    every_forbidden_approver_is_refused_and_audited,
    requests_and_approvals_expire,
    a_contact_change_through_sql_after_the_approval_voids_it,
    disabling_staff_revokes_their_codes_and_refuses_them,
    linked_identities_by_email_phone_and_link,
    velocity_limits_count_at_their_boundary,
    the_institution_may_require_a_second_person_for_every_batch,
);

on_each_backend!(multi_thread: two_admins_approving_at_once_and_one_approval_used_twice_at_once);
