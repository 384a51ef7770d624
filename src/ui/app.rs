//! The UI's state, the messages that change it and the effects it asks for.
//! `update` is the only way in: it hands a key to the pane in front (each file in
//! `panes/` holds its pane's state, its key handling and its drawing) and never waits on
//! the database: it returns `Effect`s, which the runtime performs and answers with messages.

use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

use crate::desk::{DeskError, IssuedCodes, NOTE_MAX, Session, UserDetail};
use crate::domain::audit::IdentityCheck;
use crate::domain::user::{User, UserId};
use crate::store::UserQuery;
use crate::texts::texts;
use crate::ui::fields::{Secret, clean_paste, field_text, secret_field};
use crate::ui::keymap::{self, Command, Context};
use crate::ui::panes::{codes, confirm, login, manage_users, user_detail, warning};
use crate::ui::theme::Theme;

pub use crate::ui::panes::codes::{CodeView, Reveal};
pub use crate::ui::panes::confirm::{Confirm, ConfirmKind};
pub use crate::ui::panes::login::{LockForm, LoginFocus, LoginForm};
pub use crate::ui::panes::manage_users::UserList;
pub use crate::ui::panes::user_detail::{Detail, DetailAction};
pub use crate::ui::panes::warning::{Warning, WarningFocus};

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
    Login { username: String, password: Secret },
    Unlock { session: Session, password: Secret },
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

    pub(crate) fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: false });
    }

    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), error: true });
    }

    /// Wipes the one-time codes now.
    pub(crate) fn wipe_codes(&mut self) {
        self.codes = None;
        if matches!(self.modal, Some(Modal::Confirm(Confirm { kind: ConfirmKind::LeaveCodes, .. }))) {
            self.modal = None;
        }
    }

    /// Back to the sign-in screen; nothing of the session survives.
    pub(crate) fn signed_out(&mut self, message: Option<String>) {
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

    pub(crate) fn search_effect(&mut self) -> Vec<Effect> {
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
    pub(crate) fn failed(&mut self, e: DeskError) {
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
                    app.info(
                        texts()
                            .status
                            .signed_in
                            .replace("{name}", &session.name)
                            .replace("{role}", session.staff.role.as_str()),
                    );
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
                        app.info(&texts().status.unlocked_wiped);
                        return reload_detail(app);
                    }
                    app.info(&texts().status.unlocked);
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
                    app.info(&texts().status.generated);
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
                    app.info(&texts().status.revoked);
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

pub(crate) fn reload_detail(app: &mut App) -> Vec<Effect> {
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
        app.lock = Some(LockForm { password: secret_field(login::PASSWORD_HINT), error: None, wiped_codes });
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
        _ => app.info(&texts().status.paste_ignored),
    }
}

fn on_key(app: &mut App, key: KeyEvent, now: Instant) -> Vec<Effect> {
    let context = app.context();
    let command = keymap::lookup(context, &key);
    let typing = matches!(context, Context::Login | Context::Locked | Context::SearchBox | Context::WarningText);
    if command.is_some() {
        app.status = None;
    } else if !typing {
        app.info(&texts().status.unknown_key);
    }
    match context {
        Context::Help => {
            if command == Some(Command::Back) {
                app.help = false;
            }
            vec![]
        }
        Context::Login => login::login_key(app, key, command),
        Context::Locked => login::locked_key(app, key, command),
        Context::SearchBox => manage_users::search_key(app, key, command),
        Context::UserList => manage_users::list_key(app, command),
        Context::UserDetail => user_detail::detail_key(app, command),
        Context::Warning | Context::WarningText => warning::warning_key(app, key, command),
        Context::Confirm => confirm::confirm_key(app, command),
        Context::Codes => codes::codes_key(app, command, now),
    }
}
