//! The user detail: what the staff may do and why not, revoking, the live refresh.

use crate::fixtures::*;

#[test]
fn an_action_the_staff_may_not_take_shows_why_and_opens_nothing() {
    let clock = Clock(Instant::now());
    let sam = user(3, UserKind::Staff, "sam.teller", "Sam", "Okoro", "");
    let mut app = on_detail(&clock, detail_of(sam).refused(Refusal::StaffTargetNeedsAdmin));
    assert!(press(&mut app, &clock, KeyCode::Char('g')).is_empty());
    assert!(app.modal.is_none());
    let status = app.status.clone().unwrap();
    assert!(status.error && status.text.contains("Only admin-level staff"), "{status:?}");
}

#[test]
fn revoking_asks_first_with_the_focus_on_cancel() {
    let clock = Clock(Instant::now());
    let mut app = on_detail(&clock, detail_of(amara()).with_batch());
    assert!(press(&mut app, &clock, KeyCode::Char('r')).is_empty());
    assert!(matches!(&app.confirm, Some(c) if matches!(c.asks, Confirmable::Revoke { user: 10, .. }) && !c.on_yes));
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "Enter on Cancel revoked");
    assert!(app.confirm.is_none());
    press(&mut app, &clock, KeyCode::Char('r'));
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(effects.as_slice(), [Effect::Revoke { user: 10, .. }]));
    // With no active batch there is nothing to confirm.
    let mut app = on_detail(&clock, detail_of(amara()));
    press(&mut app, &clock, KeyCode::Char('r'));
    assert!(app.confirm.is_none());
}

#[test]
fn snapshot_user_detail() {
    let clock = Clock(Instant::now());
    snapshot("user_detail", &mut on_detail(&clock, detail_of(amara()).with_batch()));
    let sam = user(3, UserKind::Staff, "sam.teller", "Sam", "Okoro", "");
    snapshot(
        "user_detail_refused",
        &mut on_detail(&clock, detail_of(sam).refused(Refusal::StaffTargetNeedsAdmin).email_permitted()),
    );
}

#[test]
fn snapshot_revoke_confirm() {
    let clock = Clock(Instant::now());
    let mut app = on_detail(&clock, detail_of(amara()).with_batch());
    press(&mut app, &clock, KeyCode::Char('r'));
    snapshot("revoke_confirm", &mut app);
}

#[test]
fn the_open_detail_refreshes_itself_and_says_when_a_code_was_used() {
    let clock = Clock(Instant::now());
    let mut app = on_detail(&clock, detail_of(amara()).with_batch());
    assert!(update(&mut app, Msg::Tick, clock.at(4)).is_empty());
    let effects = update(&mut app, Msg::Tick, clock.at(5));
    assert!(matches!(effects.as_slice(), [Effect::RefreshDetail { user: 10, .. }]), "{effects:?}");
    let mut used = detail_of(amara()).with_batch().0;
    used.codes.as_mut().unwrap().unused = 8;
    update(&mut app, Msg::Refreshed(Ok(Box::new(used))), clock.at(5));
    let status = app.status.clone().expect("nobody was told");
    assert!(status.text.contains("2 of 10 used"), "{status:?}");
    assert!(screen_text(&app, 80, 24).contains("8 of 10 unused"));
    // No refresh behind a modal.
    press(&mut app, &clock, KeyCode::Char('g'));
    assert!(update(&mut app, Msg::Tick, clock.at(60)).is_empty(), "refreshed behind the warning");
}
