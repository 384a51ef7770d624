//! Staff sign-in, and the idle lock that asks for the password again.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::desk::{FactorTicket, Session};
use crate::texts::{fill, texts};
use crate::ui::fields::{clean_paste, field_text, secret_field, single_line_input, take_secret, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::Outcome;
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, centered, text_input};

/// The longest username or password a paste may put in a field.
const FIELD_MAX: usize = 128;
/// The most a code field takes (six digits, with a space or two).
const CODE_MAX: usize = 9;

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
    /// After a right password: the ticket and the code being typed (an enrolment when the
    /// ticket carries a new secret).
    pub factor: Option<(Box<FactorTicket>, TextArea<'static>)>,
}

impl Default for LoginForm {
    fn default() -> Self {
        Self {
            username: text_field(&texts().login.username_hint),
            password: secret_field(&texts().login.password_hint),
            focus: LoginFocus::Username,
            error: None,
            factor: None,
        }
    }
}

/// A field for an authenticator code: six digits, shown (it is used once).
pub fn code_field() -> TextArea<'static> {
    text_field(&texts().factor.code_hint)
}

impl LoginForm {
    /// The code stage asked for by a right password.
    pub fn ask_code(&mut self, ticket: Box<FactorTicket>) {
        self.error = None;
        self.factor = Some((ticket, code_field()));
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        if let Some((ticket, code)) = &mut self.factor {
            return match command {
                Some(Command::Quit) => Outcome::Quit,
                Some(Command::Activate) => {
                    let typed = take_secret(code, &texts().factor.code_hint);
                    if typed.is_empty() {
                        self.error = Some(texts().factor.enter_code.clone());
                        return Outcome::Nothing;
                    }
                    Outcome::FinishSignIn(ticket.clone(), typed)
                }
                _ if field_text(code).chars().count() < CODE_MAX || key.code == KeyCode::Backspace => {
                    single_line_input(code, key);
                    Outcome::Nothing
                }
                _ => Outcome::Nothing,
            };
        }
        match command {
            Some(Command::Quit) => return Outcome::Quit,
            Some(Command::NextFocus) => {
                self.focus = match self.focus {
                    LoginFocus::Username => LoginFocus::Password,
                    LoginFocus::Password => LoginFocus::Username,
                }
            }
            Some(Command::Activate) => return self.submit(),
            _ => {
                single_line_input(self.focused_field(), key);
            }
        }
        Outcome::Nothing
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        match &mut self.factor {
            Some((_, code)) => code.insert_str(clean_paste(text, CODE_MAX)),
            None => self.focused_field().insert_str(clean_paste(text, FIELD_MAX)),
        };
        Outcome::Nothing
    }

    fn focused_field(&mut self) -> &mut TextArea<'static> {
        match self.focus {
            LoginFocus::Username => &mut self.username,
            LoginFocus::Password => &mut self.password,
        }
    }

    /// Enter on the username moves on; on the password it signs in. The password leaves
    /// the field as it goes, so the form never keeps a copy.
    fn submit(&mut self) -> Outcome {
        let username = field_text(&self.username).trim().to_owned();
        if self.focus == LoginFocus::Username && !username.is_empty() {
            self.focus = LoginFocus::Password;
            return Outcome::Nothing;
        }
        if username.is_empty() {
            self.error = Some(texts().status.enter_username.clone());
            self.focus = LoginFocus::Username;
            return Outcome::Nothing;
        }
        let password = take_secret(&mut self.password, &texts().login.password_hint);
        if password.is_empty() {
            self.error = Some(texts().status.enter_password.clone());
            return Outcome::Nothing;
        }
        self.error = None;
        Outcome::SignIn { username, password }
    }

    /// `hint` is a line under the form when there is no error: the demo credentials, or
    /// how to create the first admin.
    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme, hint: Option<&str>, ascii: bool) {
        if let Some((ticket, code)) = &self.factor {
            return crate::ui::panes::factor::draw_sign_in(
                frame,
                body,
                theme,
                ticket,
                code,
                self.error.as_deref(),
                ascii,
            );
        }
        let t = &texts().login;
        let area = centered(body, 60, 16);
        let outer = block(theme, &t.title, false);
        let inner = outer.inner(area);
        frame.render_widget(outer, area);
        let [intro, user, pass, error] =
            Layout::vertical([Constraint::Length(2), Constraint::Length(3), Constraint::Length(3), Constraint::Min(1)])
                .areas(inner);
        frame.render_widget(Paragraph::new(t.intro.as_str()).style(theme.text).wrap(Wrap { trim: true }), intro);
        text_input(frame, user, theme, &t.username, &self.username, self.focus == LoginFocus::Username);
        text_input(frame, pass, theme, &t.password, &self.password, self.focus == LoginFocus::Password);
        let message: Vec<Line> = match (&self.error, hint) {
            (Some(e), _) => vec![Line::styled(shown(e), theme.danger)],
            (None, Some(hint)) => hint.lines().map(|l| Line::styled(l.to_owned(), theme.muted)).collect(),
            (None, None) => vec![],
        };
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);
    }
}

/// The idle lock: the session stays, the screen asks for the password again, then the
/// authenticator code. Also the step-up before a risky action: the code alone, with why.
pub struct LockForm {
    pub password: TextArea<'static>,
    pub error: Option<String>,
    /// The lock closed an open code view.
    pub wiped_codes: bool,
    /// The code being typed, once the password is right (or at once, for a step-up).
    pub code: Option<TextArea<'static>>,
    /// Why a step-up asks (`None` for the idle lock).
    pub step_up: Option<String>,
}

/// Unlocking, signing out or quitting wipes what was typed.
impl Drop for LockForm {
    fn drop(&mut self) {
        drop(take_secret(&mut self.password, &texts().login.password_hint));
    }
}

impl Drop for LoginForm {
    fn drop(&mut self) {
        drop(take_secret(&mut self.password, &texts().login.password_hint));
    }
}

impl LockForm {
    pub fn new(wiped_codes: bool) -> Self {
        Self {
            password: secret_field(&texts().login.password_hint),
            error: None,
            wiped_codes,
            code: None,
            step_up: None,
        }
    }

    /// The step-up: the session stays and the code alone is asked, saying why.
    pub fn step_up(why: String) -> Self {
        let mut form = Self::new(false);
        form.code = Some(code_field());
        form.step_up = Some(why);
        form
    }

    /// The password was right: the code is asked next.
    pub fn ask_code(&mut self) {
        self.error = None;
        self.code = Some(code_field());
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        if let Some(code) = &mut self.code {
            return match command {
                Some(Command::Activate) => {
                    let typed = take_secret(code, &texts().factor.code_hint);
                    if typed.is_empty() {
                        self.error = Some(texts().factor.enter_code.clone());
                        return Outcome::Nothing;
                    }
                    Outcome::StepUp(typed)
                }
                Some(Command::SignOut) => Outcome::SignOut,
                // A step-up may be left: the action is simply not done.
                Some(Command::Back) if self.step_up.is_some() => Outcome::Close(None),
                _ if field_text(code).chars().count() < CODE_MAX || key.code == KeyCode::Backspace => {
                    single_line_input(code, key);
                    Outcome::Nothing
                }
                _ => Outcome::Nothing,
            };
        }
        match command {
            Some(Command::Activate) => {
                let password = take_secret(&mut self.password, &texts().login.password_hint);
                if password.is_empty() {
                    self.error = Some(texts().status.enter_password.clone());
                    return Outcome::Nothing;
                }
                Outcome::Unlock(password)
            }
            Some(Command::SignOut) => Outcome::SignOut,
            _ => {
                single_line_input(&mut self.password, key);
                Outcome::Nothing
            }
        }
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        match &mut self.code {
            Some(code) => code.insert_str(clean_paste(text, CODE_MAX)),
            None => self.password.insert_str(clean_paste(text, FIELD_MAX)),
        };
        Outcome::Nothing
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme, session: &Session) {
        if let Some(code) = &self.code {
            let why = self.step_up.as_deref().unwrap_or(&texts().factor.unlock_why);
            return crate::ui::panes::factor::draw_code(frame, body, theme, session, why, code, self.error.as_deref());
        }
        let t = &texts().login;
        let area = centered(body, 60, 11);
        let outer = block(theme, &t.locked_title, true);
        let inner = outer.inner(area);
        frame.render_widget(outer, area);
        let [intro, who, pass, error] =
            Layout::vertical([Constraint::Length(2), Constraint::Length(1), Constraint::Length(3), Constraint::Min(1)])
                .areas(inner);
        frame.render_widget(Paragraph::new(t.locked.as_str()).style(theme.text).wrap(Wrap { trim: true }), intro);
        let signed_in = fill(&t.signed_in_as, &[("name", &session.name), ("username", &session.staff.username)]);
        frame.render_widget(Paragraph::new(shown(&signed_in)).style(theme.muted), who);
        text_input(frame, pass, theme, &t.password, &self.password, true);
        let message = match &self.error {
            Some(e) => Line::styled(shown(e), theme.danger),
            None if self.wiped_codes => Line::styled(texts().codes.wiped_by_lock.as_str(), theme.warning),
            None => Line::raw(""),
        };
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);
    }
}
