//! The UI without a terminal: `update` driven by key messages, and every pane drawn on a
//! `TestBackend` and compared with its snapshot, at 80×24 and 160×48.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use helpdesk::desk::{DeskError, Generation, IssuedCodes, Session, UserDetail};
use helpdesk::domain::access::{CoolOff, Permission, Refusal, Staff, StaffChange, StaffMember};
use helpdesk::domain::audit::{AuditAction, AuditEvent, IdentityCheck};
use helpdesk::domain::codes::BackupCode;
use helpdesk::domain::institution::{Institution, TwoFactorMethod};
use helpdesk::domain::risk::{RecentCodes, RiskSignals};
use helpdesk::domain::two_person::{
    Circumstances, CodeRequest, ContactField, Reason, RecordedChange, RequestState, Velocity, VelocityLimits,
};
use helpdesk::domain::user::{Device, Enrolment, StaffRole, User, UserKind};
use helpdesk::store::BatchSummary;
use helpdesk::ui::app::{AdminPane, App, Modal, UiSettings};
use helpdesk::ui::msg::{Confirmable, Effect, Msg};
use helpdesk::ui::panes::codes::Reveal;
use helpdesk::ui::panes::profile::{ProfileField, ProfileForm};
use helpdesk::ui::panes::warning::WarningFocus;
use helpdesk::ui::theme::Theme;
use helpdesk::ui::update::{DELIBERATE, update};
use helpdesk::ui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const T0: u64 = 0;
const CREATED: i64 = 1_795_000_000;

fn settings() -> UiSettings {
    UiSettings {
        reveal_for: Duration::from_secs(20),
        idle_lock_after: Duration::from_secs(300),
        page_size: 50,
        refresh_every: Duration::from_secs(5),
        home_region: Default::default(),
        ascii: false,
    }
}

struct Clock(Instant);

impl Clock {
    fn at(&self, secs: u64) -> Instant {
        self.0 + Duration::from_secs(secs)
    }
}

fn user(id: i64, kind: UserKind, username: &str, first: &str, last: &str, phone: &str) -> User {
    User {
        id,
        kind,
        username: username.into(),
        first_name: first.into(),
        last_name: last.into(),
        email: format!("{username}@mail.example"),
        phone: phone.into(),
        enrolment: if kind == UserKind::Staff { Enrolment::Enrolled } else { Enrolment::Registered },
        role: (kind == UserKind::Staff).then_some(StaffRole::Agent),
        created_at: CREATED,
    }
}

fn session() -> Session {
    Session {
        id: 1,
        staff: Staff {
            id: 2,
            username: "alex.agent".into(),
            role: StaffRole::Agent,
            permissions: vec![Permission::GenerateLockoutCodes],
        },
        name: "Alex Rivera".into(),
    }
}

fn institution(email: bool) -> Institution {
    let mut permitted = vec![TwoFactorMethod::Sms, TwoFactorMethod::AuthenticatorApp, TwoFactorMethod::BackupCodes];
    if email {
        permitted.insert(0, TwoFactorMethod::Email);
    }
    Institution { id: 1, name: "Example Community Bank".into(), permitted, second_person_always: false }
}

fn amara() -> User {
    user(10, UserKind::Customer, "amara.okafor", "Amara", "Okafor", "+2348031234567")
}

/// A user detail as the service would answer it: by default the signed-in agent may
/// generate, the institution does not permit email 2FA, and there is no active batch.
struct DetailFixture(UserDetail);

fn detail_of(target: User) -> DetailFixture {
    DetailFixture(UserDetail {
        devices: if target.is_staff() {
            vec![Device {
                method: TwoFactorMethod::AuthenticatorApp,
                label: "Authenticator app (work phone)".into(),
                added_at: CREATED,
            }]
        } else {
            vec![]
        },
        institution: institution(false),
        codes: None,
        may_generate: Ok(CoolOff::Clear),
        may_revoke: Ok(()),
        may_edit_profile: Ok(()),
        risk: RiskSignals::default(),
        contact_seen: None,
        circumstances: Some(Circumstances {
            target_is_staff: target.is_staff(),
            cool_off: CoolOff::Clear,
            velocity: Velocity::default(),
            limits: VelocityLimits::default(),
            links: vec![],
            always: false,
        }),
        checks: IdentityCheck::ALL.iter().map(|&c| (c, Ok(()))).collect(),
        signals: vec![],
        request: None,
        viewer: 1,
        home_region: Default::default(),
        user: target,
    })
}

impl DetailFixture {
    fn refused(mut self, refusal: Refusal) -> Self {
        self.0.may_generate = Err(refusal);
        self.0.may_revoke = Err(refusal);
        self
    }
    fn email_permitted(mut self) -> Self {
        self.0.institution = institution(true);
        self
    }
    fn with_batch(mut self) -> Self {
        self.0.codes = Some(BatchSummary {
            id: 7,
            created_at: CREATED + 3600,
            expires_at: Some(CREATED + 3600 + 72 * 3600),
            generated_by: "ada.admin".into(),
            code_count: 10,
            unused: 9,
            identity_check: "in_person_photo_id".into(),
            last_used_at: Some(CREATED + 7200),
        });
        self
    }
}

/// Fixed, made-up codes: these never existed in any database.
fn issued() -> IssuedCodes {
    let fixtures = [
        "ABCD-EFGH-JKMN",
        "PQRS-TVWX-YZ01",
        "2345-6789-ABCD",
        "EFGH-JKMN-PQRS",
        "TVWX-YZ01-2345",
        "6789-ABCD-EFGH",
        "JKMN-PQRS-TVWX",
        "YZ01-2345-6789",
        "A1B2-C3D4-E5F6",
        "G7H8-J9K0-M1N2",
    ];
    IssuedCodes {
        batch_id: 8,
        codes: fixtures.iter().map(|c| BackupCode::parse(c, 4).unwrap()).collect(),
        expires_at: Some(CREATED + 72 * 3600),
    }
}

fn new_app(clock: &Clock) -> App {
    App::new(Theme::monochrome(), settings(), clock.at(T0))
}

fn signed_in(clock: &Clock) -> App {
    let mut app = new_app(clock);
    update(&mut app, Msg::LoggedIn(Ok((session(), "Example Community Bank".into()))), clock.at(T0));
    let rows = vec![
        amara(),
        user(11, UserKind::Customer, "jeanluc.moreau", "Jean-Luc", "Moreau", "+33612345678"),
        user(12, UserKind::Customer, "siobhan.obrien", "Siobhán", "O'Brien", "+353871234567"),
        user(13, UserKind::Customer, "john.smith", "John", "Smith", "+14155550123"),
        user(3, UserKind::Staff, "sam.teller", "Sam", "Okoro", ""),
    ];
    let seq = app.users.list.seq;
    update(&mut app, Msg::Users { seq, result: Ok(rows) }, clock.at(T0));
    app.status = None;
    app
}

fn on_detail(clock: &Clock, mut d: DetailFixture) -> App {
    // The sentences the service makes of the fixture's signals.
    let data = &d.0;
    d.0.signals = helpdesk::desk::signals(
        &data.user,
        &data.risk,
        &data.institution,
        &data.may_generate,
        &[],
        Velocity::default(),
        VelocityLimits::default(),
    );
    let mut app = signed_in(clock);
    update(&mut app, Msg::Detail(Ok(Box::new(d.0))), clock.at(T0));
    app
}

fn in_warning(clock: &Clock) -> App {
    let mut app = on_detail(clock, detail_of(amara()));
    assert!(press(&mut app, clock, KeyCode::Char('g')).is_empty());
    assert!(matches!(app.modal, Some(Modal::Warning(_))));
    app
}

fn in_codes(clock: &Clock) -> App {
    let mut app = in_warning(clock);
    update(&mut app, Msg::Generated(Ok(Generation::Issued(issued()))), clock.at(T0));
    app
}

fn press(app: &mut App, clock: &Clock, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), clock.at(T0))
}

/// Enter as a person presses a button they have looked at: `DELIBERATE` after the last key.
fn enter_deliberately(app: &mut App) -> Vec<Effect> {
    let at = app.now + DELIBERATE;
    update(app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)), at)
}

fn ctrl(app: &mut App, clock: &Clock, c: char) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)), clock.at(T0))
}

fn type_text(app: &mut App, clock: &Clock, text: &str) {
    for c in text.chars() {
        press(app, clock, KeyCode::Char(c));
    }
}

fn warning_focus(app: &App) -> WarningFocus {
    match &app.modal {
        Some(Modal::Warning(w)) => w.focus,
        _ => panic!("the warning is not open"),
    }
}

/// The screen as the terminal would show it.
fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal
}

/// The screen's text, for assertions about what shows and what does not.
fn screen_text(app: &App, width: u16, height: u16) -> String {
    render(app, width, height).backend().to_string()
}

fn snapshot(name: &str, app: &mut App) {
    for (w, h) in [(80, 24), (160, 48)] {
        app.size = (w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(app, w, h).backend());
    }
}

// ----- update -------------------------------------------------------------------------

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
    let effects = update(&mut app, Msg::Unlocked(Ok(())), clock.at(301));
    assert!(app.lock.is_none());
    assert!(matches!(effects.as_slice(), [Effect::LoadDetail { user: 10, .. }]), "the detail was not refreshed");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("wiped")), "nobody was told the codes are gone");
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

// ----- snapshots ----------------------------------------------------------------------

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
fn snapshot_too_small() {
    let clock = Clock(Instant::now());
    let mut app = signed_in(&clock);
    app.size = (60, 20);
    insta::assert_snapshot!("too_small_60x20", render(&app, 60, 20).backend());
}

// ----- the admin's screens, the forms, the live status ---------------------------------

fn admin_session() -> Session {
    Session {
        id: 2,
        staff: Staff {
            id: 1,
            username: "ada.admin".into(),
            role: StaffRole::Admin,
            permissions: vec![Permission::GenerateLockoutCodes],
        },
        name: "Ada Lovelace".into(),
    }
}

fn signed_in_admin(clock: &Clock) -> App {
    let mut app = new_app(clock);
    update(&mut app, Msg::LoggedIn(Ok((admin_session(), "Example Community Bank".into()))), clock.at(T0));
    let seq = app.users.list.seq;
    update(&mut app, Msg::Users { seq, result: Ok(vec![amara()]) }, clock.at(T0));
    app.status = None;
    app
}

fn member(id: i64, username: &str, first: &str, last: &str, role: StaffRole, may: bool) -> StaffMember {
    let mut user = user(id, UserKind::Staff, username, first, last, "");
    user.role = Some(role);
    StaffMember {
        staff: Staff {
            id,
            username: username.into(),
            role,
            permissions: if may { vec![Permission::GenerateLockoutCodes] } else { vec![] },
        },
        user,
        disabled: false,
        login_locked_until: None,
        last_sign_in: Some(CREATED + 3600),
        open_sessions: 1,
    }
}

fn in_staff(clock: &Clock) -> App {
    let mut app = signed_in_admin(clock);
    let effects = press(&mut app, clock, KeyCode::Char('s'));
    assert!(matches!(effects.as_slice(), [Effect::LoadStaff { .. }]), "{effects:?}");
    let mut nora = member(4, "nora.noperm", "Nora", "Quinn", StaffRole::Agent, false);
    nora.login_locked_until = Some(CREATED + 7200);
    nora.open_sessions = 0;
    let mut sam = member(3, "sam.teller", "Sam", "Okoro", StaffRole::Agent, true);
    sam.disabled = true;
    sam.open_sessions = 0;
    let members = vec![member(1, "ada.admin", "Ada", "Lovelace", StaffRole::Admin, true), sam, nora];
    update(&mut app, Msg::Staff(Ok((members, CREATED))), clock.at(T0));
    app
}

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
            result: Ok(()),
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

fn profile_form(app: &App) -> &ProfileForm {
    match &app.modal {
        Some(Modal::Profile(form)) => form,
        _ => panic!("the profile form is not open"),
    }
}

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

// ----- hostile input: huge pastes, a terminal shrunk to nothing ------------------------

/// Every state with a text field or a modal, freshly built.
fn every_state(clock: &Clock) -> Vec<(&'static str, App)> {
    let mut states = Vec::new();
    states.push(("sign-in", new_app(clock)));
    let mut locked = signed_in(clock);
    update(&mut locked, Msg::Tick, clock.at(301));
    states.push(("idle lock", locked));
    let mut search = signed_in(clock);
    press(&mut search, clock, KeyCode::Char('/'));
    states.push(("search", search));
    let mut note = in_warning(clock);
    press(&mut note, clock, KeyCode::Tab);
    press(&mut note, clock, KeyCode::Tab);
    states.push(("warning note", note));
    states.push(("warning", in_warning(clock)));
    states.push(("codes", in_codes(clock)));
    let mut leave = in_codes(clock);
    press(&mut leave, clock, KeyCode::Esc);
    states.push(("leave codes", leave));
    let mut profile = on_detail(clock, detail_of(amara()));
    press(&mut profile, clock, KeyCode::Char('e'));
    states.push(("profile form", profile));
    let mut password = signed_in(clock);
    ctrl(&mut password, clock, 'p');
    states.push(("password form", password));
    states.push(("staff", in_staff(clock)));
    let mut audit = signed_in_admin(clock);
    press(&mut audit, clock, KeyCode::Char('a'));
    press(&mut audit, clock, KeyCode::Char('/'));
    states.push(("audit filter", audit));
    let mut settings = signed_in_admin(clock);
    press(&mut settings, clock, KeyCode::Char('i'));
    update(&mut settings, Msg::Institution(Ok(institution(false))), clock.at(T0));
    states.push(("settings", settings));
    let mut help = signed_in(clock);
    press(&mut help, clock, KeyCode::Char('?'));
    states.push(("help", help));
    states
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

/// In the warning: the first identity check, then the second Generate Backup Codes.
fn choose_a_check_and_generate(app: &mut App, clock: &Clock) -> Vec<Effect> {
    press(app, clock, KeyCode::Tab);
    press(app, clock, KeyCode::Enter);
    press(app, clock, KeyCode::BackTab);
    press(app, clock, KeyCode::BackTab);
    enter_deliberately(app)
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

// ----- the two-person rule ------------------------------------------------------------

/// A request by alex.agent (id 2) for Amara, as the service reads it.
fn request(state: RequestState) -> CodeRequest {
    let approved = state == RequestState::Approved;
    CodeRequest {
        id: 7,
        requester_id: 2,
        requester: "alex.agent".into(),
        target_id: 10,
        target: "amara.okafor".into(),
        target_name: "Amara Okafor".into(),
        target_kind: UserKind::Customer,
        identity_check: IdentityCheck::InPersonPhotoId,
        note: Some("passport seen, ticket 77".into()),
        signals: vec!["The phone changed outside helpdesk at 2026-11-18 11:06 UTC.".into()],
        // Shown as "overrides the contact-change cool-off (until 2026-11-19 11:06 UTC)".
        reasons: vec![Reason::CoolOffOverride { until: 1_795_086_360 }],
        contact_seen: Some(1),
        batch_seen: None,
        created_at: CREATED,
        expires_at: CREATED + 1_800,
        state,
        decided_by: approved.then(|| (5, "ben.admin".into())),
        decided_at: approved.then_some(CREATED + 60),
        decision_note: None,
        approval_expires_at: approved.then_some(CREATED + 660),
    }
}

fn in_approvals(clock: &Clock) -> App {
    let mut app = signed_in_admin(clock);
    let effects = press(&mut app, clock, KeyCode::Char('v'));
    assert!(matches!(effects.as_slice(), [Effect::LoadApprovals { .. }]), "{effects:?}");
    let mut other = request(RequestState::Pending);
    other.id = 8;
    other.requester = "sam.teller".into();
    other.target = "jeanluc.moreau".into();
    other.target_name = "Jean-Luc Moreau".into();
    other.reasons = vec![Reason::WeakCheck(IdentityCheck::KnowledgeBasedVerification)];
    update(&mut app, Msg::Approvals(Ok((vec![request(RequestState::Pending), other], CREATED + 180))), clock.at(T0));
    app
}

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
            assert!(matches!(&c.asks, Confirmable::Approve { request: 7, requester, .. } if requester == "alex.agent"))
        }
        None => panic!("no confirm popup"),
    }
    press(&mut app, &clock, KeyCode::Tab);
    let effects = enter_deliberately(&mut app);
    assert!(matches!(effects.as_slice(), [Effect::Approve { request: 7, .. }]), "{effects:?}");
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
        [Effect::Decline { request: 8, reason, .. }] => assert_eq!(reason, "call back on a number we trust"),
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
