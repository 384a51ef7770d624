//! The few drawing pieces every pane shares: a titled box, a centred modal frame, a
//! button, a one-line text input.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders, Clear};
use tui_textarea::TextArea;

use crate::ui::text::safe;
use crate::ui::theme::Theme;

/// A box with a title; its border is brighter when it has the focus.
pub fn block<'a>(theme: &Theme, title: &'a str, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { theme.focus_border } else { theme.border })
        .title(Span::styled(format!(" {} ", safe(title)), if focused { theme.focus_border } else { theme.title }))
}

/// A centred rectangle for a modal, no larger than the area.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

/// Clears a modal's area and draws its frame; returns the inside.
pub fn modal_frame(frame: &mut Frame, area: Rect, title: &str, style: Style) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(style)
        .title(Span::styled(format!(" {} ", safe(title)), style));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// `[ label ]`, reversed when focused, muted when unavailable.
pub fn button(theme: &Theme, label: &str, focused: bool, enabled: bool) -> Span<'static> {
    let style = match (focused, enabled) {
        (true, _) => theme.selected,
        (false, true) => theme.text,
        (false, false) => theme.muted,
    };
    Span::styled(format!("[ {label} ]"), style)
}

/// A one-line text field in a titled box; only the focused field shows a cursor.
pub fn text_input(frame: &mut Frame, area: Rect, theme: &Theme, title: &str, field: &TextArea<'static>, focused: bool) {
    let mut field = field.clone();
    field.set_block(block(theme, title, focused));
    field.set_style(theme.text);
    field.set_cursor_style(if focused { theme.selected } else { theme.text });
    field.set_selection_style(theme.selected);
    frame.render_widget(&field, area);
}
