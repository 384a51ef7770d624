//! The profile form and one's own password, with the source document's messages.

use crate::fixtures::*;

#[test]
fn the_profile_form_says_the_source_messages_as_one_types() {
    let clock = Clock(Instant::now());
    let mut app = on_detail(&clock, detail_of(amara()));
    press(&mut app, &clock, KeyCode::Char('e'));
    ctrl(&mut app, &clock, 'u');
    type_text(&mut app, &clock, "A1");
    assert_eq!(
        profile_form(&app).message(ProfileField::FirstName).as_deref(),
        Some("First name must have at least 2 characters. Numbers and special characters are not allowed.")
    );
    // A paste of a mebibyte of garbage is cut and still refused, never saved.
    update(&mut app, Msg::Paste("x".repeat(1 << 20)), clock.at(T0));
    assert!(profile_form(&app).value(ProfileField::FirstName).chars().count() <= 254);
    press(&mut app, &clock, KeyCode::BackTab); // the Save button
    let effects = press(&mut app, &clock, KeyCode::Enter);
    assert!(effects.is_empty(), "an invalid form was saved");
    assert_eq!(profile_form(&app).focus, ProfileField::FirstName);
    // Esc with typed changes asks first.
    press(&mut app, &clock, KeyCode::Esc);
    assert!(matches!(&app.confirm, Some(c) if c.asks == Confirmable::Discard));
    press(&mut app, &clock, KeyCode::Enter); // keep editing
    ctrl(&mut app, &clock, 'u');
    type_text(&mut app, &clock, "Amara-Jane");
    press(&mut app, &clock, KeyCode::Tab);
    press(&mut app, &clock, KeyCode::Tab);
    press(&mut app, &clock, KeyCode::Tab);
    let effects = press(&mut app, &clock, KeyCode::Enter); // Enter on the last field saves
    match effects.as_slice() {
        [Effect::SaveProfile { user: 10, fields, .. }] => assert_eq!(fields.first_name, "Amara-Jane"),
        other => panic!("no save: {other:?}"),
    }
    let effects = update(&mut app, Msg::ProfileSaved(Ok(())), clock.at(T0));
    assert!(app.modal.is_none());
    assert_eq!(app.status.as_ref().map(|s| s.text.as_str()), Some("Your profile has been successfully updated."));
    assert!(matches!(effects.as_slice(), [Effect::LoadDetail { user: 10, .. }]));
}

#[test]
fn a_password_change_checks_the_rule_then_signs_out() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    ctrl(&mut app, &clock, 'p');
    assert!(matches!(app.modal, Some(Modal::Password(_))));
    type_text(&mut app, &clock, "agent-demo-pass-2026");
    press(&mut app, &clock, KeyCode::Tab);
    type_text(&mut app, &clock, "short");
    press(&mut app, &clock, KeyCode::Tab);
    type_text(&mut app, &clock, "short");
    press(&mut app, &clock, KeyCode::Tab);
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty());
    let error = match &app.modal {
        Some(Modal::Password(form)) => form.error.clone().unwrap_or_default(),
        _ => panic!("the form closed"),
    };
    assert!(error.starts_with("Enter a valid password"), "{error}");
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("Changing your password will log you out immediately."), "the warning is not on screen");
    press(&mut app, &clock, KeyCode::BackTab);
    for field in ["agent-demo-pass-2026", "a much better passphrase", "a much better passphrase"] {
        type_text(&mut app, &clock, field);
        press(&mut app, &clock, KeyCode::Tab);
    }
    let effects = press(&mut app, &clock, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::ChangePassword { .. }]), "{effects:?}");
    update(&mut app, Msg::PasswordChanged(Ok(())), clock.at(T0));
    assert!(app.session.is_none(), "still signed in after a password change");
}

#[test]
fn snapshot_forms() {
    let clock = Clock(Instant::now());
    let mut app = on_detail(&clock, detail_of(amara()));
    press(&mut app, &clock, KeyCode::Char('e'));
    ctrl(&mut app, &clock, 'u');
    type_text(&mut app, &clock, "R2");
    snapshot("profile_form", &mut app);
    let mut app = signed_in(&clock);
    ctrl(&mut app, &clock, 'p');
    type_text(&mut app, &clock, "secret-pass");
    let text = screen_text(&app, 80, 24);
    assert!(!text.contains("secret-pass"), "a password showed on screen");
    snapshot("password_form", &mut app);
}
