//! The UI's state, the messages that change it and the effects it asks for.
//! `update` is the only place state changes; it never waits on the database: it returns
//! `Effect`s, which the runtime performs and answers with messages.

use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;
use ratatui::widgets::TableState;
use tui_textarea::TextArea;
use zeroize::{Zeroize, Zeroizing};

use crate::desk::{DeskError, IssuedCodes, NOTE_MAX, Session, UserDetail};
use crate::domain::audit::IdentityCheck;
use crate::domain::user::{User, UserId, sort_key};
use crate::store::UserQuery;
use crate::ui::keymap::{self, Command, Context};
use crate::ui::theme::Theme;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Everything that can happen to the UI.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Tick,
    LoggedIn(Result<(Session, String), DeskError>),
    Unlocked(Result<(), DeskError>),
    Users { seq: u64, result: Result<Vec<User>, DeskError> },
    Detail(Result<Box<UserDetail>, DeskError>),
    Generated(Result<IssuedCodes, DeskError>),
    Revoked(Result<(), DeskError>),
}

/// Work for the runtime: each ends in exactly one message.
#[derive(Debug)]
pub enum Effect {
    Login { username: String, password: Zeroizing<String> },
    Unlock { session: Session, password: Zeroizing<String> },
    Search { session: Session, query: UserQuery, seq: u64 },
    LoadDetail { session: Session, user: UserId },
    Generate { session: Session, user: UserId, check: IdentityCheck, note: Option<String> },
    Revoke { session: Session, user: UserId },
    SignOut { session: Session },
}

#[derive(Debug, Clone, Copy)]
pub struct UiSettings {
    pub reveal_for: Duration,
    pub idle_lock_after: Duration,
    pub page_size: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFocus {
    Username,
    Password,
}

pub struct LoginForm {
    pub username: TextArea<'static>,
    pub password: TextArea<'static>,
    pub focus: LoginFocus,
    pub error: Option<String>,
}

pub struct LockForm {
    pub password: TextArea<'static>,
    pub error: Option<String>,
    /// The lock closed an open code view.
    pub wiped_codes: bool,
}

pub struct UserList {
    pub search: TextArea<'static>,
    pub search_focused: bool,
    pub rows: Vec<User>,
    pub table: TableState,
    /// The cursor each page starts after; the first page starts at the beginning.
    pub pages: Vec<Option<(String, UserId)>>,
    pub has_more: bool,
    pub loading: bool,
    pub seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailAction {
    Generate,
    Revoke,
}

pub struct Detail {
    pub data: UserDetail,
    pub focus: DetailAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningFocus {
    Cancel,
    Choices,
    Note,
    Generate,
}

pub struct Warning {
    pub target: UserId,
    pub target_name: String,
    pub target_is_staff: bool,
    pub email_permitted: bool,
    pub check: Option<IdentityCheck>,
    pub cursor: usize,
    pub note: TextArea<'static>,
    pub focus: WarningFocus,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    Hidden,
    One(usize),
    All,
}

pub struct CodeView {
    pub user_name: String,
    pub username: String,
    pub user_id: UserId,
    pub issued: IssuedCodes,
    pub selected: usize,
    pub reveal: Reveal,
    pub hide_at: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKind {
    /// Leave the one-time code view (the codes are wiped).
    LeaveCodes,
    /// Revoke the user's unused codes.
    Revoke,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirm {
    pub kind: ConfirmKind,
    /// Focus starts on the safe button.
    pub on_yes: bool,
}

pub enum Modal {
    Warning(Box<Warning>),
    Confirm(Confirm),
}

pub struct App {
    pub theme: Theme,
    /// A line under the sign-in form: demo credentials, or how to create the first admin.
    pub sign_in_hint: Option<String>,
    pub settings: UiSettings,
    pub session: Option<Session>,
    pub institution: String,
    pub login: LoginForm,
    pub lock: Option<LockForm>,
    pub users: UserList,
    pub detail: Option<Detail>,
    pub codes: Option<CodeView>,
    pub modal: Option<Modal>,
    pub help: bool,
    pub status: Option<Status>,
    pub busy: Option<&'static str>,
    pub size: (u16, u16),
    pub last_activity: Instant,
    /// The instant of the message being handled; the view's clock.
    pub now: Instant,
    pub quit: bool,
}

fn text_field(placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_placeholder_text(placeholder);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
}

fn secret_field(placeholder: &str) -> TextArea<'static> {
    let mut t = text_field(placeholder);
    t.set_mask_char('•');
    // No undo history: it would keep copies of the password.
    t.set_max_histories(0);
    t
}

/// Takes the text out of a field and wipes the field's copy.
fn take_secret(field: &mut TextArea<'static>, placeholder: &str) -> Zeroizing<String> {
    let old = std::mem::replace(field, secret_field(placeholder));
    let mut lines = old.into_lines();
    let secret = Zeroizing::new(lines.concat());
    for line in &mut lines {
        line.zeroize();
    }
    secret
}

fn field_text(field: &TextArea<'_>) -> String {
    field.lines().concat()
}

/// One line of printable text, as a paste into a single-line field should be.
pub fn clean_paste(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

const USERNAME_HINT: &str = "username";
const PASSWORD_HINT: &str = "password";

impl LoginForm {
    fn new() -> Self {
        Self {
            username: text_field(USERNAME_HINT),
            password: secret_field(PASSWORD_HINT),
            focus: LoginFocus::Username,
            error: None,
        }
    }
}

impl UserList {
    fn new() -> Self {
        Self {
            search: text_field("type a name, username, email or phone"),
            search_focused: false,
            rows: Vec::new(),
            table: TableState::default(),
            pages: vec![None],
            has_more: false,
            loading: false,
            seq: 0,
        }
    }

    pub fn page(&self) -> usize {
        self.pages.len() - 1
    }

    pub fn selected(&self) -> Option<&User> {
        self.table.selected().and_then(|i| self.rows.get(i))
    }
}

impl Warning {
    fn new(detail: &UserDetail) -> Self {
        let mut note = text_field("how identity was checked, ticket number…");
        note.set_max_histories(20);
        Self {
            target: detail.user.id,
            target_name: format!("{} ({})", detail.user.full_name(), detail.user.username),
            target_is_staff: detail.user.is_staff(),
            email_permitted: detail.institution.email_makes_codes_unusual(),
            check: None,
            cursor: 0,
            note,
            focus: WarningFocus::Cancel,
            error: None,
        }
    }
}

impl App {
    pub fn new(theme: Theme, settings: UiSettings, now: Instant) -> Self {
        Self {
            theme,
            sign_in_hint: None,
            settings,
            session: None,
            institution: String::new(),
            login: LoginForm::new(),
            lock: None,
            users: UserList::new(),
            detail: None,
            codes: None,
            modal: None,
            help: false,
            status: None,
            busy: None,
            size: (MIN_WIDTH, MIN_HEIGHT),
            last_activity: now,
            now,
            quit: false,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Where the keyboard is now.
    pub fn context(&self) -> Context {
        if self.help { Context::Help } else { self.context_below_help() }
    }

    /// Where the keyboard would be without the help overlay: what the overlay explains.
    pub fn context_below_help(&self) -> Context {
        if self.session.is_none() {
            return Context::Login;
        }
        if self.lock.is_some() {
            return Context::Locked;
        }
        match &self.modal {
            Some(Modal::Warning(w)) if w.focus == WarningFocus::Note => return Context::WarningText,
            Some(Modal::Warning(_)) => return Context::Warning,
            Some(Modal::Confirm(_)) => return Context::Confirm,
            None => {}
        }
        if self.codes.is_some() {
            Context::Codes
        } else if self.detail.is_some() {
            Context::UserDetail
        } else if self.users.search_focused {
            Context::SearchBox
        } else {
            Context::UserList
        }
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: false });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: true });
    }

    /// Wipes the one-time codes now.
    fn wipe_codes(&mut self) {
        self.codes = None;
        if matches!(self.modal, Some(Modal::Confirm(Confirm { kind: ConfirmKind::LeaveCodes, .. }))) {
            self.modal = None;
        }
    }

    /// Back to the sign-in screen; nothing of the session survives.
    fn signed_out(&mut self, message: Option<String>) {
        self.wipe_codes();
        self.session = None;
        self.lock = None;
        self.detail = None;
        self.modal = None;
        self.busy = None;
        self.users = UserList::new();
        self.login = LoginForm::new();
        self.login.error = message;
    }

    fn search_effect(&mut self) -> Vec<Effect> {
        let Some(session) = self.session.clone() else { return vec![] };
        self.users.seq += 1;
        self.users.loading = true;
        let query = UserQuery {
            text: field_text(&self.users.search),
            after: self.users.pages.last().cloned().flatten(),
            // One more than a page tells whether there is a next page.
            limit: self.settings.page_size + 1,
        };
        vec![Effect::Search { session, query, seq: self.users.seq }]
    }

    /// A desk error that ends the session goes back to sign-in; others are shown.
    fn failed(&mut self, e: DeskError) {
        self.busy = None;
        if matches!(e, DeskError::SessionEnded) {
            self.signed_out(Some(e.to_string()));
        } else {
            self.error(e.to_string());
        }
    }
}

/// Applies one message. `now` is passed in so that tests control time.
pub fn update(app: &mut App, msg: Msg, now: Instant) -> Vec<Effect> {
    app.now = now;
    match msg {
        Msg::Resize(w, h) => {
            app.size = (w, h);
            vec![]
        }
        Msg::Tick => on_tick(app, now),
        Msg::Key(key) => {
            app.last_activity = now;
            if app.too_small() || app.busy.is_some() {
                return vec![];
            }
            on_key(app, key, now)
        }
        Msg::Paste(text) => {
            app.last_activity = now;
            if app.too_small() || app.busy.is_some() {
                return vec![];
            }
            on_paste(app, &text);
            vec![]
        }
        Msg::LoggedIn(result) => {
            app.busy = None;
            match result {
                Ok((session, institution)) => {
                    app.institution = institution;
                    app.info(format!("Signed in as {} ({}).", session.name, session.staff.role.as_str()));
                    app.session = Some(session);
                    app.login = LoginForm::new();
                    app.last_activity = now;
                    app.search_effect()
                }
                Err(e) => {
                    app.login.error = Some(e.to_string());
                    vec![]
                }
            }
        }
        Msg::Unlocked(result) => {
            app.busy = None;
            match result {
                Ok(()) => {
                    let wiped = app.lock.take().is_some_and(|l| l.wiped_codes);
                    app.last_activity = now;
                    if wiped {
                        app.info("Unlocked. The backup codes that were on screen were wiped by the lock.");
                        return reload_detail(app);
                    }
                    app.info("Unlocked.");
                }
                Err(DeskError::SessionEnded) => app.signed_out(Some(DeskError::SessionEnded.to_string())),
                Err(e) => {
                    if let Some(lock) = &mut app.lock {
                        lock.error = Some(e.to_string());
                    }
                }
            }
            vec![]
        }
        Msg::Users { seq, result } => {
            if seq != app.users.seq {
                return vec![]; // an answer to a search the user has typed past
            }
            app.users.loading = false;
            match result {
                Ok(mut rows) => {
                    app.users.has_more = rows.len() as i64 > app.settings.page_size;
                    rows.truncate(app.settings.page_size as usize);
                    app.users.table.select(if rows.is_empty() { None } else { Some(0) });
                    app.users.rows = rows;
                }
                Err(e) => app.failed(e),
            }
            vec![]
        }
        Msg::Detail(result) => {
            app.busy = None;
            match result {
                Ok(data) => {
                    let focus = app.detail.as_ref().map_or(DetailAction::Generate, |d| d.focus);
                    app.detail = Some(Detail { data: *data, focus });
                }
                Err(e) => app.failed(e),
            }
            vec![]
        }
        Msg::Generated(result) => {
            app.busy = None;
            match result {
                Ok(issued) => {
                    let Some(Modal::Warning(w)) = app.modal.take() else {
                        // The warning was closed meanwhile (idle lock): the codes are not shown.
                        drop(issued);
                        return vec![];
                    };
                    let (user_name, username) = match &app.detail {
                        Some(d) => (d.data.user.full_name(), d.data.user.username.clone()),
                        None => (w.target_name.clone(), String::new()),
                    };
                    app.codes = Some(CodeView {
                        user_name,
                        username,
                        user_id: w.target,
                        issued,
                        selected: 0,
                        reveal: Reveal::Hidden,
                        hide_at: None,
                    });
                    app.info("Backup codes generated. The previous batch, if any, was revoked.");
                }
                Err(e) => {
                    if let (Some(Modal::Warning(w)), false) = (&mut app.modal, matches!(e, DeskError::SessionEnded)) {
                        w.error = Some(e.to_string());
                    } else {
                        app.failed(e);
                    }
                }
            }
            vec![]
        }
        Msg::Revoked(result) => {
            app.busy = None;
            match result {
                Ok(()) => {
                    app.info("The unused backup codes were revoked; the user was notified.");
                    reload_detail(app)
                }
                Err(e) => {
                    app.failed(e);
                    vec![]
                }
            }
        }
    }
}

fn reload_detail(app: &mut App) -> Vec<Effect> {
    match (&app.session, &app.detail) {
        (Some(session), Some(d)) => vec![Effect::LoadDetail { session: session.clone(), user: d.data.user.id }],
        _ => vec![],
    }
}

fn on_tick(app: &mut App, now: Instant) -> Vec<Effect> {
    if let Some(view) = &mut app.codes
        && view.hide_at.is_some_and(|t| now >= t)
    {
        view.reveal = Reveal::Hidden;
        view.hide_at = None;
    }
    if app.session.is_some()
        && app.lock.is_none()
        && now.duration_since(app.last_activity) >= app.settings.idle_lock_after
    {
        let wiped_codes = app.codes.is_some();
        app.wipe_codes();
        app.help = false;
        app.lock = Some(LockForm { password: secret_field(PASSWORD_HINT), error: None, wiped_codes });
    }
    vec![]
}

fn on_paste(app: &mut App, text: &str) {
    match app.context() {
        Context::Login => {
            let field = match app.login.focus {
                LoginFocus::Username => &mut app.login.username,
                LoginFocus::Password => &mut app.login.password,
            };
            field.insert_str(clean_paste(text, 128));
        }
        Context::Locked => {
            if let Some(lock) = &mut app.lock {
                lock.password.insert_str(clean_paste(text, 128));
            }
        }
        Context::SearchBox => {
            app.users.search.insert_str(clean_paste(text, 100));
        }
        Context::WarningText => {
            if let Some(Modal::Warning(w)) = &mut app.modal {
                let room = NOTE_MAX.saturating_sub(field_text(&w.note).chars().count());
                w.note.insert_str(clean_paste(text, room));
            }
        }
        // A paste anywhere else is text with nowhere to go; it never presses a button.
        _ => app.info("Paste ignored: no text field has the focus."),
    }
}

fn on_key(app: &mut App, key: KeyEvent, now: Instant) -> Vec<Effect> {
    let context = app.context();
    let command = keymap::lookup(context, &key);
    let typing = matches!(context, Context::Login | Context::Locked | Context::SearchBox | Context::WarningText);
    if command.is_some() {
        app.status = None;
    } else if !typing {
        app.info("That key does nothing here; ? lists the keys.");
    }
    match context {
        Context::Help => {
            if command == Some(Command::Back) {
                app.help = false;
            }
            vec![]
        }
        Context::Login => login_key(app, key, command),
        Context::Locked => locked_key(app, key, command),
        Context::SearchBox => search_key(app, key, command),
        Context::UserList => list_key(app, command),
        Context::UserDetail => detail_key(app, command),
        Context::Warning | Context::WarningText => warning_key(app, key, command),
        Context::Confirm => confirm_key(app, command),
        Context::Codes => codes_key(app, command, now),
    }
}

fn login_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
    let form = &mut app.login;
    match command {
        Some(Command::Quit) => app.quit = true,
        Some(Command::NextFocus) => {
            form.focus = match form.focus {
                LoginFocus::Username => LoginFocus::Password,
                LoginFocus::Password => LoginFocus::Username,
            }
        }
        Some(Command::Activate) => {
            let username = field_text(&form.username).trim().to_owned();
            if form.focus == LoginFocus::Username && !username.is_empty() {
                form.focus = LoginFocus::Password;
                return vec![];
            }
            if username.is_empty() {
                form.error = Some("Enter your username.".into());
                form.focus = LoginFocus::Username;
                return vec![];
            }
            let password = take_secret(&mut form.password, PASSWORD_HINT);
            if password.is_empty() {
                form.error = Some("Enter your password.".into());
                return vec![];
            }
            form.error = None;
            app.busy = Some("Signing in…");
            return vec![Effect::Login { username, password }];
        }
        _ => {
            let field = match form.focus {
                LoginFocus::Username => &mut form.username,
                LoginFocus::Password => &mut form.password,
            };
            single_line_input(field, key);
        }
    }
    vec![]
}

/// Feeds a key to a one-line field; Enter never makes a second line.
fn single_line_input(field: &mut TextArea<'static>, key: KeyEvent) -> bool {
    if key.code == crossterm::event::KeyCode::Enter {
        return false;
    }
    field.input(key)
}

fn locked_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
    let (Some(lock), Some(session)) = (&mut app.lock, &app.session) else { return vec![] };
    match command {
        Some(Command::Activate) => {
            let password = take_secret(&mut lock.password, PASSWORD_HINT);
            if password.is_empty() {
                lock.error = Some("Enter your password.".into());
                return vec![];
            }
            app.busy = Some("Checking…");
            vec![Effect::Unlock { session: session.clone(), password }]
        }
        Some(Command::SignOut) => {
            let session = session.clone();
            app.signed_out(Some("Signed out.".into()));
            vec![Effect::SignOut { session }]
        }
        _ => {
            single_line_input(&mut lock.password, key);
            vec![]
        }
    }
}

fn search_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
    match command {
        Some(Command::Quit) => {
            app.quit = true;
            vec![]
        }
        Some(Command::Open) => {
            app.users.search_focused = false;
            vec![]
        }
        Some(Command::Back) => {
            app.users.search_focused = false;
            if field_text(&app.users.search).is_empty() {
                return vec![];
            }
            app.users.search = UserList::new().search;
            app.users.pages = vec![None];
            app.search_effect()
        }
        _ => {
            let before = field_text(&app.users.search);
            single_line_input(&mut app.users.search, key);
            if field_text(&app.users.search) != before {
                app.users.pages = vec![None];
                app.search_effect()
            } else {
                vec![]
            }
        }
    }
}

fn list_key(app: &mut App, command: Option<Command>) -> Vec<Effect> {
    let users = &mut app.users;
    match command {
        Some(Command::Quit) => app.quit = true,
        Some(Command::Help) => app.help = true,
        Some(Command::Search) => users.search_focused = true,
        Some(Command::Up) => {
            if let Some(i) = users.table.selected() {
                users.table.select(Some(i.saturating_sub(1)));
            }
        }
        Some(Command::Down) => {
            if let Some(i) = users.table.selected() {
                users.table.select(Some((i + 1).min(users.rows.len().saturating_sub(1))));
            }
        }
        Some(Command::NextPage) => {
            if users.has_more
                && let Some(last) = users.rows.last()
            {
                let cursor = (sort_key(&last.first_name, &last.last_name), last.id);
                users.pages.push(Some(cursor));
                return app.search_effect();
            }
            app.info("This is the last page.");
        }
        Some(Command::PrevPage) => {
            if users.pages.len() > 1 {
                users.pages.pop();
                return app.search_effect();
            }
            app.info("This is the first page.");
        }
        Some(Command::Refresh) => return app.search_effect(),
        Some(Command::Open) => {
            if let (Some(user), Some(session)) = (users.selected(), &app.session) {
                let effect = Effect::LoadDetail { session: session.clone(), user: user.id };
                app.detail = None;
                app.busy = Some("Opening…");
                return vec![effect];
            }
        }
        Some(Command::SignOut) => {
            if let Some(session) = app.session.clone() {
                app.signed_out(Some("Signed out.".into()));
                return vec![Effect::SignOut { session }];
            }
        }
        _ => {}
    }
    vec![]
}

fn detail_key(app: &mut App, command: Option<Command>) -> Vec<Effect> {
    let Some(detail) = &mut app.detail else { return vec![] };
    let action = match command {
        Some(Command::Quit) => {
            app.quit = true;
            return vec![];
        }
        Some(Command::Help) => {
            app.help = true;
            return vec![];
        }
        Some(Command::Back) => {
            app.detail = None;
            return vec![];
        }
        Some(Command::Refresh) => return reload_detail(app),
        Some(Command::NextFocus) | Some(Command::PrevFocus) => {
            detail.focus = match detail.focus {
                DetailAction::Generate => DetailAction::Revoke,
                DetailAction::Revoke => DetailAction::Generate,
            };
            return vec![];
        }
        Some(Command::Generate) => DetailAction::Generate,
        Some(Command::Revoke) => DetailAction::Revoke,
        Some(Command::Activate) => detail.focus,
        _ => return vec![],
    };
    detail.focus = action;
    if let Err(refusal) = detail.data.may_manage_codes {
        app.error(format!("Not available: {refusal}"));
        return vec![];
    }
    match action {
        DetailAction::Generate => app.modal = Some(Modal::Warning(Box::new(Warning::new(&detail.data)))),
        DetailAction::Revoke => {
            if detail.data.codes.is_none() {
                app.info("This user has no active backup codes to revoke.");
            } else {
                app.modal = Some(Modal::Confirm(Confirm { kind: ConfirmKind::Revoke, on_yes: false }));
            }
        }
    }
    vec![]
}

const FOCUS_ORDER: [WarningFocus; 4] =
    [WarningFocus::Cancel, WarningFocus::Choices, WarningFocus::Note, WarningFocus::Generate];

fn warning_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
    let Some(Modal::Warning(w)) = &mut app.modal else { return vec![] };
    let step = |w: &mut Warning, by: usize| {
        let i = FOCUS_ORDER.iter().position(|f| *f == w.focus).unwrap_or(0);
        w.focus = FOCUS_ORDER[(i + by) % FOCUS_ORDER.len()];
    };
    match command {
        Some(Command::Back) => {
            app.modal = None;
            app.info("Cancelled. No backup codes were generated.");
        }
        Some(Command::Help) => app.help = true,
        Some(Command::NextFocus) => step(w, 1),
        Some(Command::PrevFocus) => step(w, FOCUS_ORDER.len() - 1),
        Some(Command::Up) if w.focus == WarningFocus::Choices => w.cursor = w.cursor.saturating_sub(1),
        Some(Command::Down) if w.focus == WarningFocus::Choices => {
            w.cursor = (w.cursor + 1).min(IdentityCheck::ALL.len() - 1)
        }
        Some(Command::Activate) => match w.focus {
            WarningFocus::Cancel => {
                app.modal = None;
                app.info("Cancelled. No backup codes were generated.");
            }
            WarningFocus::Choices => {
                w.check = Some(IdentityCheck::ALL[w.cursor]);
                w.error = None;
            }
            WarningFocus::Note => step(w, 1),
            WarningFocus::Generate => {
                let note = field_text(&w.note).trim().to_owned();
                let Some(check) = w.check else {
                    w.error = Some("Choose how you verified the user's identity first.".into());
                    w.focus = WarningFocus::Choices;
                    return vec![];
                };
                if check == IdentityCheck::Other && note.is_empty() {
                    w.error = Some(DeskError::NoteRequired.to_string());
                    w.focus = WarningFocus::Note;
                    return vec![];
                }
                let Some(session) = app.session.clone() else { return vec![] };
                let effect =
                    Effect::Generate { session, user: w.target, check, note: (!note.is_empty()).then_some(note) };
                app.busy = Some("Generating backup codes…");
                return vec![effect];
            }
        },
        None if w.focus == WarningFocus::Note
            && (field_text(&w.note).chars().count() < NOTE_MAX || key.code == crossterm::event::KeyCode::Backspace) =>
        {
            single_line_input(&mut w.note, key);
        }
        _ => {}
    }
    vec![]
}

fn confirm_key(app: &mut App, command: Option<Command>) -> Vec<Effect> {
    let Some(Modal::Confirm(confirm)) = &mut app.modal else { return vec![] };
    match command {
        Some(Command::NextFocus) => confirm.on_yes = !confirm.on_yes,
        Some(Command::Back) => app.modal = None,
        Some(Command::Activate) if !confirm.on_yes => app.modal = None,
        Some(Command::Activate) => {
            let kind = confirm.kind;
            app.modal = None;
            match kind {
                ConfirmKind::LeaveCodes => {
                    app.wipe_codes();
                    app.info("The codes were wiped from this screen and cannot be shown again.");
                    return reload_detail(app);
                }
                ConfirmKind::Revoke => {
                    if let (Some(session), Some(d)) = (&app.session, &app.detail) {
                        let effect = Effect::Revoke { session: session.clone(), user: d.data.user.id };
                        app.busy = Some("Revoking…");
                        return vec![effect];
                    }
                }
            }
        }
        _ => {}
    }
    vec![]
}

fn codes_key(app: &mut App, command: Option<Command>, now: Instant) -> Vec<Effect> {
    let reveal_for = app.settings.reveal_for;
    let Some(view) = &mut app.codes else { return vec![] };
    let count = view.issued.codes.len();
    match command {
        Some(Command::Help) => app.help = true,
        Some(Command::Up) | Some(Command::Down) => {
            view.selected = if command == Some(Command::Up) {
                view.selected.saturating_sub(1)
            } else {
                (view.selected + 1).min(count.saturating_sub(1))
            };
            // Moving on hides a single revealed code: only the code being read shows.
            if matches!(view.reveal, Reveal::One(_)) {
                view.reveal = Reveal::Hidden;
                view.hide_at = None;
            }
        }
        Some(Command::Reveal) => {
            if view.reveal == Reveal::One(view.selected) || view.reveal == Reveal::All {
                view.reveal = Reveal::Hidden;
                view.hide_at = None;
            } else {
                view.reveal = Reveal::One(view.selected);
                view.hide_at = Some(now + reveal_for);
            }
        }
        Some(Command::RevealAll) => {
            if view.reveal == Reveal::All {
                view.reveal = Reveal::Hidden;
                view.hide_at = None;
            } else {
                view.reveal = Reveal::All;
                view.hide_at = Some(now + reveal_for);
            }
        }
        Some(Command::Back) => {
            app.modal = Some(Modal::Confirm(Confirm { kind: ConfirmKind::LeaveCodes, on_yes: false }));
        }
        _ => {}
    }
    vec![]
}
