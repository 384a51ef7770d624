//! The warning before codes are generated: the high-risk notice, the required identity
//! check, an optional note, and the second, deliberate Generate Backup Codes.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::desk::UserDetail;
use crate::domain::access::CoolOff;
use crate::domain::audit::{IdentityCheck, NOTE_MAX};
use crate::domain::time::format_utc;
use crate::domain::user::UserId;
use crate::texts::{fill, texts};
use crate::ui::fields::{clean_paste, field_text, single_line_input, step_focus, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::{Outcome, Status};
use crate::ui::text::safe;
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{button, centered, modal_frame, one_line, text_input};

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
    /// What the database knows that should make the agent careful, one sentence each.
    pub signals: Vec<String>,
    /// When the contact details last changed, as the warning shows it.
    pub seen_contact_change: Option<i64>,
    pub check: Option<IdentityCheck>,
    pub cursor: usize,
    pub note: TextArea<'static>,
    pub focus: WarningFocus,
    pub error: Option<String>,
}

/// The risk signals as sentences, each only when true.
fn signals(detail: &UserDetail) -> Vec<String> {
    let t = &texts().warning;
    let risk = &detail.risk;
    let mut out = Vec::new();
    if let Some(change) = &risk.contact_change {
        out.push(fill(&t.signal_contact, &[("what", &change.what), ("when", &format_utc(change.at))]));
    }
    if let Some(codes) = &risk.recent_codes {
        out.push(fill(&t.signal_codes, &[("when", &format_utc(codes.at)), ("by", &codes.by)]));
    }
    let failures = risk.failed_redemptions.to_string();
    match risk.codes_locked_until {
        Some(until) => out.push(fill(&t.signal_locked, &[("count", &failures), ("until", &format_utc(until))])),
        None if risk.failed_redemptions > 0 => out.push(fill(&t.signal_failures, &[("count", &failures)])),
        None => {}
    }
    if risk.staff_target || detail.user.is_staff() {
        out.push(t.signal_staff.clone());
    }
    if risk.email_permitted || detail.institution.email_makes_codes_unusual() {
        out.push(t.signal_email.clone());
    }
    if matches!(detail.may_generate, Ok(CoolOff::Overridden { .. })) {
        out.push(t.signal_override.clone());
    }
    out
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
            signals: signals(detail),
            seen_contact_change: detail.contact_changed_at,
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
        self.focus = step_focus(&FOCUS_ORDER, self.focus, by);
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
            Ok(identity) => Outcome::Generate { user: self.target, identity, seen: self.seen_contact_change },
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

        // Everything below the notices: the question, the choices, the note, a message line
        // and the buttons. The signals must all show, so when they need the room (many of
        // them at 80×24) the heading goes and the note loses its box.
        let below = 1 + IdentityCheck::ALL.len() as u16 + 3 + 1 + 1;
        let notices = |compact: bool| {
            let mut lines = vec![Line::styled(t.body.clone(), theme.warning)];
            if !w.signals.is_empty() && !compact {
                lines.push(Line::raw(""));
                lines.push(Line::styled(t.signals.clone(), theme.title));
            }
            lines.extend(w.signals.iter().map(|s| Line::styled(format!("• {}", safe(s)), theme.danger)));
            Paragraph::new(lines).wrap(Wrap { trim: true })
        };
        let mut notice_text = notices(false);
        let mut notice_rows = notice_text.line_count(inner.width) as u16;
        let compact = notice_rows + below > inner.height;
        if compact {
            notice_text = notices(true);
            notice_rows = notice_text.line_count(inner.width) as u16;
        }
        let note_rows = if compact { 1 } else { 3 };

        // One blank row before the question when the screen has room for it.
        let gap = u16::from(inner.height > notice_rows + below);
        let [notice, _, choose_title, choices, note, error, buttons] = Layout::vertical([
            Constraint::Length(notice_rows),
            Constraint::Length(gap),
            Constraint::Length(1),
            Constraint::Length(IdentityCheck::ALL.len() as u16),
            Constraint::Length(note_rows),
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

        if compact {
            let [label, field] = Layout::horizontal([
                Constraint::Length(crate::ui::text::columns(&t.note_short) as u16 + 1),
                Constraint::Min(10),
            ])
            .areas(note);
            frame.render_widget(Paragraph::new(Span::styled(t.note_short.as_str(), theme.title)), label);
            let underlined = theme.text.add_modifier(ratatui::style::Modifier::UNDERLINED);
            let cursor = if w.typing() { theme.selected } else { theme.text };
            one_line(frame, field, &w.note, underlined, cursor, theme.selected);
        } else {
            text_input(frame, note, theme, &t.note, &w.note, w.typing());
        }

        let message = match &w.error {
            Some(e) => Line::styled(shown(e), theme.danger),
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
