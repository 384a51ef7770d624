//! Manage Users: the first page, typing to search, paging, opening a user.

use crate::fixtures::*;

#[test]
fn signing_in_loads_the_first_page_and_typing_searches() {
    let clock = Clock(Instant::now());
    let mut app = new_app(&clock);
    let effects = update(&mut app, Msg::LoggedIn(Ok((session(), "Bank".into()))), clock.at(0));
    assert!(matches!(effects.as_slice(), [Effect::Search { seq: 1, .. }]));
    press(&mut app, &clock, KeyCode::Char('/'));
    let effects = press(&mut app, &clock, KeyCode::Char('q'));
    match effects.as_slice() {
        [Effect::Search { query, seq: 2, .. }] => assert_eq!(query.text, "q"),
        other => panic!("typing did not search: {other:?}"),
    }
    assert!(!app.quit, "q in the search box quit");
    // A stale answer is dropped; the current one is shown.
    update(&mut app, Msg::Users { seq: 1, result: Ok(vec![amara()]) }, clock.at(0));
    assert!(app.users.list.rows.is_empty());
    update(&mut app, Msg::Users { seq: 2, result: Ok(vec![amara()]) }, clock.at(0));
    assert_eq!(app.users.list.rows.len(), 1);
}

#[test]
fn the_list_moves_pages_and_opens_a_user() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    press(&mut app, &clock, KeyCode::Char('j'));
    press(&mut app, &clock, KeyCode::Down);
    press(&mut app, &clock, KeyCode::Char('k'));
    assert_eq!(app.users.list.table.selected(), Some(1));
    assert!(press(&mut app, &clock, KeyCode::Char('n')).is_empty(), "a next page that does not exist");
    let effects = press(&mut app, &clock, KeyCode::Enter);
    assert!(matches!(effects.as_slice(), [Effect::LoadDetail { user: 11, .. }]));
    assert!(app.busy.is_some(), "no busy state while the user loads");
}

#[test]
fn snapshot_manage_users() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    snapshot("manage_users", &mut app);
    press(&mut app, &clock, KeyCode::Char('/'));
    type_text(&mut app, &clock, "okafor");
    snapshot("manage_users_search", &mut app);
    press(&mut app, &clock, KeyCode::Esc);
    press(&mut app, &clock, KeyCode::Char('?'));
    snapshot("help_manage_users", &mut app);
}
