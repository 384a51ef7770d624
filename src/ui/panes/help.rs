//! The `?` overlay: every binding of the pane underneath, from the one keymap.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::texts::texts;
use crate::ui::app::App;
use crate::ui::keymap::{self, Key};
use crate::ui::view::{centered, modal_frame};

fn key_name(key: &Key) -> String {
    match key {
        Key::Char(' ') => "Space".into(),
        Key::Char(c) => c.to_string(),
        Key::Ctrl(c) => format!("Ctrl+{}", c.to_ascii_uppercase()),
        Key::Code(KeyCode::Up) => "↑".into(),
        Key::Code(KeyCode::Down) => "↓".into(),
        Key::Code(KeyCode::Left) => "←".into(),
        Key::Code(KeyCode::Right) => "→".into(),
        Key::Code(KeyCode::BackTab) => "Shift+Tab".into(),
        Key::Code(KeyCode::PageDown) => "PgDn".into(),
        Key::Code(KeyCode::PageUp) => "PgUp".into(),
        Key::Code(code) => code.to_string(),
    }
}

pub fn draw(app: &App, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let bindings = keymap::bindings(app.context_below_help());
    let area = centered(body, 70, bindings.len() as u16 + 5);
    let inner = modal_frame(frame, area, "Keys", theme.title);
    let mut lines = Vec::new();
    for b in bindings {
        let keys = b.keys.iter().map(key_name).collect::<Vec<_>>().join(" / ");
        lines.push(Line::from(vec![Span::styled(format!(" {keys:<24}"), theme.key), Span::styled(b.hint, theme.text)]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(format!(" {}", texts().status.help_footer), theme.muted));
    frame.render_widget(Paragraph::new(lines), inner);
}
