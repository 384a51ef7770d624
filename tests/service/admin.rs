//! The admin's half and the takeover defences, on every backend: institution settings,
//! the staff lifecycle, the contact-change cool-off and its notices, the risk signals.

use crate::common;

use common::{TestDb, login};
use helpdesk::desk::{DeskError, Limits, ProfileEdit};
use helpdesk::domain::access::{CoolOff, Permission, Refusal, StaffChange};
use helpdesk::domain::audit::{AuditAction, AuditFilter, IdentityCheck};
use helpdesk::domain::institution::{SettingsError, TwoFactorMethod};
use helpdesk::domain::profile::ProfileError;
use zeroize::Zeroizing;

fn pw(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

async fn settings_are_for_admins_and_never_strand_codes(db: TestDb) {
    use TwoFactorMethod::*;
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let refused = desk.set_permitted_methods(&agent, &[Sms]).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}: {refused:?}", db.name);
    let none = desk.set_permitted_methods(&admin, &[]).await;
    assert!(matches!(none, Err(DeskError::Settings(SettingsError::NoMethod))), "{}", db.name);

    let amara = db.user("amara.okafor").await;
    desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let stranding = desk.set_permitted_methods(&admin, &[Sms, AuthenticatorApp]).await;
    assert!(
        matches!(stranding, Err(DeskError::Settings(SettingsError::BackupCodesInUse { active: 1 }))),
        "{}: {stranding:?}",
        db.name
    );
    let saved = desk.set_permitted_methods(&admin, &[Email, Sms, BackupCodes]).await.unwrap();
    assert_eq!(saved.permitted, [Email, Sms, BackupCodes]);
    // An open detail reads the institution afresh: the agent sees email at once.
    let detail = desk.user_detail(&agent, amara.id).await.unwrap();
    assert!(detail.institution.email_makes_codes_unusual() && detail.risk.email_permitted, "{}", db.name);
    let events = db.store.recent_audit(None, 5).await.unwrap();
    let changed = events.iter().find(|e| e.action == "permitted_methods_changed").expect("audited");
    assert_eq!(
        changed.detail.as_deref(),
        Some("sms,voice,authenticator_app,backup_codes -> email,sms,backup_codes"),
        "{}: before and after",
        db.name
    );
}

async fn staff_changes_are_for_admins_never_on_themselves_and_keep_an_admin(db: TestDb) {
    let desk = db.desk(Limits::default());
    let admin = login(&desk, "ada.admin").await;
    let agent = login(&desk, "alex.agent").await;
    let (ada, sam) = (db.user("ada.admin").await, db.user("sam.teller").await);
    for change in [StaffChange::Disable, StaffChange::Unlock, StaffChange::Grant(Permission::GenerateLockoutCodes)] {
        let refused = desk.change_staff(&agent, sam.id, change).await;
        assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}: {change:?}", db.name);
    }
    for change in [StaffChange::Disable, StaffChange::Demote, StaffChange::EndSessions] {
        let refused = desk.change_staff(&admin, ada.id, change).await;
        assert!(matches!(refused, Err(DeskError::Refused(Refusal::OwnPermissions))), "{}: {change:?}", db.name);
    }
    let customer = db.user("amara.okafor").await;
    let refused = desk.change_staff(&admin, customer.id, StaffChange::Disable).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::NotStaff))), "{}", db.name);

    // Ben, the demo's second admin, is disabled first: the rule is about the last one.
    desk.change_staff(&admin, db.user("ben.admin").await.id, StaffChange::Disable).await.unwrap();
    // Sam becomes an admin and demotes Ada: her role is read afresh at her next action,
    // so she can no longer act as an admin, and Sam, now the last admin, stays one.
    // With ben gone ada is the single admin: the database's owner is the second person.
    common::grant(&desk, &admin, sam.id, StaffChange::Promote, None).await;
    let sam_session = login(&desk, "sam.teller").await;
    desk.change_staff(&sam_session, ada.id, StaffChange::Demote).await.unwrap();
    let refused = desk.change_staff(&admin, sam.id, StaffChange::Demote).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}: {refused:?}", db.name);
    assert_eq!(db.store.count_enabled_admins().await.unwrap(), 1, "{}", db.name);
}

async fn the_last_enabled_admin_cannot_be_demoted_or_disabled(db: TestDb) {
    let desk = db.desk(Limits::default());
    let admin = login(&desk, "ada.admin").await;
    desk.change_staff(&admin, db.user("ben.admin").await.id, StaffChange::Disable).await.unwrap();
    let sam = db.user("sam.teller").await;
    common::grant(&desk, &admin, sam.id, StaffChange::Promote, None).await;
    let sam_session = login(&desk, "sam.teller").await;
    let ada = db.user("ada.admin").await;
    // Ada disables Sam (two admins: allowed); Sam's session ends with it.
    desk.change_staff(&admin, sam.id, StaffChange::Disable).await.unwrap();
    let ended = desk.search(&sam_session, &Default::default()).await;
    assert!(matches!(ended, Err(DeskError::SessionEnded)), "{}: a disabled member's session went on", db.name);
    let refused = desk.login("sam.teller", pw("sam-demo-pass-2026")).await;
    assert!(matches!(refused, Err(DeskError::Disabled)), "{}: {refused:?}", db.name);
    // Ada is the last enabled admin: the store refuses to demote her even when asked
    // directly (as a second process racing the rule would).
    assert_eq!(db.store.count_enabled_admins().await.unwrap(), 1);
    let event = helpdesk::domain::audit::NewAuditEvent::new(desk.now(), AuditAction::StaffRoleChanged);
    let allow = |_: &helpdesk::domain::access::Staff| true;
    let acting = helpdesk::store::Acting { session: admin.id, actor: admin.staff.id, may: &allow };
    for change in [StaffChange::Demote, StaffChange::Disable] {
        let done = db.store.change_staff(acting, ada.id, change, desk.now(), &event, None).await.unwrap();
        assert_eq!(done, helpdesk::store::StaffChangeOutcome::LastAdmin, "{}: {change:?}", db.name);
    }
    // Re-enabled (by two people: ada asks, the owner approves beside her, the single
    // admin), Sam signs in again; the audit log has each change.
    common::grant(&desk, &admin, sam.id, StaffChange::Enable, None).await;
    login(&desk, "sam.teller").await;
    let filter = AuditFilter { target: Some("sam.teller".into()), ..AuditFilter::default() };
    let events = desk.audit_page(&admin, &filter, None, 50).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for expected in ["staff_role_changed", "staff_disabled", "staff_enabled"] {
        assert!(actions.contains(&expected), "{}: {expected} missing from {actions:?}", db.name);
    }
}

async fn unlock_and_end_sessions(db: TestDb) {
    let limits = Limits { login_max_failures: 2, ..Limits::default() };
    let desk = db.desk(limits);
    let admin = login(&desk, "ada.admin").await;
    let nora = db.user("nora.noperm").await;
    let nora_session = login(&desk, "nora.noperm").await;
    for _ in 0..2 {
        assert!(desk.login("nora.noperm", pw("not her password")).await.is_err());
    }
    assert!(matches!(desk.login("nora.noperm", pw("nora-demo-pass-2026")).await, Err(DeskError::LoginLocked { .. })));
    let listed = desk.staff_members(&admin).await.unwrap();
    let row = listed.iter().find(|m| m.user.id == nora.id).unwrap();
    assert!(row.login_locked_until.is_some_and(|t| t > desk.now()) && row.open_sessions == 1, "{}", db.name);
    desk.change_staff(&admin, nora.id, StaffChange::Unlock).await.unwrap();
    login(&desk, "nora.noperm").await;
    desk.change_staff(&admin, nora.id, StaffChange::EndSessions).await.unwrap();
    assert!(matches!(desk.search(&nora_session, &Default::default()).await, Err(DeskError::SessionEnded)));
    let listed = desk.staff_members(&admin).await.unwrap();
    assert_eq!(listed.iter().find(|m| m.user.id == nora.id).unwrap().open_sessions, 0, "{}", db.name);
    // Permissions through the same path.
    let ben = login(&desk, "ben.admin").await;
    common::grant(&desk, &admin, nora.id, StaffChange::Grant(Permission::GenerateLockoutCodes), Some(&ben)).await;
    let listed = desk.staff_members(&admin).await.unwrap();
    assert!(listed.iter().find(|m| m.user.id == nora.id).unwrap().staff.has(Permission::GenerateLockoutCodes));
}

async fn a_contact_change_tells_the_old_addresses_and_starts_a_cool_off(db: TestDb) {
    let limits = Limits { contact_cooloff_secs: 24 * 3600, ..Limits::default() };
    let desk = db.desk(limits);
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    desk.update_profile(
        &agent,
        amara.id,
        ProfileEdit { first_name: "Amara", last_name: "Okafor", email: "amara.new@mail.example", phone: &amara.phone },
    )
    .await
    .unwrap();

    let notices = db.store.notifications(amara.id).await.unwrap();
    let changed: Vec<_> = notices.iter().filter(|n| n.kind == "contact_details_changed").collect();
    let to = |address: &str| changed.iter().filter(|n| n.address == address).count();
    assert_eq!(to(&amara.email), 1, "{}: the old email was not told", db.name);
    assert_eq!(to(&amara.phone), 1, "{}: the phone on file was not told", db.name);
    assert_eq!(to("amara.new@mail.example"), 1, "{}: the new email was not told", db.name);
    for old in changed.iter().filter(|n| n.address != "amara.new@mail.example") {
        assert!(!old.body.contains("amara.new"), "{}: the old address was sent the new one", db.name);
    }
    let events = db.store.recent_audit(Some(amara.id), 5).await.unwrap();
    let change = events.iter().find(|e| e.action == "contact_details_changed").expect("audited");
    assert!(
        change.detail.as_deref().is_some_and(|d| d.contains("amara.okafor@mail.example") && d.contains("amara.new"))
    );

    // The agent who made the change may not ask for codes inside its cool-off.
    let until = desk.now() + 24 * 3600;
    let refused = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await;
    assert!(
        matches!(refused, Err(DeskError::Refused(Refusal::OwnContactChange))),
        "{}: {:?}",
        db.name,
        refused.map(|_| "codes")
    );
    let detail = desk.user_detail(&agent, amara.id).await.unwrap();
    assert_eq!(detail.may_generate, Err(Refusal::OwnContactChange));
    assert_eq!(detail.may_revoke, Ok(()), "{}: revoking stays possible", db.name);
    // Another agent may ask: the override waits for an admin.
    let sam = login(&desk, "sam.teller").await;
    let alone = desk.generate_codes(&sam, amara.id, IdentityCheck::InPersonPhotoId, None).await;
    assert!(matches!(&alone, Err(DeskError::NeedsSecondPerson(r)) if r[0].contains("cool-off")), "{}", db.name);
    let change = detail.risk.contact_changes.first().expect("the change is a signal");
    assert_eq!((change.field.as_str(), change.staff.as_ref().map(|(_, n)| n.as_str())), ("email", Some("alex.agent")));

    // An admin may ask to override, which needs a second admin (tests/two_person.rs): alone,
    // the generation is refused and the refusal audited.
    let admin = login(&desk, "ada.admin").await;
    let detail = desk.user_detail(&admin, amara.id).await.unwrap();
    assert_eq!(detail.may_generate, Ok(CoolOff::Overridden { until }));
    let alone = desk.generate_codes(&admin, amara.id, IdentityCheck::InPersonPhotoId, None).await;
    assert!(matches!(&alone, Err(DeskError::NeedsSecondPerson(r)) if r[0].contains("cool-off")), "{}", db.name);
    let events = db.store.recent_audit(Some(amara.id), 5).await.unwrap();
    assert!(events.iter().any(|e| e.action == "action_refused" && e.actor == "ada.admin"), "{}", db.name);

    // After the window, the agent (signed in afresh: a day-old session has expired) may again.
    db.advance(24 * 3600);
    let agent = login(&desk, "alex.agent").await;
    desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    // A profile edit that keeps the email and phone starts no cool-off.
    let jean = db.user("jeanluc.moreau").await;
    desk.update_profile(
        &agent,
        jean.id,
        ProfileEdit { first_name: "Jean-Luc", last_name: "Moreau-Dupont", email: &jean.email, phone: &jean.phone },
    )
    .await
    .unwrap();
    desk.generate_codes(&agent, jean.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
}

async fn the_risk_signals_come_from_the_database(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let admin = login(&desk, "ada.admin").await;
    let amara = db.user("amara.okafor").await;
    let quiet = desk.user_detail(&agent, amara.id).await.unwrap().risk;
    assert!(!quiet.any(), "{}: signals for a quiet customer: {quiet:?}", db.name);

    desk.generate_codes(&admin, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    desk.update_profile(
        &agent,
        amara.id,
        ProfileEdit { first_name: "Amara", last_name: "Okafor", email: &amara.email, phone: "+447911123456" },
    )
    .await
    .unwrap();
    for _ in 0..3 {
        desk.redeem("amara.okafor", pw("0000-0000-0000")).await.unwrap();
    }
    let risk = desk.user_detail(&admin, amara.id).await.unwrap().risk;
    let change = risk.contact_changes.first().map(|c| (c.field.as_str(), c.at, c.old_value.as_str()));
    assert_eq!(change, Some(("phone", desk.now(), amara.phone.as_str())), "{}", db.name);
    assert_eq!(risk.recent_codes.as_ref().map(|c| c.by.as_str()), Some("ada.admin"), "{}", db.name);
    assert_eq!(risk.failed_redemptions, 3);
    assert!(!risk.staff_target && !risk.email_permitted && risk.codes_locked_until.is_none());
    let sam = db.user("sam.teller").await;
    assert!(desk.user_detail(&admin, sam.id).await.unwrap().risk.staff_target);

    // A week later the contact change and the day-old codes are no longer signals.
    db.advance(8 * 86_400);
    let admin = login(&desk, "ada.admin").await;
    let later = desk.user_detail(&admin, amara.id).await.unwrap().risk;
    assert!(later.contact_changes.is_empty() && later.recent_codes.is_none(), "{}: {later:?}", db.name);
}

async fn profile_rules_refuse_with_the_source_messages(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let update = |first: String, last: String, email: String, phone: String| {
        let (desk, agent) = (&desk, &agent);
        async move {
            desk.update_profile(
                agent,
                amara.id,
                ProfileEdit { first_name: &first, last_name: &last, email: &email, phone: &phone },
            )
            .await
        }
    };
    let long = "a".repeat(10_000);
    let email = amara.email.clone();
    let cases = [
        (("A".into(), "Okafor".into(), email.clone(), String::new()), ProfileError::FirstName),
        (("".into(), "Okafor".into(), email.clone(), String::new()), ProfileError::FirstName),
        ((long.clone(), "Okafor".into(), email.clone(), String::new()), ProfileError::FirstName),
        (("Amara".into(), "".into(), email.clone(), String::new()), ProfileError::LastName),
        (("Amara".into(), "0kafor".into(), email.clone(), String::new()), ProfileError::LastName),
        (("Amara".into(), "Okafor".into(), "amara@".into(), String::new()), ProfileError::Email),
        (("Amara".into(), "Okafor".into(), format!("{long}@x.example"), String::new()), ProfileError::Email),
        (
            ("Amara".into(), "Okafor".into(), email.clone(), "0800 CALL ME".into()),
            ProfileError::Phone(helpdesk::domain::phone::PhoneError::Letters),
        ),
    ];
    for ((first, last, email, phone), want) in cases {
        match update(first, last, email, phone).await {
            Err(DeskError::Profile(got)) => assert_eq!(got, want, "{}", db.name),
            other => panic!("{}: wanted {want:?}, got {other:?}", db.name),
        }
    }
    assert_eq!(
        ProfileError::LastName.to_string(),
        "Last name must have at least 1 characters. Numbers and special characters are not allowed."
    );
    assert_eq!(ProfileError::Email.to_string(), "Enter a valid email");
    // Unicode names as the README documents them, stored as typed.
    update("Siobhán".into(), "Ó Briain-Nüñez".into(), email.clone(), String::new()).await.unwrap();
    let stored = db.user("amara.okafor").await;
    assert_eq!((stored.first_name.as_str(), stored.last_name.as_str()), ("Siobhán", "Ó Briain-Nüñez"));
}

/// The emergency stop: every active batch revoked at once, audited with
/// the count, every holder told; then backup codes may be switched off.
async fn an_admin_revokes_every_active_batch_at_once(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let (amara, jean) = (db.user("amara.okafor").await, db.user("jeanluc.moreau").await);
    let a = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    desk.generate_codes(&agent, jean.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let refused = desk.revoke_all_codes(&agent).await;
    assert!(matches!(refused, Err(DeskError::Refused(Refusal::AdminOnly))), "{}: {refused:?}", db.name);
    assert_eq!(desk.revoke_all_codes(&admin).await.unwrap(), 2, "{}", db.name);
    for user in [&amara, &jean] {
        assert!(db.store.code_state(user.id, desk.now()).await.unwrap().is_none(), "{}", db.name);
        let told = db.store.notifications(user.id).await.unwrap();
        assert!(told.iter().any(|n| n.kind == "backup_codes_revoked"), "{}: {} was not told", db.name, user.username);
    }
    assert_eq!(desk.redeem("amara.okafor", a.codes[0].grouped()).await.unwrap(), helpdesk::desk::Redemption::Rejected);
    let filter = AuditFilter { action: Some(AuditAction::AllBackupCodesRevoked), ..AuditFilter::default() };
    let events = desk.audit_page(&admin, &filter, None, 10).await.unwrap();
    assert_eq!(events.len(), 1, "{}", db.name);
    assert_eq!((events[0].code_count, events[0].actor.as_str()), (Some(2), "ada.admin"));
    // With nothing active, backup codes can be switched off.
    desk.set_permitted_methods(&admin, &[TwoFactorMethod::Sms]).await.unwrap();
    assert_eq!(desk.revoke_all_codes(&admin).await.unwrap(), 0);
}

on_each_backend!(
    an_admin_revokes_every_active_batch_at_once,
    settings_are_for_admins_and_never_strand_codes,
    staff_changes_are_for_admins_never_on_themselves_and_keep_an_admin,
    the_last_enabled_admin_cannot_be_demoted_or_disabled,
    unlock_and_end_sessions,
    a_contact_change_tells_the_old_addresses_and_starts_a_cool_off,
    the_risk_signals_come_from_the_database,
    profile_rules_refuse_with_the_source_messages,
);
