//! The warning before codes: every way out that must not confirm, the deliberate second Generate, the risk signals, keys in a burst.

use crate::fixtures::*;

#[test]
fn every_way_out_of_the_warning_that_must_not_confirm() {
    let clock = Clock(Instant::now());
    // Esc, Ctrl+C, and Enter on the initial focus (Cancel) all cancel.
    for way_out in [KeyCode::Esc, KeyCode::Enter] {
        let mut app = in_warning(&clock);
        assert_eq!(warning_focus(&app), WarningFocus::Cancel);
        assert!(press(&mut app, &clock, way_out).is_empty());
        assert!(app.modal.is_none(), "{way_out:?} did not close the warning");
    }
    let mut app = in_warning(&clock);
    assert!(ctrl(&mut app, &clock, 'c').is_empty());
    assert!(app.modal.is_none() && !app.quit);

    // Letters never confirm, and a paste never presses a button, wherever the focus is.
    let mut app = in_warning(&clock);
    for focus_steps in 0..4 {
        for c in ['g', 'y', 'q', '\r'] {
            assert!(press(&mut app, &clock, KeyCode::Char(c)).is_empty(), "{c:?} at focus step {focus_steps}");
        }
        assert!(update(&mut app, Msg::Paste("yes\r\n\r".into()), clock.at(0)).is_empty());
        assert!(!app.quit);
        press(&mut app, &clock, KeyCode::Tab);
    }

    // Generate without an identity check moves the focus to the choices.
    let mut app = in_warning(&clock);
    press(&mut app, &clock, KeyCode::BackTab);
    assert_eq!(warning_focus(&app), WarningFocus::Generate);
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty());
    assert_eq!(warning_focus(&app), WarningFocus::Choices);

    // "Other" needs a note.
    for _ in 0..3 {
        press(&mut app, &clock, KeyCode::Down);
    }
    press(&mut app, &clock, KeyCode::Enter);
    press(&mut app, &clock, KeyCode::Tab);
    press(&mut app, &clock, KeyCode::Tab);
    assert_eq!(warning_focus(&app), WarningFocus::Generate);
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty());
    assert_eq!(warning_focus(&app), WarningFocus::Note);
}

#[test]
fn the_second_deliberate_generate_confirms() {
    let clock = Clock(Instant::now());
    let mut app = in_warning(&clock);
    press(&mut app, &clock, KeyCode::Tab); // choices
    press(&mut app, &clock, KeyCode::Char('j'));
    press(&mut app, &clock, KeyCode::Char(' '));
    press(&mut app, &clock, KeyCode::Tab); // note
    type_text(&mut app, &clock, "called back; ticket 4411 q");
    assert!(update(&mut app, Msg::Paste(" pasted\nline".into()), clock.at(0)).is_empty());
    press(&mut app, &clock, KeyCode::Tab); // generate
    let effects = enter_deliberately(&mut app);
    match effects.as_slice() {
        [Effect::Generate { user: 10, identity, .. }] => {
            assert_eq!(identity.check, IdentityCheck::CallBackNumberOnFile);
            assert_eq!(identity.note.as_deref(), Some("called back; ticket 4411 q pasted line"));
        }
        other => panic!("expected one generate effect, got {other:?}"),
    }
    assert!(!app.quit, "q typed in the note quit");
}

#[test]
fn snapshot_warning() {
    let clock = Clock(Instant::now());
    let mut app = in_warning(&clock);
    snapshot("warning", &mut app);
    let sam = user(3, UserKind::Staff, "sam.teller", "Sam", "Okoro", "");
    let mut app = on_detail(&clock, detail_of(sam).email_permitted());
    press(&mut app, &clock, KeyCode::Char('g'));
    press(&mut app, &clock, KeyCode::Tab);
    press(&mut app, &clock, KeyCode::Enter);
    snapshot("warning_staff_email", &mut app);
}

#[test]
fn every_risk_signal_fits_the_warning_at_80x24() {
    let clock = Clock(Instant::now());
    let sam = user(3, UserKind::Staff, "sam.teller", "Sam", "Okoro", "+447911123456");
    let mut fixture = detail_of(sam).email_permitted();
    fixture.0.risk = RiskSignals {
        contact_changes: [ContactField::Phone, ContactField::Email]
            .into_iter()
            .map(|field| RecordedChange {
                id: 1,
                user_id: 3,
                field,
                old_value: "old".into(),
                new_value: "new".into(),
                at: CREATED,
                staff: None,
            })
            .collect(),
        recent_codes: Some(RecentCodes { by: "ada.admin".into(), at: CREATED + 60 }),
        failed_redemptions: 10,
        codes_locked_until: Some(CREATED + 900),
        staff_target: true,
        email_permitted: true,
    };
    fixture.0.may_generate = Ok(CoolOff::Overridden { until: CREATED + 86_400 });
    if let Some(c) = &mut fixture.0.circumstances {
        c.cool_off = CoolOff::Overridden { until: CREATED + 86_400 };
    }
    let mut app = on_detail(&clock, fixture);
    press(&mut app, &clock, KeyCode::Char('g'));
    let text = screen_text(&app, 80, 24);
    for needle in [
        "phone changed outside helpdesk",
        "email changed outside helpdesk",
        "by ada.admin",
        "10 failed",
        "locked until",
        "member of staff",
        "override",
        "Send to a second admin ]",
        "Cancel ]",
    ] {
        assert!(text.contains(needle), "{needle:?} is not on the 80×24 warning:\n{text}");
    }
    snapshot("warning_every_signal", &mut app);
}

/// A paste the terminal did not bracket arrives as keys, all at once: a line end in the
/// note moves nothing, Space never presses Generate, and an Enter that follows other keys
/// at once, or lands on a screen just opened, presses nothing and says why.
#[test]
fn keys_in_a_burst_never_press_generate() {
    let clock = Clock(Instant::now());
    for burst in ["x\r \r", "ok\r ", "a\r\r", "called back\rID seen\r"] {
        let mut app = in_warning(&clock);
        press(&mut app, &clock, KeyCode::Tab); // choices
        press(&mut app, &clock, KeyCode::Char(' '));
        press(&mut app, &clock, KeyCode::Tab); // note
        assert_eq!(warning_focus(&app), WarningFocus::Note);
        for c in burst.chars() {
            let code = if c == '\r' { KeyCode::Enter } else { KeyCode::Char(c) };
            let effects = press(&mut app, &clock, code);
            assert!(effects.is_empty(), "{burst:?} generated");
        }
        assert_eq!(warning_focus(&app), WarningFocus::Note, "{burst:?} moved the focus out of the note");
        // On the button itself: Space is refused, and so is an Enter right after a key.
        press(&mut app, &clock, KeyCode::Tab);
        assert_eq!(warning_focus(&app), WarningFocus::Generate);
        assert!(press(&mut app, &clock, KeyCode::Char(' ')).is_empty(), "Space pressed Generate");
        assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "an Enter in a burst pressed Generate");
        assert!(app.status.as_ref().is_some_and(|s| s.text.contains("faster than a person types")), "{:?}", app.status);
        assert!(matches!(enter_deliberately(&mut app).as_slice(), [Effect::Generate { .. }]));
    }
    // The confirm popup is the same gate: revoking in a burst does nothing.
    let mut app = on_detail(&clock, detail_of(amara()).with_batch());
    press(&mut app, &clock, KeyCode::Char('r'));
    press(&mut app, &clock, KeyCode::Tab);
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "a burst revoked");
    assert!(app.confirm.is_some(), "the popup closed on a refused press");
    assert!(matches!(enter_deliberately(&mut app).as_slice(), [Effect::Revoke { .. }]));
}

/// A note in CJK wider than its field: the view scrolls by display columns, so the last
/// character typed (where the cursor is) stays on screen, at 80×24 and larger.
#[test]
fn a_wide_note_keeps_its_cursor_in_view() {
    let clock = Clock(Instant::now());
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = in_warning(&clock);
        press(&mut app, &clock, KeyCode::Tab); // choices
        press(&mut app, &clock, KeyCode::Tab); // note
        type_text(&mut app, &clock, &"田".repeat(90));
        type_text(&mut app, &clock, "终");
        let screen = screen_text(&app, w, h);
        assert!(screen.contains('终'), "the last character typed scrolled out of view at {w}x{h}:\n{screen}");
        assert!(screen.contains("田田田"), "{screen}");
    }
}
