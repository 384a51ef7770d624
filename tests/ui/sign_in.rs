//! Signing in, the idle lock and signing out: what the next person at the terminal may see.

use crate::fixtures::*;

#[test]
fn login_submits_once_and_clears_the_password_field() {
    let clock = Clock(Instant::now());
    let mut app = new_app(&clock);
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "empty form submitted");
    assert_eq!(app.login.error.as_deref(), Some("Enter your username."));
    type_text(&mut app, &clock, "alex.agent");
    press(&mut app, &clock, KeyCode::Tab);
    type_text(&mut app, &clock, "agent-demo-pass-2026");
    let effects = press(&mut app, &clock, KeyCode::Enter);
    match effects.as_slice() {
        [Effect::Login { username, password }] => {
            assert_eq!(username, "alex.agent");
            assert!(password.expose() == "agent-demo-pass-2026", "the typed password did not reach the effect");
            assert_eq!(format!("{password:?}"), "Secret(hidden)");
        }
        other => panic!("expected one login effect, got {other:?}"),
    }
    assert!(app.login.password.is_empty(), "the password stayed in the field");
    assert!(app.busy.is_some());
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "a key while busy did something");
    update(&mut app, Msg::LoggedIn(Err(DeskError::BadCredentials)), clock.at(1));
    assert_eq!(app.login.error.as_deref(), Some("Wrong username or password."));
    assert!(app.session.is_none());
}

#[test]
fn snapshot_login() {
    let clock = Clock(Instant::now());
    let mut app = new_app(&clock);
    snapshot("login", &mut app);
    type_text(&mut app, &clock, "alex.agent");
    press(&mut app, &clock, KeyCode::Tab);
    type_text(&mut app, &clock, "secret-pass");
    let text = screen_text(&app, 80, 24);
    assert!(!text.contains("secret-pass"), "the password showed on screen");
    update(&mut app, Msg::LoggedIn(Err(DeskError::LoginLocked { until: CREATED })), clock.at(0));
    snapshot("login_error", &mut app);
}

#[test]
fn snapshot_locked() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    update(&mut app, Msg::Tick, clock.at(301));
    snapshot("locked", &mut app);
}

#[test]
fn the_idle_lock_closes_what_was_half_done() {
    let clock = Clock(Instant::now());
    let mut app = in_warning(&clock);
    update(&mut app, Msg::Tick, clock.at(300));
    assert!(app.lock.is_some() && app.modal.is_none(), "a warning read before the lock survived it");
    let mut app = on_detail(&clock, detail_of(amara()).with_batch());
    press(&mut app, &clock, KeyCode::Char('r'));
    update(&mut app, Msg::Tick, clock.at(300));
    assert!(app.confirm.is_none(), "a confirm popup survived the lock");
    // Codes generated while locked are never shown.
    let mut app = in_warning(&clock);
    assert!(matches!(choose_a_check_and_generate(&mut app, &clock).as_slice(), [Effect::Generate { .. }]));
    // The deliberate Enter came `DELIBERATE` after the other keys.
    update(&mut app, Msg::Tick, clock.at(301));
    update(&mut app, Msg::Generated(Ok(Generation::Issued(issued()))), clock.at(301));
    assert!(app.codes.is_none(), "codes arrived behind the lock and were kept");
}

#[test]
fn an_answer_after_sign_out_shows_nothing_to_the_next_person() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    ctrl(&mut app, &clock, 'o');
    assert!(app.session.is_none());
    update(&mut app, Msg::Detail(Ok(Box::new(detail_of(amara()).0))), clock.at(1));
    let seq = app.users.list.seq;
    update(&mut app, Msg::Users { seq, result: Ok(vec![amara()]) }, clock.at(1));
    assert!(app.detail.is_none() && app.users.list.rows.is_empty(), "the last agent's customer came back");
}

#[test]
fn an_answer_after_a_lost_connection_clears_the_old_error() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    press(&mut app, &clock, KeyCode::Char('/'));
    press(&mut app, &clock, KeyCode::Char('a'));
    let seq = app.users.list.seq;
    update(&mut app, Msg::Users { seq, result: Err(DeskError::NoSuchUser) }, clock.at(1));
    assert!(app.status.as_ref().is_some_and(|s| s.error));
    press(&mut app, &clock, KeyCode::Char('m'));
    let seq = app.users.list.seq;
    update(&mut app, Msg::Users { seq, result: Ok(vec![amara()]) }, clock.at(2));
    assert!(app.status.is_none(), "the old error stayed after the database answered");
    assert_eq!(app.users.list.rows.len(), 1);
}
