//! Staff sign-in, sessions, passwords, profiles and settings, on every backend.

use crate::common;
use common::{TestDb, login};
use helpdesk::desk::{DeskError, Limits, ProfileEdit, Session};
use helpdesk::domain::access::{Permission, Refusal};
use helpdesk::domain::audit::{AuditAction, AuditEvent, IdentityCheck};
use helpdesk::domain::institution::TwoFactorMethod;
use helpdesk::domain::profile::ProfileError;
use zeroize::Zeroizing;

fn pw(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

async fn failed_sign_ins_are_throttled_and_audited(db: TestDb) {
    let limits = Limits { login_max_failures: 3, login_lockout_secs: 600, ..Limits::default() };
    let desk = db.desk(limits);
    assert!(matches!(desk.login("nobody", pw("whatever-long-pass")).await, Err(DeskError::BadCredentials)));
    for _ in 0..3 {
        assert!(matches!(desk.login("alex.agent", pw("wrong-password-here")).await, Err(DeskError::BadCredentials)));
    }
    let locked = desk.login("alex.agent", pw("agent-demo-pass-2026")).await;
    assert!(matches!(locked, Err(DeskError::LoginLocked { .. })), "{}: {locked:?}", db.name);
    db.advance(601);
    desk.login("ALEX.AGENT", pw("agent-demo-pass-2026")).await.expect("the lock ends");
    let events = db.store.recent_audit(None, 50).await.unwrap();
    let count = |a: &str| events.iter().filter(|e| e.action == a).count();
    assert_eq!(count("staff_login_failed"), 5, "{}", db.name);
    assert_eq!(count("staff_login_locked"), 1, "{}", db.name);
    assert_eq!(count("staff_login"), 1, "{}", db.name);
}

async fn changing_a_password_ends_every_session(db: TestDb) {
    let desk = db.desk(Limits::default());
    let first = login(&desk, "alex.agent").await;
    let second = login(&desk, "alex.agent").await;
    let weak = desk.change_password(&first, pw("agent-demo-pass-2026"), pw("short")).await;
    assert!(matches!(weak, Err(DeskError::Profile(ProfileError::Password(_)))));
    let wrong = desk.change_password(&first, pw("not-my-password!"), pw("a much better passphrase")).await;
    assert!(matches!(wrong, Err(DeskError::WrongPassword)));
    desk.change_password(&first, pw("agent-demo-pass-2026"), pw("a much better passphrase")).await.unwrap();
    for session in [&first, &second] {
        let after = desk.search(session, &Default::default()).await;
        assert!(matches!(after, Err(DeskError::SessionEnded)), "{}: a session outlived the password", db.name);
    }
    assert!(desk.login("alex.agent", pw("agent-demo-pass-2026")).await.is_err());
    desk.login("alex.agent", pw("a much better passphrase")).await.unwrap();
}

async fn a_removed_permission_is_honoured_at_once(db: TestDb) {
    let desk = db.desk(Limits::default());
    let admin = login(&desk, "ada.admin").await;
    let agent = login(&desk, "alex.agent").await;
    let alex = db.user("alex.agent").await;
    let amara = db.user("amara.okafor").await;
    desk.set_permission(&admin, alex.id, Permission::GenerateLockoutCodes, false).await.unwrap();
    let refused = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::MissingPermission))), "{}", db.name);
    // Agents cannot change permissions; admins cannot change their own.
    let ada = db.user("ada.admin").await;
    assert!(matches!(
        desk.set_permission(&agent, alex.id, Permission::GenerateLockoutCodes, true).await,
        Err(DeskError::Refused(Refusal::AdminOnly))
    ));
    assert!(matches!(
        desk.set_permission(&admin, ada.id, Permission::GenerateLockoutCodes, false).await,
        Err(DeskError::Refused(Refusal::OwnPermissions))
    ));
}

async fn profiles_and_settings(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let admin = login(&desk, "ada.admin").await;
    let amara = db.user("amara.okafor").await;
    desk.update_profile(
        &agent,
        amara.id,
        ProfileEdit {
            first_name: "Amara-Jane",
            last_name: "O'Kafor",
            email: "AMARA@example.com",
            phone: "+234 803 123 4567",
        },
    )
    .await
    .unwrap();
    let after = db.user("amara.okafor").await;
    assert_eq!(
        (after.first_name.as_str(), after.last_name.as_str(), after.email.as_str(), after.phone.as_str()),
        ("Amara-Jane", "O'Kafor", "amara@example.com", "+2348031234567")
    );
    let bad = desk
        .update_profile(
            &agent,
            amara.id,
            ProfileEdit { first_name: "A", last_name: "Okafor", email: "a@b.co", phone: "" },
        )
        .await;
    assert!(matches!(bad, Err(DeskError::Profile(ProfileError::FirstName))));
    // Agents do not edit staff profiles.
    let sam = db.user("sam.teller").await;
    let refused = desk
        .update_profile(
            &agent,
            sam.id,
            ProfileEdit { first_name: "Sam", last_name: "Okoro", email: "sam@bank.example", phone: "" },
        )
        .await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::StaffProfile))));

    assert!(matches!(
        desk.set_permitted_methods(&agent, &[TwoFactorMethod::Email]).await,
        Err(DeskError::Refused(Refusal::AdminOnly))
    ));
    let institution =
        desk.set_permitted_methods(&admin, &[TwoFactorMethod::Email, TwoFactorMethod::BackupCodes]).await.unwrap();
    assert!(institution.email_makes_codes_unusual(), "{}", db.name);
    assert!(matches!(desk.recent_audit(&agent, None, 10).await, Err(DeskError::Refused(Refusal::AdminOnly))));
    let events = desk.recent_audit(&admin, None, 10).await.unwrap();
    // The agent's refused read is recorded too, after the change.
    assert_eq!(events[0].action, "action_refused");
    assert!(events[0].detail.as_deref().is_some_and(|d| d.starts_with("admin_read:")), "{}", db.name);
    assert_eq!(events[1].action, "permitted_methods_changed");
}

async fn search_pages_through_users_by_name_username_email_and_phone(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let q = |text: &str| helpdesk::store::UserQuery { text: text.into(), after: None, limit: 50 };
    let names = |users: Vec<helpdesk::domain::user::User>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();
    assert!(names(desk.search(&agent, &q("okafor")).await.unwrap()).contains(&"amara.okafor".to_owned()));
    assert!(names(desk.search(&agent, &q("Amara")).await.unwrap()).contains(&"amara.okafor".to_owned()));
    assert!(names(desk.search(&agent, &q("jeanluc")).await.unwrap()).contains(&"jeanluc.moreau".to_owned()));
    assert!(names(desk.search(&agent, &q("+234 803")).await.unwrap()).contains(&"amara.okafor".to_owned()));
    assert!(names(desk.search(&agent, &q("o'brien")).await.unwrap()).contains(&"siobhan.obrien".to_owned()));
    assert!(desk.search(&agent, &q("zzzz-nobody")).await.unwrap().is_empty());
    // Paging: two pages of 10 cover the first 20 in order, without overlap.
    let mut query = helpdesk::store::UserQuery { text: String::new(), after: None, limit: 10 };
    let first = desk.search(&agent, &query).await.unwrap();
    let last = first.last().unwrap();
    query.after = Some((helpdesk::domain::user::sort_key(&last.first_name, &last.last_name), last.id));
    let second = desk.search(&agent, &query).await.unwrap();
    assert_eq!(first.len(), 10);
    assert!(second.iter().all(|u| !first.contains(u)), "{}: pages overlap", db.name);
    query.limit = 20;
    query.after = None;
    let both = desk.search(&agent, &query).await.unwrap();
    assert_eq!(both, [first, second].concat(), "{}", db.name);
}

async fn unlocking_checks_the_password_and_keeps_the_session(db: TestDb) {
    let desk = db.desk(Limits::default());
    let session = login(&desk, "alex.agent").await;
    assert!(matches!(desk.unlock(&session, pw("not-the-password")).await, Err(DeskError::BadCredentials)));
    desk.unlock(&session, pw("agent-demo-pass-2026")).await.expect("the right password unlocks");
    desk.search(&session, &Default::default()).await.expect("the same session goes on");
    desk.logout(&session).await.unwrap();
    let ended = desk.unlock(&session, pw("agent-demo-pass-2026")).await;
    assert!(matches!(ended, Err(DeskError::SessionEnded)), "{}: an ended session unlocked", db.name);
}

on_each_backend!(
    failed_sign_ins_are_throttled_and_audited,
    changing_a_password_ends_every_session,
    a_removed_permission_is_honoured_at_once,
    profiles_and_settings,
    search_pages_through_users_by_name_username_email_and_phone,
    unlocking_checks_the_password_and_keeps_the_session,
);

async fn the_session_row_decides_who_acts_and_how_long(db: TestDb) {
    let limits = Limits { session_max_secs: 3600, session_idle_secs: 600, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let admin = login(&desk, "ada.admin").await;

    // A Session value claiming to be the admin, holding the agent's session id.
    let forged = Session { id: agent.id, staff: admin.staff.clone(), name: admin.name.clone() };
    let refused = desk.set_permitted_methods(&forged, &[TwoFactorMethod::Email]).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}: {refused:?}", db.name);

    // The heartbeat keeps a session alive through idle periods ...
    for _ in 0..5 {
        db.advance(500);
        desk.heartbeat(&admin).await.expect("a live session");
    }
    desk.search(&admin, &Default::default()).await.expect("alive after 2500 s with heartbeats");
    // ... up to the longest a session may last.
    db.advance(1_200);
    desk.heartbeat(&admin).await.ok();
    db.advance(500);
    assert!(matches!(desk.search(&admin, &Default::default()).await, Err(DeskError::SessionEnded)), "{}", db.name);

    // A session whose process stopped calling is refused after the idle lock.
    let fresh = login(&desk, "alex.agent").await;
    db.advance(601);
    assert!(matches!(desk.search(&fresh, &Default::default()).await, Err(DeskError::SessionEnded)), "{}", db.name);
    assert!(matches!(desk.heartbeat(&fresh).await, Err(DeskError::SessionEnded)), "{}: revived", db.name);
    let alex = db.user("alex.agent").await;
    let ends: Vec<AuditEvent> = db
        .store
        .recent_audit(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::StaffLogout.as_str() && e.actor_id == Some(alex.id))
        .collect();
    assert!(ends.iter().any(|e| e.detail.as_deref().is_some_and(|d| d.contains("abandoned"))), "{}", db.name);
}

on_each_backend!(the_session_row_decides_who_acts_and_how_long);
