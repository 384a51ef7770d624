//! The profile form for a user: first name, last name, email, phone. Each field is
//! checked as the person types, with the source procedure's messages word for word, and
//! again on save. Esc with typed changes asks before discarding them.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::domain::phone::HomeRegion;
use crate::domain::profile::{self, ProfileError};
use crate::domain::user::{User, UserId};
use crate::texts::texts;
use crate::ui::fields::{clean_paste, field_text, single_line_input, step_focus, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome, ProfileFields};
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{button, centered, modal_frame};

/// The longest text a field takes; the rules allow far less, so a paste of garbage is
/// cut here and then refused by the rule, never stored.
const FIELD_MAX: usize = 254;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileField {
    FirstName,
    LastName,
    Email,
    Phone,
    Save,
}

const ORDER: [ProfileField; 5] =
    [ProfileField::FirstName, ProfileField::LastName, ProfileField::Email, ProfileField::Phone, ProfileField::Save];

pub struct ProfileForm {
    pub user: UserId,
    pub name: String,
    pub fields: [TextArea<'static>; 4],
    original: [String; 4],
    pub focus: ProfileField,
    /// A field's message shows once the person has typed in it, or tried to save.
    touched: [bool; 4],
    /// The region of a number typed without a country code.
    home_region: HomeRegion,
}

impl ProfileForm {
    pub fn new(user: &User, home_region: HomeRegion) -> Self {
        // A value another system stored with hidden characters is shown as `safe` shows it
        // (and then refused on save until it is corrected), never written to the terminal.
        let original = [&user.first_name, &user.last_name, &user.email, &user.phone].map(|v| shown(v));
        let fields = original.clone().map(|value| {
            let mut field = text_field("");
            field.insert_str(value);
            field
        });
        Self {
            user: user.id,
            name: format!("{} ({})", user.full_name(), user.username),
            fields,
            original,
            focus: ProfileField::FirstName,
            home_region,
            touched: [false; 4],
        }
    }

    fn index(field: ProfileField) -> Option<usize> {
        ORDER.iter().position(|f| *f == field).filter(|i| *i < 4)
    }

    pub fn value(&self, field: ProfileField) -> String {
        Self::index(field).map_or_else(String::new, |i| field_text(&self.fields[i]))
    }

    pub fn changed(&self) -> bool {
        (0..4).any(|i| field_text(&self.fields[i]) != self.original[i])
    }

    /// The rule for one field, with the source document's message.
    fn check(&self, field: ProfileField) -> Result<(), ProfileError> {
        let value = self.value(field);
        match field {
            ProfileField::FirstName => profile::first_name(&value).map(drop),
            ProfileField::LastName => profile::last_name(&value).map(drop),
            ProfileField::Email => profile::email(&value).map(drop),
            ProfileField::Phone => profile::phone(&value, self.home_region).map(drop),
            ProfileField::Save => Ok(()),
        }
    }

    /// The message under a field, if it has one to show.
    pub fn message(&self, field: ProfileField) -> Option<String> {
        let i = Self::index(field)?;
        if !self.touched[i] {
            return None;
        }
        self.check(field).err().map(|e| e.to_string())
    }

    fn step(&mut self, by: usize) {
        self.focus = step_focus(&ORDER, self.focus, by);
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        match command {
            Some(Command::NextFocus) => self.step(1),
            Some(Command::PrevFocus) => self.step(ORDER.len() - 1),
            Some(Command::Back) if self.changed() => return Outcome::Confirm(Confirmable::Discard),
            Some(Command::Back) => return Outcome::Close(None),
            Some(Command::Activate) if matches!(self.focus, ProfileField::Phone | ProfileField::Save) => {
                return self.save();
            }
            Some(Command::Activate) => self.step(1),
            _ => {
                if let Some(i) = Self::index(self.focus) {
                    if single_line_input(&mut self.fields[i], key) {
                        self.touched[i] = true;
                    }
                }
            }
        }
        Outcome::Nothing
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        let Some(i) = Self::index(self.focus) else { return Outcome::info(&texts().status.paste_ignored) };
        let room = FIELD_MAX.saturating_sub(field_text(&self.fields[i]).chars().count());
        self.fields[i].insert_str(clean_paste(text, room));
        self.touched[i] = true;
        Outcome::Nothing
    }

    /// Every rule again; the first field in error takes the focus.
    fn save(&mut self) -> Outcome {
        self.touched = [true; 4];
        if let Some(bad) = ORDER.into_iter().find(|f| self.check(*f).is_err()) {
            self.focus = bad;
            return Outcome::error(self.check(bad).unwrap_err().to_string());
        }
        if !self.changed() {
            return Outcome::info(&texts().profile.unchanged);
        }
        Outcome::SaveProfile {
            user: self.user,
            fields: ProfileFields {
                first_name: self.value(ProfileField::FirstName),
                last_name: self.value(ProfileField::LastName),
                email: self.value(ProfileField::Email),
                phone: self.value(ProfileField::Phone),
            },
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let t = &texts().profile;
        let area = centered(body, 76, 19);
        let inner = modal_frame(frame, area, &format!("{}: {}", t.title, self.name), theme.title);
        let mut rows = vec![Constraint::Length(1)];
        rows.extend([Constraint::Length(1), Constraint::Length(2)].repeat(4));
        rows.push(Constraint::Min(1));
        let areas = Layout::vertical(rows).split(inner);
        frame.render_widget(Paragraph::new(t.intro.as_str()).style(theme.muted), areas[0]);
        let labels = [&t.first_name, &t.last_name, &t.email, &t.phone];
        for (i, field) in ORDER.iter().take(4).enumerate() {
            let focused = self.focus == *field;
            let [label, input] =
                Layout::horizontal([Constraint::Length(13), Constraint::Min(10)]).areas(areas[1 + 2 * i]);
            let label_style = if focused { theme.focus_border } else { theme.text };
            frame.render_widget(Paragraph::new(Span::styled(labels[i].as_str(), label_style)), label);
            let mut text = self.fields[i].clone();
            text.set_style(theme.text.add_modifier(ratatui::style::Modifier::UNDERLINED));
            text.set_cursor_style(if focused { theme.selected } else { theme.text });
            text.set_selection_style(theme.selected);
            frame.render_widget(&text, input);
            if let Some(message) = self.message(*field) {
                let [_, text] =
                    Layout::horizontal([Constraint::Length(13), Constraint::Min(10)]).areas(areas[2 + 2 * i]);
                let line = Line::styled(message, theme.danger);
                frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), text);
            }
        }
        let buttons = Line::from(vec![
            Span::styled(format!("{}   ", t.esc_hint), theme.muted),
            button(theme, &t.save, self.focus == ProfileField::Save, true),
        ]);
        frame.render_widget(Paragraph::new(buttons).centered(), areas[9]);
    }
}
