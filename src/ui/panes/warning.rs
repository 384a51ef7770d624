//! The warning before codes are generated: the high-risk notice, the required identity
//! check, an optional note, and the second, deliberate Generate Backup Codes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::domain::audit::IdentityCheck;
use crate::texts::texts;
use crate::ui::app::{App, Warning, WarningFocus};
use crate::ui::view::{block, button, centered, modal_frame};

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
