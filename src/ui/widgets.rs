//! The few drawing pieces every pane shares: a titled box, a centred modal frame, a
//! button, a one-line text input.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
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
    let outer = block(theme, title, focused);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let cursor = if focused { theme.selected } else { theme.text };
    one_line(frame, inner, field, theme.text, cursor, theme.selected);
}

/// Draws a one-line field (tui-textarea keeps the text and does the editing) measured in
/// display columns: tui-textarea 0.7 scrolls by characters, so a note in CJK or emoji
/// scrolled the cursor past the right edge. The view scrolls just enough to keep the
/// cursor's cell inside `area`; a wide character that would straddle the left edge is
/// left out. Text passes `safe`; a secret shows its mask character.
pub fn one_line(frame: &mut Frame, area: Rect, field: &TextArea<'_>, style: Style, cursor: Style, selected: Style) {
    use unicode_width::UnicodeWidthStr;
    let text = field.lines().first().map_or("", String::as_str);
    if text.is_empty() {
        let placeholder = field.placeholder_style().unwrap_or(style);
        let line = Line::from(vec![Span::styled(" ", cursor), Span::raw(field.placeholder_text().to_owned())]);
        frame.render_widget(Paragraph::new(line).style(placeholder), area);
        return;
    }
    let at = field.cursor().1;
    let selection = field.selection_range().map(|((_, from), (_, to))| from..to);
    let cells: Vec<(String, usize)> = text
        .chars()
        .map(|c| {
            let shown = match field.mask_char() {
                Some(mask) => mask.to_string(),
                None => safe(c.encode_utf8(&mut [0; 4])).into_owned(),
            };
            let width = shown.width();
            (shown, width)
        })
        .collect();
    let cursor_col: usize = cells[..at.min(cells.len())].iter().map(|(_, w)| w).sum();
    let room = usize::from(area.width).max(1);
    let offset = (cursor_col + 1).saturating_sub(room);
    let mut spans = Vec::new();
    let mut col = 0;
    for (i, (shown, width)) in cells.into_iter().enumerate() {
        let start = col;
        col += width;
        if start < offset {
            continue;
        }
        let look = if i == at {
            cursor
        } else if selection.as_ref().is_some_and(|r| r.contains(&i)) {
            selected
        } else {
            style
        };
        spans.push(Span::styled(shown, look));
    }
    if at >= text.chars().count() {
        spans.push(Span::styled(" ", cursor));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}
