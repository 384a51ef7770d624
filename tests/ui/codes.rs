//! The codes, shown once: masked, revealed on purpose, hidden again, wiped on the way out.

use crate::fixtures::*;

#[test]
fn codes_are_masked_revealed_on_purpose_and_hidden_again() {
    let clock = Clock(Instant::now());
    let mut app = in_codes(&clock);
    let reveal = |app: &App| app.codes.as_ref().unwrap().reveal;
    assert_eq!(reveal(&app), Reveal::Hidden);
    press(&mut app, &clock, KeyCode::Char('v'));
    assert_eq!(reveal(&app), Reveal::One(0));
    update(&mut app, Msg::Tick, clock.at(19));
    assert_eq!(reveal(&app), Reveal::One(0));
    update(&mut app, Msg::Tick, clock.at(20));
    assert_eq!(reveal(&app), Reveal::Hidden, "not hidden after the reveal time");
    press(&mut app, &clock, KeyCode::Char('v'));
    press(&mut app, &clock, KeyCode::Char('j'));
    assert_eq!(reveal(&app), Reveal::Hidden, "moving on left a code showing");
    press(&mut app, &clock, KeyCode::Char('a'));
    assert_eq!(reveal(&app), Reveal::All);
    press(&mut app, &clock, KeyCode::Char('a'));
    assert_eq!(reveal(&app), Reveal::Hidden);
}

#[test]
fn leaving_the_codes_asks_once_then_wipes_them() {
    let clock = Clock(Instant::now());
    let mut app = in_codes(&clock);
    for key in [KeyCode::Esc, KeyCode::Char('q'), KeyCode::Enter] {
        press(&mut app, &clock, KeyCode::Char('a'));
        press(&mut app, &clock, key);
        assert_eq!(app.codes.as_ref().unwrap().reveal, Reveal::Hidden, "codes stayed revealed behind the question");
        assert!(matches!(&app.confirm, Some(c) if c.asks == Confirmable::LeaveCodes && !c.on_yes));
        assert!(!app.quit, "{key:?} quit from the code view");
        press(&mut app, &clock, KeyCode::Enter); // Stay has the focus
        assert!(app.codes.is_some(), "Enter on Stay left the codes");
    }
    press(&mut app, &clock, KeyCode::Esc);
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(app.codes.is_none(), "the codes survived leaving");
    assert!(matches!(effects.as_slice(), [Effect::LoadDetail { user: 10, .. }]));
}

#[test]
fn idle_lock_wipes_an_open_code_view_and_keeps_the_rest() {
    let clock = Clock(Instant::now());
    let mut app = in_codes(&clock);
    update(&mut app, Msg::Tick, clock.at(299));
    assert!(app.lock.is_none());
    update(&mut app, Msg::Tick, clock.at(300));
    assert!(app.lock.is_some() && app.codes.is_none(), "the lock did not wipe the codes");
    assert!(app.detail.is_some(), "the lock lost the user detail");
    type_text(&mut app, &clock, "agent-demo-pass-2026");
    let effects = press(&mut app, &clock, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::Unlock { .. }]));
    let effects = update(&mut app, Msg::Unlocked(Ok(false)), clock.at(301));
    assert!(app.lock.is_none());
    assert!(matches!(effects.as_slice(), [Effect::LoadDetail { user: 10, .. }]), "the detail was not refreshed");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("wiped")), "nobody was told the codes are gone");
}

#[test]
fn snapshot_codes() {
    let clock = Clock(Instant::now());
    let mut app = in_codes(&clock);
    snapshot("codes_masked", &mut app);
    for (w, h) in [(80, 24), (160, 48)] {
        let text = screen_text(&app, w, h);
        for code in &issued().codes {
            assert!(!text.contains(code.grouped().as_str()), "a code showed before it was revealed");
        }
    }
    press(&mut app, &clock, KeyCode::Char('j'));
    press(&mut app, &clock, KeyCode::Char('v'));
    snapshot("codes_revealed_one", &mut app);
    press(&mut app, &clock, KeyCode::Char('a'));
    snapshot("codes_revealed_all", &mut app);
    press(&mut app, &clock, KeyCode::Esc);
    snapshot("codes_leave", &mut app);
}

#[test]
fn only_its_own_answer_ends_a_busy_operation() {
    let clock = Clock(Instant::now());
    let mut app = in_warning(&clock);
    assert!(matches!(choose_a_check_and_generate(&mut app, &clock).as_slice(), [Effect::Generate { .. }]));
    // A refresh that fails, and a detail that arrives, do not free the keys.
    update(&mut app, Msg::Refreshed(Err(DeskError::NoSuchUser)), clock.at(1));
    update(&mut app, Msg::Detail(Ok(Box::new(detail_of(amara()).0))), clock.at(1));
    assert!(app.busy.is_some(), "another answer ended the generation's busy state");
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "a second Generate while the first runs");
    update(&mut app, Msg::Generated(Ok(Generation::Issued(issued()))), clock.at(2));
    assert!(app.busy.is_none() && app.codes.is_some());
}
