//! The one "are you sure" for leaving the code view and for revoking.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::texts::texts;
use crate::ui::app::{App, Confirm, ConfirmKind};
use crate::ui::view::{button, centered, modal_frame};

pub fn draw(app: &App, confirm: &Confirm, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let (title, text, stay, go) = match confirm.kind {
        ConfirmKind::LeaveCodes => ("Leave the codes?", texts().codes.leave.as_str(), "Stay", "Leave and wipe"),
        ConfirmKind::Revoke => (texts().revoke.title.as_str(), texts().revoke.body.as_str(), "Cancel", "Revoke"),
    };
    let area = centered(body, 64, 8);
    let inner = modal_frame(frame, area, title, theme.warning);
    let [msg, buttons] = Layout::vertical([Constraint::Min(2), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(text).style(theme.text).wrap(Wrap { trim: true }), msg);
    let line = Line::from(vec![
        button(theme, stay, !confirm.on_yes, true),
        Span::raw("   "),
        button(theme, go, confirm.on_yes, true),
    ]);
    frame.render_widget(Paragraph::new(line).centered(), buttons);
}
