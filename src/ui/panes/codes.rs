//! The one-time code view: masked until a key reveals one (or all) for a few seconds,
//! with the selected code's phonetic read-out and the guidance on sharing it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::domain::time::format_utc;
use crate::texts::texts;
use crate::ui::app::{App, Reveal};
use crate::ui::view::block;

pub fn draw(app: &App, frame: &mut Frame, body: Rect) {
    let Some(view) = &app.codes else { return };
    let theme = &app.theme;
    let title = format!("{} for {} ({})", texts().codes.title, view.user_name, view.username);
    let outer = block(theme, &title, true);
    let inner = outer.inner(body);
    frame.render_widget(outer, body);
    let [list, side] = Layout::horizontal([Constraint::Length(26), Constraint::Min(20)]).areas(inner);

    let shown = |i: usize| view.reveal == Reveal::All || view.reveal == Reveal::One(i);
    let lines: Vec<Line> = view
        .issued
        .codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let text = if shown(i) { code.grouped().to_string() } else { code.masked() };
            let style = if i == view.selected { theme.selected } else { theme.text };
            Line::from(vec![
                Span::styled(format!(" {:>2}  ", i + 1), theme.muted),
                Span::styled(format!(" {text} "), style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);

    let mut side_lines = Vec::new();
    let selected = &view.issued.codes[view.selected];
    if shown(view.selected) {
        side_lines.push(Line::styled(format!("Code {} read-out:", view.selected + 1), theme.title));
        let words = selected.phonetic();
        let group = words.len().div_ceil(3).max(1);
        for chunk in words.chunks(group) {
            side_lines.push(Line::styled(format!("  {}", chunk.join(" ")), theme.key));
        }
        if let Some(hide_at) = view.hide_at {
            let left = hide_at.saturating_duration_since(app.now).as_secs();
            side_lines.push(Line::styled(format!("Hidden again in {left} s."), theme.muted));
        }
    } else {
        side_lines.push(Line::styled(texts().codes.masked.clone(), theme.muted));
        side_lines.push(Line::styled("v reveals the selected code, a reveals all.", theme.muted));
    }
    side_lines.push(Line::raw(""));
    side_lines.push(Line::styled(texts().codes.guidance.clone(), theme.warning));
    side_lines.push(Line::raw(""));
    side_lines.push(Line::styled(
        match view.issued.expires_at {
            Some(t) => format!("The codes expire {}.", format_utc(t)),
            None => "The codes do not expire.".into(),
        },
        theme.text,
    ));
    frame.render_widget(Paragraph::new(side_lines).wrap(Wrap { trim: true }), side);
}
