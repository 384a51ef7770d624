//! Changing one's own password: the current one, the new one twice, the rule, and the
//! source procedure's warning that the change signs every session out. The passwords
//! leave their fields as they are submitted, so the form never keeps a copy.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;
use zeroize::Zeroizing;

use crate::domain::profile;
use crate::texts::{fill, texts};
use crate::ui::fields::{clean_paste, secret_field, single_line_input, step_focus, take_secret};
use crate::ui::keymap::Command;
use crate::ui::msg::Outcome;
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{button, centered, modal_frame, text_input};

const FIELD_MAX: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordFocus {
    Current,
    New,
    Repeat,
    Change,
}

const ORDER: [PasswordFocus; 4] =
    [PasswordFocus::Current, PasswordFocus::New, PasswordFocus::Repeat, PasswordFocus::Change];

pub struct PasswordForm {
    pub current: TextArea<'static>,
    pub new: TextArea<'static>,
    pub repeat: TextArea<'static>,
    pub focus: PasswordFocus,
    pub error: Option<String>,
    username: String,
}

/// A form closed by Esc, the idle lock or sign-out wipes what was typed in it.
impl Drop for PasswordForm {
    fn drop(&mut self) {
        let hint = &texts().login.password_hint;
        for field in [&mut self.current, &mut self.new, &mut self.repeat] {
            drop(take_secret(field, hint));
        }
    }
}

impl PasswordForm {
    pub fn new(username: &str) -> Self {
        let hint = &texts().login.password_hint;
        Self {
            current: secret_field(hint),
            new: secret_field(hint),
            repeat: secret_field(hint),
            focus: PasswordFocus::Current,
            error: None,
            username: username.to_owned(),
        }
    }

    fn field(&mut self) -> Option<&mut TextArea<'static>> {
        match self.focus {
            PasswordFocus::Current => Some(&mut self.current),
            PasswordFocus::New => Some(&mut self.new),
            PasswordFocus::Repeat => Some(&mut self.repeat),
            PasswordFocus::Change => None,
        }
    }

    fn step(&mut self, by: usize) {
        self.focus = step_focus(&ORDER, self.focus, by);
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        match command {
            Some(Command::NextFocus) => self.step(1),
            Some(Command::PrevFocus) => self.step(ORDER.len() - 1),
            Some(Command::Back) => return Outcome::Close(None),
            Some(Command::Activate) if self.focus == PasswordFocus::Change => return self.submit(),
            Some(Command::Activate) => self.step(1),
            _ => {
                if let Some(field) = self.field() {
                    single_line_input(field, key);
                }
            }
        }
        Outcome::Nothing
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        match self.field() {
            Some(field) => {
                field.insert_str(clean_paste(text, FIELD_MAX));
                Outcome::Nothing
            }
            None => Outcome::info(&texts().status.paste_ignored),
        }
    }

    /// Checks the new password here first, so the person can mend it in place; the
    /// service checks it again, and the current password, throttled.
    fn submit(&mut self) -> Outcome {
        let hint = &texts().login.password_hint;
        let current = take_secret(&mut self.current, hint);
        let new = take_secret(&mut self.new, hint);
        let repeat = take_secret(&mut self.repeat, hint);
        let fail = |form: &mut Self, message: String, focus| {
            form.error = Some(message);
            form.focus = focus;
            Outcome::Nothing
        };
        if current.is_empty() {
            return fail(self, texts().status.enter_password.clone(), PasswordFocus::Current);
        }
        if new.expose() != repeat.expose() {
            return fail(self, texts().password.differ.clone(), PasswordFocus::New);
        }
        if let Err(e) = profile::password(&Zeroizing::new(new.expose().to_owned()), &self.username) {
            return fail(self, e.to_string(), PasswordFocus::New);
        }
        self.error = None;
        Outcome::ChangePassword { current, new }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let t = &texts().password;
        let area = centered(body, 72, 19);
        let inner = modal_frame(frame, area, &t.title, theme.warning);
        let [warning, rule, current, new, repeat, error, buttons] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(2),
            Constraint::Length(3),
            Constraint::Length(3),
            Constraint::Length(3),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        let logout = &texts().profile.password_logout;
        frame.render_widget(Paragraph::new(logout.as_str()).style(theme.warning).wrap(Wrap { trim: true }), warning);
        let rule_text = fill(&t.rule, &[("min", &profile::PASSWORD_MIN.to_string())]);
        frame.render_widget(Paragraph::new(rule_text).style(theme.muted).wrap(Wrap { trim: true }), rule);
        text_input(frame, current, theme, &t.current, &self.current, self.focus == PasswordFocus::Current);
        text_input(frame, new, theme, &t.new, &self.new, self.focus == PasswordFocus::New);
        text_input(frame, repeat, theme, &t.repeat, &self.repeat, self.focus == PasswordFocus::Repeat);
        if let Some(e) = &self.error {
            frame.render_widget(Paragraph::new(Line::styled(shown(e), theme.danger)).wrap(Wrap { trim: true }), error);
        }
        let line = Line::from(vec![
            Span::styled(format!("{}   ", t.esc_hint), theme.muted),
            button(theme, &t.change, self.focus == PasswordFocus::Change, true),
        ]);
        frame.render_widget(Paragraph::new(line).centered(), buttons);
    }
}
