//! The two-person rule on screen: the Approvals pane, the pending count, the requester's wait.

use crate::fixtures::*;

#[test]
fn the_approvals_pane_approves_and_declines_through_the_confirm_popup() {
    let clock = Clock(Instant::now());
    let mut app = in_approvals(&clock);
    let text = screen_text(&app, 80, 24);
    for needle in ["#7  alex.agent → Amara Okafor", "#8  sam.teller", "passport seen", "overrides the contact-change"]
    {
        assert!(text.contains(needle), "{needle:?} is not in the Approvals pane:\n{text}");
    }
    snapshot("approvals", &mut app);
    press(&mut app, &clock, KeyCode::Enter);
    snapshot("approval_open", &mut app);
    // Approve asks first, and only a deliberate Enter sends it.
    assert!(press(&mut app, &clock, KeyCode::Char('a')).is_empty());
    match &app.confirm {
        Some(c) => {
            assert!(
                matches!(&c.asks, Confirmable::Approve { request: PendingId::Code(7), requester, .. } if requester == "alex.agent")
            )
        }
        None => panic!("no confirm popup"),
    }
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(effects.as_slice(), [Effect::Approve { request: PendingId::Code(7), .. }]), "{effects:?}");
    // Decline needs a reason typed, then asks.
    app.busy = None;
    press(&mut app, &clock, KeyCode::Esc);
    press(&mut app, &clock, KeyCode::Down);
    press(&mut app, &clock, KeyCode::Char('d'));
    assert!(press(&mut app, &clock, KeyCode::Enter).is_empty(), "declined without a reason");
    type_text(&mut app, &clock, "call back on a number we trust");
    snapshot("approval_decline_reason", &mut app);
    press(&mut app, &clock, KeyCode::Enter);
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    match effects.as_slice() {
        [Effect::Decline { request: PendingId::Code(8), reason, .. }] => {
            assert_eq!(reason, "call back on a number we trust")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_header_counts_pending_requests_for_admins_only() {
    let clock = Clock(Instant::now());
    let mut app = signed_in_admin(&clock);
    update(&mut app, Msg::PendingCount(3), clock.at(T0));
    assert!(screen_text(&app, 80, 24).lines().next().unwrap().contains("Approvals: 3 pending"));
    let mut agent = signed_in(&clock);
    update(&mut agent, Msg::PendingCount(3), clock.at(T0));
    assert!(!screen_text(&agent, 80, 24).contains("pending"));
    // Agents are not offered the pane.
    assert!(press(&mut agent, &clock, KeyCode::Char('v')).is_empty());
    assert!(agent.admin.is_none());
}

#[test]
fn the_requester_waits_then_generates_with_the_approval() {
    let clock = Clock(Instant::now());
    let mut fixture = detail_of(amara());
    fixture.0.viewer = 2;
    fixture.0.request = Some(request(RequestState::Pending));
    let mut app = on_detail(&clock, fixture);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("Waiting for a second admin: overrides the"), "{text}");
    snapshot("detail_waiting", &mut app);
    // Generate does nothing while the request waits; w withdraws (asks first).
    assert!(press(&mut app, &clock, KeyCode::Char('g')).is_empty());
    assert!(app.modal.is_none(), "the warning opened over a waiting request");
    press(&mut app, &clock, KeyCode::Char('w'));
    assert!(matches!(app.confirm.as_ref().map(|c| &c.asks), Some(Confirmable::Withdraw { request: 7, .. })));
    press(&mut app, &clock, KeyCode::Esc);

    let mut fixture = detail_of(amara());
    fixture.0.viewer = 2;
    fixture.0.request = Some(request(RequestState::Approved));
    let mut app = on_detail(&clock, fixture);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("Approved by ben.admin"), "{text}");
    snapshot("detail_approved", &mut app);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(effects.as_slice(), [Effect::GenerateApproved { request: 7, .. }]), "{effects:?}");
    // The codes arrive on the requester's screen.
    let now = app.now;
    update(&mut app, Msg::Generated(Ok(Generation::Issued(issued()))), now);
    assert!(app.codes.is_some(), "the approved codes were not shown");

    // Someone else's approved request is not this viewer's to use.
    let mut fixture = detail_of(amara());
    fixture.0.viewer = 4;
    fixture.0.request = Some(request(RequestState::Approved));
    let mut app = on_detail(&clock, fixture);
    assert!(enter_deliberately(&mut app).is_empty());
    assert!(screen_text(&app, 80, 24).contains("A request by alex.agent"));
}

fn grant(id: i64, kind: GrantKind) -> GrantRequest {
    GrantRequest {
        id,
        kind,
        subject_id: 40,
        subject: "mal.new".into(),
        subject_name: "Mal Newcomb".into(),
        asked_by_id: 1,
        asked_by: "ada.admin".into(),
        asked_at: CREATED,
        expires_at: CREATED + 3 * 24 * 3600,
        state: GrantState::Pending,
        decided_by: None,
        decided_at: None,
        decision_note: None,
    }
}

#[test]
fn grants_wait_in_the_approvals_pane_after_the_requests_for_codes() {
    let clock = Clock(Instant::now());
    let mut app = signed_in_admin(&clock);
    press(&mut app, &clock, KeyCode::Char('v'));
    let waiting = Waiting {
        requests: vec![request(RequestState::Pending)],
        grants: vec![grant(3, GrantKind::AdminRole), grant(4, GrantKind::Permission(Permission::GenerateLockoutCodes))],
        read_at: CREATED + 180,
    };
    update(&mut app, Msg::Approvals(Ok(waiting)), clock.at(T0));
    press(&mut app, &clock, KeyCode::Down);
    let text = screen_text(&app, 80, 24);
    for needle in
        ["grant #3  ada.admin → mal.new: admin-level role", "grant #4", "Gives", "neither the admin who asked"]
    {
        assert!(text.contains(needle), "{needle:?} is not in the Approvals pane:\n{text}");
    }
    snapshot("approval_grant", &mut app);
    assert!(press(&mut app, &clock, KeyCode::Char('a')).is_empty());
    match &app.confirm {
        Some(c) => assert!(
            matches!(&c.asks, Confirmable::Approve { request: PendingId::Grant(3), requester, name } if requester == "ada.admin" && name.contains("Mal Newcomb")),
            "{:?}",
            c.asks
        ),
        None => panic!("no confirm popup"),
    }
    assert!(screen_text(&app, 80, 24).contains("takes effect at once"));
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(effects.as_slice(), [Effect::Approve { request: PendingId::Grant(3), .. }]), "{effects:?}");
    // The second grant is declined with a reason.
    app.busy = None;
    press(&mut app, &clock, KeyCode::Down);
    press(&mut app, &clock, KeyCode::Char('d'));
    type_text(&mut app, &clock, "not agreed with the team lead");
    press(&mut app, &clock, KeyCode::Enter);
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(effects.as_slice(), [Effect::Decline { request: PendingId::Grant(4), .. }]), "{effects:?}");
}

#[test]
fn a_change_that_gives_power_says_it_was_asked_for() {
    let clock = Clock(Instant::now());
    let mut app = signed_in_admin(&clock);
    update(
        &mut app,
        Msg::StaffChanged {
            change: StaffChange::Promote,
            name: "Sam Okoro".into(),
            result: Ok(StaffChangeDone::Asked(12)),
        },
        clock.at(T0),
    );
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("Asked as grant #12"), "{text}");
    assert!(text.contains("second admin"), "{text}");
}
