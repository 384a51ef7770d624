//! The one-time code view: masked until a key reveals one (or all) for a few seconds,
//! with the selected code's phonetic read-out and the guidance on sharing it.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use zeroize::Zeroizing;

use crate::desk::IssuedCodes;
use crate::domain::time::format_utc;
use crate::domain::user::UserId;
use crate::texts::texts;
use crate::ui::app::{App, Confirm, ConfirmKind, Effect, Modal};
use crate::ui::keymap::Command;
use crate::ui::view::block;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    Hidden,
    One(usize),
    All,
}

pub struct CodeView {
    pub user_name: String,
    pub username: String,
    pub user_id: UserId,
    pub issued: IssuedCodes,
    pub selected: usize,
    pub reveal: Reveal,
    pub hide_at: Option<Instant>,
}

pub(crate) fn codes_key(app: &mut App, command: Option<Command>, now: Instant) -> Vec<Effect> {
    let reveal_for = app.settings.reveal_for;
    let Some(view) = &mut app.codes else { return vec![] };
    let count = view.issued.codes.len();
    match command {
        Some(Command::Help) => app.help = true,
        Some(Command::Up) | Some(Command::Down) => {
            view.selected = if command == Some(Command::Up) {
                view.selected.saturating_sub(1)
            } else {
                (view.selected + 1).min(count.saturating_sub(1))
            };
            // Moving on hides a single revealed code: only the code being read shows.
            if matches!(view.reveal, Reveal::One(_)) {
                view.reveal = Reveal::Hidden;
                view.hide_at = None;
            }
        }
        Some(Command::Reveal) => {
            if view.reveal == Reveal::One(view.selected) || view.reveal == Reveal::All {
                view.reveal = Reveal::Hidden;
                view.hide_at = None;
            } else {
                view.reveal = Reveal::One(view.selected);
                view.hide_at = Some(now + reveal_for);
            }
        }
        Some(Command::RevealAll) => {
            if view.reveal == Reveal::All {
                view.reveal = Reveal::Hidden;
                view.hide_at = None;
            } else {
                view.reveal = Reveal::All;
                view.hide_at = Some(now + reveal_for);
            }
        }
        Some(Command::Back) => {
            // Nothing stays revealed behind the question.
            view.reveal = Reveal::Hidden;
            view.hide_at = None;
            app.modal = Some(Modal::Confirm(Confirm { kind: ConfirmKind::LeaveCodes, on_yes: false }));
        }
        _ => {}
    }
    vec![]
}

pub fn draw(app: &App, frame: &mut Frame, body: Rect) {
    let Some(view) = &app.codes else { return };
    let theme = &app.theme;
    let title = format!("{} for {} ({})", texts().codes.title, view.user_name, view.username);
    let outer = block(theme, &title, true);
    let inner = outer.inner(body);
    frame.render_widget(outer, body);
    let [list, side] = Layout::horizontal([Constraint::Length(26), Constraint::Min(20)]).areas(inner);

    let shown = |i: usize| view.reveal == Reveal::All || view.reveal == Reveal::One(i);
    // Revealed text lives in wiped buffers; the spans below only borrow it.
    let revealed: Vec<Option<Zeroizing<String>>> =
        view.issued.codes.iter().enumerate().map(|(i, code)| shown(i).then(|| code.grouped())).collect();
    let masked: Vec<String> = view.issued.codes.iter().map(|c| c.masked()).collect();
    let lines: Vec<Line> = (0..view.issued.codes.len())
        .map(|i| {
            let text = revealed[i].as_deref().map_or(masked[i].as_str(), String::as_str);
            let style = if i == view.selected { theme.selected } else { theme.text };
            Line::from(vec![
                Span::styled(format!(" {:>2}  ", i + 1), theme.muted),
                Span::styled(" ", style),
                Span::styled(text, style),
                Span::styled(" ", style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);

    let mut side_lines = Vec::new();
    let selected = &view.issued.codes[view.selected];
    let read_out: Vec<Zeroizing<String>> = if shown(view.selected) {
        let words = selected.phonetic();
        let group = words.len().div_ceil(3).max(1);
        words.chunks(group).map(|chunk| Zeroizing::new(format!("  {}", chunk.join(" ")))).collect()
    } else {
        Vec::new()
    };
    if shown(view.selected) {
        side_lines.push(Line::styled(format!("Code {} read-out:", view.selected + 1), theme.title));
        for words in &read_out {
            side_lines.push(Line::styled(words.as_str(), theme.key));
        }
        if let Some(hide_at) = view.hide_at {
            let left = hide_at.saturating_duration_since(app.now).as_secs();
            side_lines.push(Line::styled(format!("Hidden again in {left} s."), theme.muted));
        }
    } else {
        side_lines.push(Line::styled(texts().codes.masked.clone(), theme.muted));
        side_lines.push(Line::styled(texts().status.reveal_hint.as_str(), theme.muted));
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
