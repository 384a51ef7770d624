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
use crate::domain::two_person::{self, Circumstances};
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
    /// The newest contact change, as the warning shows it.
    pub seen_contact_change: Option<i64>,
    /// Each check, and why it is not offered now.
    pub checks: Vec<(IdentityCheck, Result<(), String>)>,
    /// What the two-person rule weighs, to say before the press whether a second admin
    /// will be needed.
    pub circumstances: Option<Circumstances>,
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
            signals: detail.signals.clone(),
            seen_contact_change: detail.contact_seen,
            checks: detail.checks.clone(),
            circumstances: detail.circumstances.clone(),
            check: None,
            cursor: 0,
            note,
            // The safe button has the focus first: Enter alone never generates.
            focus: WarningFocus::Cancel,
            error: None,
        }
    }

    /// Whether `check` verifies anything now, and if not, why.
    fn offered(&self, check: IdentityCheck) -> Result<(), String> {
        self.checks.iter().find(|(c, _)| *c == check).map_or(Ok(()), |(_, why)| why.clone())
    }

    /// Why the generation would need a second admin, with the chosen check (before one is
    /// chosen, the reasons that do not depend on it); empty when it would not.
    pub fn reasons(&self) -> Vec<String> {
        let check = self.check.unwrap_or(IdentityCheck::InPersonPhotoId);
        self.circumstances
            .as_ref()
            .map_or_else(Vec::new, |c| two_person::reasons(c, check).iter().map(|r| r.sentence()).collect())
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
                    let check = IdentityCheck::ALL[self.cursor];
                    match self.offered(check) {
                        Ok(()) => {
                            self.check = Some(check);
                            self.error = None;
                        }
                        Err(why) => self.error = Some(format!("{} is not offered: {why}.", check.label())),
                    }
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
        frame.render_widget(Paragraph::new(w.choice_lines(theme)), choices);
        w.draw_note(frame, note, compact, theme);

        let reasons = w.reasons();
        let message = match &w.error {
            Some(e) => Line::styled(shown(e), theme.danger),
            None if !reasons.is_empty() => {
                Line::styled(fill(&t.needs_second, &[("reasons", &reasons.join("; "))]), theme.warning)
            }
            None => Line::styled(t.confirm_hint.clone(), theme.muted),
        };
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);

        let line = Line::from(vec![
            button(theme, &t.cancel, w.focus == WarningFocus::Cancel, true),
            Span::raw("     "),
            button(
                theme,
                if reasons.is_empty() { &t.generate } else { &t.request },
                w.focus == WarningFocus::Generate,
                w.check.is_some(),
            ),
        ]);
        frame.render_widget(Paragraph::new(line).centered(), buttons);
    }

    /// The identity checks, one a line: the chosen one marked, those not offered dimmed.
    fn choice_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let focus_choices = self.focus == WarningFocus::Choices;
        IdentityCheck::ALL
            .iter()
            .enumerate()
            .map(|(i, check)| {
                let mark = if self.check == Some(*check) { "(•)" } else { "( )" };
                let offered = self.offered(*check);
                let style = match (focus_choices && i == self.cursor, offered.is_ok()) {
                    (true, _) => theme.selected,
                    (false, true) => theme.text,
                    (false, false) => theme.disabled,
                };
                let mut spans = vec![Span::raw("  "), Span::styled(format!("{mark} {}", check.label()), style)];
                if offered.is_err() {
                    spans.push(Span::styled(format!(" ({})", texts().warning.not_offered), theme.disabled));
                }
                Line::from(spans)
            })
            .collect()
    }

    /// The note: a boxed field, or one labelled line when the signals need the room.
    fn draw_note(&self, frame: &mut Frame, area: Rect, compact: bool, theme: &Theme) {
        let t = &texts().warning;
        if compact {
            let [label, field] = Layout::horizontal([
                Constraint::Length(crate::ui::text::columns(&t.note_short) as u16 + 1),
                Constraint::Min(10),
            ])
            .areas(area);
            frame.render_widget(Paragraph::new(Span::styled(t.note_short.as_str(), theme.title)), label);
            let underlined = theme.text.add_modifier(ratatui::style::Modifier::UNDERLINED);
            let cursor = if self.typing() { theme.selected } else { theme.text };
            one_line(frame, field, &self.note, underlined, cursor, theme.selected);
        } else {
            text_input(frame, area, theme, &t.note, &self.note, self.typing());
        }
    }
}
