//! What every UI test starts from: a clock, users and details as the service would answer,
//! an `App` in each state, keys as a person presses them, and the screen as drawn.

pub use std::time::{Duration, Instant};

pub use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
pub use helpdesk::desk::{DeskError, Generation, IssuedCodes, Session, StaffChangeDone, UserDetail};
pub use helpdesk::domain::access::{CoolOff, Permission, Refusal, Staff, StaffChange, StaffMember};
pub use helpdesk::domain::audit::{AuditAction, AuditEvent, IdentityCheck};
pub use helpdesk::domain::codes::BackupCode;
pub use helpdesk::domain::grants::{GrantKind, GrantRequest, GrantState};
pub use helpdesk::domain::institution::{Institution, TwoFactorMethod};
pub use helpdesk::domain::risk::{RecentCodes, RiskSignals};
pub use helpdesk::domain::two_person::{
    Circumstances, CodeRequest, ContactField, Reason, RecordedChange, RequestState, Velocity, VelocityLimits,
};
pub use helpdesk::domain::user::{Device, Enrolment, StaffRole, User, UserKind};
pub use helpdesk::store::BatchSummary;
pub use helpdesk::ui::app::{AdminPane, App, Modal, UiSettings};
pub use helpdesk::ui::msg::{Confirmable, Effect, Msg, PendingId, Waiting};
pub use helpdesk::ui::panes::codes::Reveal;
pub use helpdesk::ui::panes::profile::{ProfileField, ProfileForm};
pub use helpdesk::ui::panes::warning::WarningFocus;
pub use helpdesk::ui::theme::Theme;
pub use helpdesk::ui::update::{DELIBERATE, update};
pub use helpdesk::ui::view::view;
pub use ratatui::Terminal;
pub use ratatui::backend::TestBackend;

pub const T0: u64 = 0;

pub const CREATED: i64 = 1_795_000_000;

pub fn settings() -> UiSettings {
    UiSettings {
        reveal_for: Duration::from_secs(20),
        idle_lock_after: Duration::from_secs(300),
        page_size: 50,
        refresh_every: Duration::from_secs(5),
        home_region: Default::default(),
        ascii: false,
    }
}

pub struct Clock(pub Instant);

impl Clock {
    pub fn at(&self, secs: u64) -> Instant {
        self.0 + Duration::from_secs(secs)
    }
}

pub fn user(id: i64, kind: UserKind, username: &str, first: &str, last: &str, phone: &str) -> User {
    User {
        id,
        kind,
        username: username.into(),
        first_name: first.into(),
        last_name: last.into(),
        email: format!("{username}@mail.example"),
        phone: phone.into(),
        // As the product stores it beside the number.
        phone_form: helpdesk::domain::phone::stored_form(phone),
        enrolment: if kind == UserKind::Staff { Enrolment::Enrolled } else { Enrolment::Registered },
        role: (kind == UserKind::Staff).then_some(StaffRole::Agent),
        created_at: CREATED,
    }
}

pub fn session() -> Session {
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

pub fn institution(email: bool) -> Institution {
    let mut permitted = vec![TwoFactorMethod::Sms, TwoFactorMethod::AuthenticatorApp, TwoFactorMethod::BackupCodes];
    if email {
        permitted.insert(0, TwoFactorMethod::Email);
    }
    Institution { id: 1, name: "Example Community Bank".into(), permitted, second_person_always: false }
}

pub fn amara() -> User {
    user(10, UserKind::Customer, "amara.okafor", "Amara", "Okafor", "+2348031234567")
}

/// A user detail as the service would answer it: by default the signed-in agent may
/// generate, the institution does not permit email 2FA, and there is no active batch.
pub struct DetailFixture(pub UserDetail);

pub fn detail_of(target: User) -> DetailFixture {
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
    pub fn refused(mut self, refusal: Refusal) -> Self {
        self.0.may_generate = Err(refusal);
        self.0.may_revoke = Err(refusal);
        self
    }
    pub fn email_permitted(mut self) -> Self {
        self.0.institution = institution(true);
        self
    }
    pub fn with_batch(mut self) -> Self {
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
pub fn issued() -> IssuedCodes {
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

pub fn new_app(clock: &Clock) -> App {
    App::new(Theme::monochrome(), settings(), clock.at(T0))
}

pub fn signed_in(clock: &Clock) -> App {
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

pub fn on_detail(clock: &Clock, mut d: DetailFixture) -> App {
    // The sentences the service makes of the fixture's signals.
    let data = &d.0;
    d.0.signals = helpdesk::desk::signals(&helpdesk::desk::SignalFacts {
        user: &data.user,
        risk: &data.risk,
        institution: &data.institution,
        gate: &data.may_generate,
        links: &[],
        velocity: Velocity::default(),
        limits: VelocityLimits::default(),
    });
    let mut app = signed_in(clock);
    update(&mut app, Msg::Detail(Ok(Box::new(d.0))), clock.at(T0));
    app
}

pub fn in_warning(clock: &Clock) -> App {
    let mut app = on_detail(clock, detail_of(amara()));
    assert!(press(&mut app, clock, KeyCode::Char('g')).is_empty());
    assert!(matches!(app.modal, Some(Modal::Warning(_))));
    app
}

pub fn in_codes(clock: &Clock) -> App {
    let mut app = in_warning(clock);
    update(&mut app, Msg::Generated(Ok(Generation::Issued(issued()))), clock.at(T0));
    app
}

pub fn press(app: &mut App, clock: &Clock, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), clock.at(T0))
}

/// Enter as a person presses a button they have looked at: `DELIBERATE` after the last key.
pub fn enter_deliberately(app: &mut App) -> Vec<Effect> {
    let at = app.now + DELIBERATE;
    update(app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)), at)
}

pub fn ctrl(app: &mut App, clock: &Clock, c: char) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)), clock.at(T0))
}

pub fn type_text(app: &mut App, clock: &Clock, text: &str) {
    for c in text.chars() {
        press(app, clock, KeyCode::Char(c));
    }
}

pub fn warning_focus(app: &App) -> WarningFocus {
    match &app.modal {
        Some(Modal::Warning(w)) => w.focus,
        _ => panic!("the warning is not open"),
    }
}

/// The screen as the terminal would show it.
pub fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view(app, f)).unwrap();
    terminal
}

/// The screen's text, for assertions about what shows and what does not.
pub fn screen_text(app: &App, width: u16, height: u16) -> String {
    render(app, width, height).backend().to_string()
}

pub fn snapshot(name: &str, app: &mut App) {
    for (w, h) in [(80, 24), (160, 48)] {
        app.size = (w, h);
        assert_screen(&format!("{name}_{w}x{h}"), app, w, h);
    }
}

/// The screen at `w`×`h` against its snapshot `tests/snapshots/ui__{name}.snap`. The
/// snapshots keep the names and the folder they had when these tests were one file: the
/// screens are the reference, not where a test lives.
pub fn assert_screen(name: &str, app: &App, w: u16, h: u16) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("ui__{name}"), render(app, w, h).backend());
    });
}

pub fn admin_session() -> Session {
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

pub fn signed_in_admin(clock: &Clock) -> App {
    let mut app = new_app(clock);
    update(&mut app, Msg::LoggedIn(Ok((admin_session(), "Example Community Bank".into()))), clock.at(T0));
    let seq = app.users.list.seq;
    update(&mut app, Msg::Users { seq, result: Ok(vec![amara()]) }, clock.at(T0));
    app.status = None;
    app
}

pub fn member(id: i64, username: &str, first: &str, last: &str, role: StaffRole, may: bool) -> StaffMember {
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

pub fn in_staff(clock: &Clock) -> App {
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

pub fn profile_form(app: &App) -> &ProfileForm {
    match &app.modal {
        Some(Modal::Profile(form)) => form,
        _ => panic!("the profile form is not open"),
    }
}

/// Every state with a text field or a modal, freshly built.
pub fn every_state(clock: &Clock) -> Vec<(&'static str, App)> {
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

/// In the warning: the first identity check, then the second Generate Backup Codes.
pub fn choose_a_check_and_generate(app: &mut App, clock: &Clock) -> Vec<Effect> {
    press(app, clock, KeyCode::Tab);
    press(app, clock, KeyCode::Enter);
    press(app, clock, KeyCode::BackTab);
    press(app, clock, KeyCode::BackTab);
    enter_deliberately(app)
}

/// A request by alex.agent (id 2) for Amara, as the service reads it.
pub fn request(state: RequestState) -> CodeRequest {
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

pub fn in_approvals(clock: &Clock) -> App {
    let mut app = signed_in_admin(clock);
    let effects = press(&mut app, clock, KeyCode::Char('v'));
    assert!(matches!(effects.as_slice(), [Effect::LoadApprovals { .. }]), "{effects:?}");
    let mut other = request(RequestState::Pending);
    other.id = 8;
    other.requester = "sam.teller".into();
    other.target = "jeanluc.moreau".into();
    other.target_name = "Jean-Luc Moreau".into();
    other.reasons = vec![Reason::WeakCheck(IdentityCheck::KnowledgeBasedVerification)];
    update(
        &mut app,
        Msg::Approvals(Ok(Waiting {
            requests: vec![request(RequestState::Pending), other],
            grants: vec![],
            read_at: CREATED + 180,
        })),
        clock.at(T0),
    );
    app
}
