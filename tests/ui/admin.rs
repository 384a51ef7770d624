//! The admin's screens: staff, institution settings, the audit log; agents do not get them.

use crate::fixtures::*;

#[test]
fn agents_do_not_get_the_admin_screens() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    for key in ['s', 'i', 'a'] {
        assert!(press(&mut app, &clock, KeyCode::Char(key)).is_empty(), "{key} did something for an agent");
        assert!(app.admin.is_none());
    }
    let footer = screen_text(&app, 160, 48);
    assert!(!footer.contains("Staff (admin)"), "the help or footer offered an admin screen");
}

#[test]
fn every_staff_change_asks_first_and_toggles_with_the_state() {
    let clock = Clock(Instant::now());
    let mut app = in_staff(&clock);
    press(&mut app, &clock, KeyCode::Down); // Sam: disabled, has the permission
    for (key, change) in [
        ('p', StaffChange::Withdraw(Permission::GenerateLockoutCodes)),
        ('m', StaffChange::Promote),
        ('d', StaffChange::Enable),
        ('u', StaffChange::Unlock),
        ('x', StaffChange::EndSessions),
    ] {
        assert!(press(&mut app, &clock, KeyCode::Char(key)).is_empty(), "{key} acted without asking");
        assert!(
            matches!(&app.confirm, Some(c) if c.asks == Confirmable::Staff { user: 3, name: "Sam Okoro (sam.teller)".into(), change } && !c.on_yes),
            "{key}"
        );
        assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "Enter on Cancel applied {change:?}");
        assert!(app.confirm.is_none());
    }
    press(&mut app, &clock, KeyCode::Down); // Nora: enabled, no permission
    press(&mut app, &clock, KeyCode::Char('p'));
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(
        effects.as_slice(),
        [Effect::ChangeStaff { user: 4, change: StaffChange::Grant(Permission::GenerateLockoutCodes), .. }]
    ));
    assert!(app.busy.is_some());
    let effects = update(
        &mut app,
        Msg::StaffChanged {
            change: StaffChange::Grant(Permission::GenerateLockoutCodes),
            name: "Nora Quinn (nora.noperm)".into(),
            result: Ok(StaffChangeDone::Applied),
        },
        clock.at(T0),
    );
    assert!(matches!(effects.as_slice(), [Effect::LoadStaff { .. }]), "the list was not read again");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("Nora Quinn")));
    // A refusal from the service is shown, and nothing else changes.
    update(
        &mut app,
        Msg::StaffChanged {
            change: StaffChange::Demote,
            name: "Ada Lovelace (ada.admin)".into(),
            result: Err(DeskError::Refused(Refusal::LastAdmin)),
        },
        clock.at(T0),
    );
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.contains("last enabled admin")));
    press(&mut app, &clock, KeyCode::Esc);
    assert!(app.admin.is_none(), "Esc did not go back to Manage Users");
}

#[test]
fn settings_save_through_the_confirm_popup_and_esc_asks_before_discarding() {
    let clock = Clock(Instant::now());
    let mut app = signed_in_admin(&clock);
    let effects = press(&mut app, &clock, KeyCode::Char('i'));
    assert!(matches!(effects.as_slice(), [Effect::LoadInstitution { .. }]));
    update(&mut app, Msg::Institution(Ok(institution(false))), clock.at(T0));
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "saved with nothing changed");
    press(&mut app, &clock, KeyCode::Char(' ')); // Email on
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty());
    let before = institution(false).permitted;
    let after = institution(true).permitted;
    assert!(
        matches!(&app.confirm, Some(c) if c.asks == Confirmable::PermittedMethods { before: before.clone(), after: after.clone() })
    );
    press(&mut app, &clock, KeyCode::Esc);
    press(&mut app, &clock, KeyCode::Esc);
    assert!(matches!(&app.confirm, Some(c) if c.asks == Confirmable::Discard), "Esc discarded without asking");
    press(&mut app, &clock, KeyCode::Enter); // Keep editing
    assert!(app.admin.is_some());
    press(&mut app, &clock, KeyCode::Enter);
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(effects.as_slice(), [Effect::SaveMethods { methods, .. }] if *methods == after));
}

#[test]
fn the_audit_log_filters_pages_and_refuses_a_bad_date() {
    let clock = Clock(Instant::now());
    let mut app = signed_in_admin(&clock);
    let effects = press(&mut app, &clock, KeyCode::Char('a'));
    assert!(matches!(effects.as_slice(), [Effect::LoadAudit { before: None, limit: 51, .. }]));
    press(&mut app, &clock, KeyCode::Char('/'));
    type_text(&mut app, &clock, "ada.admin");
    press(&mut app, &clock, KeyCode::Tab);
    press(&mut app, &clock, KeyCode::Tab);
    type_text(&mut app, &clock, "backup_codes_generated");
    press(&mut app, &clock, KeyCode::Tab);
    type_text(&mut app, &clock, "yesterday");
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty());
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.starts_with("Since:")), "{:?}", app.status);
    for _ in 0..9 {
        press(&mut app, &clock, KeyCode::Backspace);
    }
    type_text(&mut app, &clock, "2026-11-28");
    let effects = press(&mut app, &clock, KeyCode::Enter);
    match effects.as_slice() {
        [Effect::LoadAudit { filter, before: None, .. }] => {
            assert_eq!(filter.actor.as_deref(), Some("ada.admin"));
            assert_eq!(filter.action, Some(AuditAction::BackupCodesGenerated));
            assert_eq!(filter.since, Some(1_795_824_000));
        }
        other => panic!("the filter was not applied: {other:?}"),
    }
}

#[test]
fn snapshot_admin_screens() {
    let clock = Clock(Instant::now());
    let mut app = in_staff(&clock);
    snapshot("staff", &mut app);
    let mut app = signed_in_admin(&clock);
    press(&mut app, &clock, KeyCode::Char('i'));
    update(&mut app, Msg::Institution(Ok(institution(false))), clock.at(T0));
    press(&mut app, &clock, KeyCode::Char(' '));
    snapshot("settings", &mut app);
    let mut app = signed_in_admin(&clock);
    press(&mut app, &clock, KeyCode::Char('a'));
    let seq = match &app.admin {
        Some(AdminPane::Audit(pane)) => pane.list.seq,
        _ => panic!("the audit log is not open"),
    };
    let event = |id: i64, action: &str, detail: Option<&str>| AuditEvent {
        id,
        at: CREATED + id * 60,
        at_utc: String::new(),
        actor_id: Some(1),
        actor: "ada.admin".into(),
        target_id: Some(10),
        target: "amara.okafor".into(),
        action: action.into(),
        identity_check: Some("in_person_photo_id".into()),
        note: None,
        code_count: Some(10),
        expires_at: None,
        detail: detail.map(Into::into),
        batch_id: None,
        chain_hash: None,
    };
    let events = vec![
        event(3, "cool_off_overridden", Some("contact details changed")),
        event(2, "backup_codes_generated", None),
        event(1, "contact_details_changed", Some(r#"phone "+2348031234567" -> "+447911123456""#)),
    ];
    update(&mut app, Msg::Audit { seq, result: Ok(events) }, clock.at(T0));
    snapshot("audit_log", &mut app);
    press(&mut app, &clock, KeyCode::Enter);
    snapshot("audit_event", &mut app);
}

#[test]
fn the_staff_pane_asks_to_bind_a_pasted_ssh_key() {
    let clock = Clock(Instant::now());
    let mut app = in_staff(&clock);
    press(&mut app, &clock, KeyCode::Down);
    press(&mut app, &clock, KeyCode::Char('b'));
    assert!(screen_text(&app, 80, 24).contains("SSH public key"));
    update(&mut app, Msg::Paste("not a key at all".into()), clock.at(T0));
    press(&mut app, &clock, KeyCode::Enter);
    assert!(app.confirm.is_none(), "garbage was offered for binding");
    assert!(screen_text(&app, 80, 24).contains("not an SSH public key"));
    for _ in 0..20 {
        press(&mut app, &clock, KeyCode::Backspace);
    }
    let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPhgugA1Cu1iODXSfW2F2ffw6y/+PmTlFa1XM+57+Jv alex@laptop";
    update(&mut app, Msg::Paste(line.into()), clock.at(T0));
    press(&mut app, &clock, KeyCode::Enter);
    match app.confirm.as_ref().map(|c| &c.asks) {
        Some(Confirmable::Staff { change: StaffChange::BindKey(key), .. }) => {
            assert_eq!(key.openssh(), "SHA256:ok98Vkl5vOnmmcEnMbo2o35U+6vMuLYJ4mu7FIflQTw")
        }
        other => panic!("{other:?}"),
    }
    assert!(screen_text(&app, 80, 24).contains("second admin"), "the popup does not say it waits");
}
