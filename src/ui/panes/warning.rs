//! The warning before codes are generated: the high-risk notice, the required identity
//! check, an optional note, and the second, deliberate Generate Backup Codes.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::desk::{DeskError, NOTE_MAX, UserDetail};
use crate::domain::audit::IdentityCheck;
use crate::domain::user::UserId;
use crate::texts::texts;
use crate::ui::app::{App, Effect, Modal};
use crate::ui::fields::{field_text, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::view::{block, button, centered, modal_frame};

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

impl Warning {
    pub(crate) fn new(detail: &UserDetail) -> Self {
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

pub(crate) const FOCUS_ORDER: [WarningFocus; 4] =
    [WarningFocus::Cancel, WarningFocus::Choices, WarningFocus::Note, WarningFocus::Generate];

pub(crate) fn warning_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
    let Some(Modal::Warning(w)) = &mut app.modal else { return vec![] };
    let step = |w: &mut Warning, by: usize| {
        let i = FOCUS_ORDER.iter().position(|f| *f == w.focus).unwrap_or(0);
        w.focus = FOCUS_ORDER[(i + by) % FOCUS_ORDER.len()];
    };
    match command {
        Some(Command::Back) => {
            app.modal = None;
            app.info(&texts().status.cancelled);
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
                app.info(&texts().status.cancelled);
            }
            WarningFocus::Choices => {
                w.check = Some(IdentityCheck::ALL[w.cursor]);
                w.error = None;
            }
            WarningFocus::Note => step(w, 1),
            WarningFocus::Generate => {
                let note = field_text(&w.note).trim().to_owned();
                let Some(check) = w.check else {
                    w.error = Some(texts().status.choose_check.clone());
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
                app.busy = Some(&texts().status.generating);
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

pub fn draw(app: &App, w: &Warning, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
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
        Paragraph::new(Line::styled(t.choose.clone(), if focus_choices { theme.focus_border } else { theme.title })),
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

    let mut field = w.note.clone();
    field.set_block(block(theme, &t.note, w.focus == WarningFocus::Note));
    field.set_cursor_style(if w.focus == WarningFocus::Note { theme.selected } else { theme.text });
    frame.render_widget(&field, note);

    let message = match &w.error {
        Some(e) => Line::styled(e.clone(), theme.danger),
        None => Line::styled(t.confirm_hint.clone(), theme.muted),
    };
    frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);

    let line = Line::from(vec![
        button(theme, "Cancel", w.focus == WarningFocus::Cancel, true),
        Span::raw("     "),
        button(theme, "Generate Backup Codes", w.focus == WarningFocus::Generate, w.check.is_some()),
    ]);
    frame.render_widget(Paragraph::new(line).centered(), buttons);
}
