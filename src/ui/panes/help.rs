//! The `?` overlay: every binding of the pane underneath, from the one keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::texts::texts;
use crate::ui::keymap::{self, Command, Context, key_name};
use crate::ui::theme::Theme;
use crate::ui::widgets::{centered, modal_frame};

/// Draws the keys of `context`, the pane the overlay explains; `available` leaves out the
/// commands the signed-in staff does not have.
pub fn draw(frame: &mut Frame, body: Rect, theme: &Theme, context: Context, available: impl Fn(Command) -> bool) {
    let bindings: Vec<_> = keymap::bindings(context).iter().filter(|b| available(b.command)).collect();
    let area = centered(body, 70, bindings.len() as u16 + 5);
    let inner = modal_frame(frame, area, &texts().screen.help_title, theme.title);
    let mut lines = Vec::new();
    for b in bindings {
        let keys = b.keys.iter().map(key_name).collect::<Vec<_>>().join(" / ");
        lines.push(Line::from(vec![Span::styled(format!(" {keys:<24}"), theme.key), Span::styled(b.hint, theme.text)]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(format!(" {}", texts().status.help_footer), theme.muted));
    frame.render_widget(Paragraph::new(lines), inner);
}
