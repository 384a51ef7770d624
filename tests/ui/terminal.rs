//! The terminal as it is: too small, resized to one cell and back, a mebibyte pasted, the help overlay.

use crate::fixtures::*;

#[test]
fn keys_wait_while_the_terminal_is_too_small() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    update(&mut app, Msg::Resize(60, 20), clock.at(0));
    assert!(press(&mut app, &clock, KeyCode::Char('q')).is_empty());
    assert!(!app.quit);
    update(&mut app, Msg::Resize(80, 24), clock.at(0));
    press(&mut app, &clock, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn help_opens_and_closes() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    press(&mut app, &clock, KeyCode::Char('?'));
    assert!(app.help);
    press(&mut app, &clock, KeyCode::Char('q'));
    assert!(!app.help && !app.quit, "q closes help before it quits");
}

#[test]
fn snapshot_too_small() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    app.size = (60, 20);
    assert_screen("too_small_60x20", &app, 60, 20);
}

#[test]
fn a_mebibyte_paste_into_any_field_is_cut_to_size_and_presses_nothing() {
    let clock = Clock(Instant::now());
    let garbage: String = "Ab1-\u{1b}[2J\r\n\t€".chars().cycle().take(1 << 20).collect();
    for (name, mut app) in every_state(&clock) {
        let context = app.context();
        let effects = update(&mut app, Msg::Paste(garbage.clone()), clock.at(T0));
        assert!(
            effects.iter().all(|e| matches!(e, Effect::Search { .. })),
            "{name}: a paste did more than type: {effects:?}"
        );
        assert_eq!(app.context(), context, "{name}: a paste moved the focus");
        assert!(!app.quit, "{name}: a paste quit");
        let text = screen_text(&app, 80, 24);
        assert!(!text.contains('\u{1b}'), "{name}: an escape sequence reached the screen");
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(longest <= 82, "{name}: the screen grew to {longest} columns");
    }
}

#[test]
fn shrinking_to_one_cell_and_back_in_any_state_loses_nothing() {
    let clock = Clock(Instant::now());
    for (name, mut app) in every_state(&clock) {
        let before = (app.context(), screen_text(&app, 80, 24));
        for (w, h) in [(1, 1), (0, 0), (79, 23), (3, 40)] {
            update(&mut app, Msg::Resize(w, h), clock.at(T0));
            let shrunk = render(&app, w.max(1), h.max(1));
            drop(shrunk);
            assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "{name}: a key acted while too small");
        }
        update(&mut app, Msg::Resize(80, 24), clock.at(T0));
        assert_eq!((app.context(), screen_text(&app, 80, 24)), before, "{name}: the state changed while shrunk");
    }
}
