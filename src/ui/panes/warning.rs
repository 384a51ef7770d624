//! The warning before codes are generated: the high-risk notice, the required identity
//! check, an optional note, and the second, deliberate Generate Backup Codes.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::desk::UserDetail;
use crate::domain::audit::{IdentityCheck, NOTE_MAX};
use crate::domain::user::UserId;
use crate::texts::texts;
use crate::ui::fields::{clean_paste, field_text, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::{Outcome, Status};
use crate::ui::theme::Theme;
use crate::ui::widgets::{button, centered, modal_frame, text_input};

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

const FOCUS_ORDER: [WarningFocus; 4] =
    [WarningFocus::Cancel, WarningFocus::Choices, WarningFocus::Note, WarningFocus::Generate];

impl Warning {
    pub fn new(detail: &UserDetail) -> Self {
        let mut note = text_field(&texts().warning.note_hint);
        note.set_max_histories(20);
        Self {
            target: detail.user.id,
            target_name: format!("{} ({})", detail.user.full_name(), detail.user.username),
            target_is_staff: detail.user.is_staff(),
            email_permitted: detail.institution.email_makes_codes_unusual(),
            check: None,
            cursor: 0,
            note,
            // The safe button has the focus first: Enter alone never generates.
            focus: WarningFocus::Cancel,
            error: None,
        }
    }

    /// Whether the keyboard is typing into the note.
    pub fn typing(&self) -> bool {
        self.focus == WarningFocus::Note
    }

    fn step(&mut self, by: usize) {
        let i = FOCUS_ORDER.iter().position(|f| *f == self.focus).unwrap_or(0);
        self.focus = FOCUS_ORDER[(i + by) % FOCUS_ORDER.len()];
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        let cancelled = || Outcome::Close(Some(Status::info(&texts().status.cancelled)));
        match command {
            Some(Command::Back) => return cancelled(),
            Some(Command::Help) => return Outcome::Help,
            Some(Command::NextFocus) => self.step(1),
            Some(Command::PrevFocus) => self.step(FOCUS_ORDER.len() - 1),
            Some(Command::Up) if self.focus == WarningFocus::Choices => self.cursor = self.cursor.saturating_sub(1),
            Some(Command::Down) if self.focus == WarningFocus::Choices => {
                self.cursor = (self.cursor + 1).min(IdentityCheck::ALL.len() - 1)
            }
            Some(Command::Activate) => match self.focus {
                WarningFocus::Cancel => return cancelled(),
                WarningFocus::Choices => {
                    self.check = Some(IdentityCheck::ALL[self.cursor]);
                    self.error = None;
                }
                WarningFocus::Note => self.step(1),
                WarningFocus::Generate => return self.confirm(),
            },
            None if self.typing()
                && (field_text(&self.note).chars().count() < NOTE_MAX || key.code == KeyCode::Backspace) =>
            {
                single_line_input(&mut self.note, key);
            }
            _ => {}
        }
        Outcome::Nothing
    }

    /// Text goes into the note, and only while it has the focus; a paste never presses a
    /// button.
    pub fn on_paste(&mut self, text: &str) -> Outcome {
        if !self.typing() {
            return Outcome::info(&texts().status.paste_ignored);
        }
        let room = NOTE_MAX.saturating_sub(field_text(&self.note).chars().count());
        self.note.insert_str(clean_paste(text, room));
        Outcome::Nothing
    }

    /// The second, deliberate Generate Backup Codes: the same identity rule the service
    /// applies, checked here first so that the person can mend it in place.
    fn confirm(&mut self) -> Outcome {
        let Some(check) = self.check else {
            self.error = Some(texts().status.choose_check.clone());
            self.focus = WarningFocus::Choices;
            return Outcome::Nothing;
        };
        match check.with_note(&field_text(&self.note)) {
            Ok(identity) => Outcome::Generate { user: self.target, identity },
            Err(e) => {
                self.error = Some(e.to_string());
                self.focus = WarningFocus::Note;
                Outcome::Nothing
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let w = self;
        let t = &texts().warning;
        let width = body.width.min(84);
        let area = centered(body, width, body.height);
        let inner = modal_frame(frame, area, &format!("⚠ {}: {}", t.title, w.target_name), theme.danger);

        let mut notices = vec![Line::styled(t.body.clone(), theme.warning)];
        // At 80×24 a staff target at an email-2FA institution fills every row; keep it so.
        if w.target_is_staff {
            notices.push(Line::styled(t.staff_target.clone(), theme.danger));
        }
        if w.email_permitted {
            notices.push(Line::styled(t.email_notice.clone(), theme.text));
        }
        let mut spaced = Vec::new();
        for (i, l) in notices.into_iter().enumerate() {
            if i > 0 {
                spaced.push(Line::raw(""));
            }
            spaced.push(l);
        }
        let notice_text = Paragraph::new(spaced).wrap(Wrap { trim: true });
        let notice_rows = notice_text.line_count(inner.width) as u16;

        // One blank row before the question when the screen has room for it.
        let gap = u16::from(inner.height > notice_rows + 10);
        let [notice, _, choose_title, choices, note, error, buttons] = Layout::vertical([
            Constraint::Length(notice_rows),
            Constraint::Length(gap),
            Constraint::Length(1),
            Constraint::Length(IdentityCheck::ALL.len() as u16),
            Constraint::Length(3),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(inner);

        frame.render_widget(notice_text, notice);

        let focus_choices = w.focus == WarningFocus::Choices;
        frame.render_widget(
            Paragraph::new(Line::styled(
                t.choose.clone(),
                if focus_choices { theme.focus_border } else { theme.title },
            )),
            choose_title,
        );
        let lines: Vec<Line> = IdentityCheck::ALL
            .iter()
            .enumerate()
            .map(|(i, check)| {
                let mark = if w.check == Some(*check) { "(•)" } else { "( )" };
                let style = if focus_choices && i == w.cursor { theme.selected } else { theme.text };
                Line::from(vec![Span::raw("  "), Span::styled(format!("{mark} {}", check.label()), style)])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), choices);

        text_input(frame, note, theme, &t.note, &w.note, w.typing());

        let message = match &w.error {
            Some(e) => Line::styled(e.clone(), theme.danger),
            None => Line::styled(t.confirm_hint.clone(), theme.muted),
        };
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);

        let line = Line::from(vec![
            button(theme, &t.cancel, w.focus == WarningFocus::Cancel, true),
            Span::raw("     "),
            button(theme, &t.generate, w.focus == WarningFocus::Generate, w.check.is_some()),
        ]);
        frame.render_widget(Paragraph::new(line).centered(), buttons);
    }
}
