//! Staff sign-in, and the idle lock that asks for the password again.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::texts::texts;
use crate::ui::app::{App, Effect};
use crate::ui::fields::{field_text, secret_field, single_line_input, take_secret, text_field};
use crate::ui::keymap::Command;
use crate::ui::theme::Theme;
use crate::ui::view::{block, centered};

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

pub(crate) const USERNAME_HINT: &str = "username";
pub(crate) const PASSWORD_HINT: &str = "password";

impl LoginForm {
    pub(crate) fn new() -> Self {
        Self {
            username: text_field(USERNAME_HINT),
            password: secret_field(PASSWORD_HINT),
            focus: LoginFocus::Username,
            error: None,
        }
    }
}

pub(crate) fn login_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
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
                form.error = Some(texts().status.enter_username.clone());
                form.focus = LoginFocus::Username;
                return vec![];
            }
            let password = take_secret(&mut form.password, PASSWORD_HINT);
            if password.is_empty() {
                form.error = Some(texts().status.enter_password.clone());
                return vec![];
            }
            form.error = None;
            app.busy = Some(&texts().status.signing_in);
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

pub(crate) fn locked_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
    let (Some(lock), Some(session)) = (&mut app.lock, &app.session) else { return vec![] };
    match command {
        Some(Command::Activate) => {
            let password = take_secret(&mut lock.password, PASSWORD_HINT);
            if password.is_empty() {
                lock.error = Some(texts().status.enter_password.clone());
                return vec![];
            }
            app.busy = Some(&texts().status.checking);
            vec![Effect::Unlock { session: session.clone(), password }]
        }
        Some(Command::SignOut) => {
            let session = session.clone();
            app.signed_out(Some(texts().status.signed_out.clone()));
            vec![Effect::SignOut { session }]
        }
        _ => {
            single_line_input(&mut lock.password, key);
            vec![]
        }
    }
}

fn field(theme: &Theme, frame: &mut Frame, area: Rect, title: &str, text: &TextArea<'static>, focused: bool) {
    let mut text = text.clone();
    text.set_block(block(theme, title, focused));
    text.set_style(theme.text);
    // Only the focused field shows a cursor.
    text.set_cursor_style(if focused { theme.selected } else { theme.text });
    frame.render_widget(&text, area);
}

pub fn draw(app: &App, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let area = centered(body, 60, 14);
    let outer = block(theme, &texts().login.title, false);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [intro, user, pass, error] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(3), Constraint::Length(3), Constraint::Min(1)])
            .areas(inner);
    frame
        .render_widget(Paragraph::new(texts().login.intro.as_str()).style(theme.text).wrap(Wrap { trim: true }), intro);
    let form = &app.login;
    field(theme, frame, user, "Username", &form.username, form.focus == LoginFocus::Username);
    field(theme, frame, pass, "Password", &form.password, form.focus == LoginFocus::Password);
    let message = match (&form.error, &app.sign_in_hint) {
        (Some(e), _) => Line::styled(e.as_str(), theme.danger),
        (None, Some(hint)) => Line::styled(hint.as_str(), theme.muted),
        (None, None) => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);
}

pub fn draw_locked(app: &App, frame: &mut Frame, body: Rect) {
    let (Some(lock), Some(session)) = (&app.lock, &app.session) else { return };
    let theme = &app.theme;
    let area = centered(body, 60, 11);
    let outer = block(theme, "Locked", true);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [intro, who, pass, error] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(1), Constraint::Length(3), Constraint::Min(1)])
            .areas(inner);
    frame.render_widget(
        Paragraph::new(texts().login.locked.as_str()).style(theme.text).wrap(Wrap { trim: true }),
        intro,
    );
    frame.render_widget(
        Paragraph::new(format!("Signed in as {} ({})", session.name, session.staff.username)).style(theme.muted),
        who,
    );
    field(theme, frame, pass, "Password", &lock.password, true);
    let message = match &lock.error {
        Some(e) => Line::styled(e.as_str(), theme.danger),
        None if lock.wiped_codes => Line::styled(
            "The backup codes that were on screen have been wiped; they cannot be shown again.",
            theme.warning,
        ),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);
}
