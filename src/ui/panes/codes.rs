//! The one-time code view: masked until a key reveals one (or all) for a few seconds,
//! with the selected code's phonetic read-out and the guidance on sharing it.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use zeroize::Zeroizing;

use crate::desk::IssuedCodes;
use crate::domain::time::format_utc;
use crate::domain::user::UserId;
use crate::texts::{fill, texts};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome};
use crate::ui::theme::Theme;
use crate::ui::widgets::block;

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
    /// How long a revealed code stays on screen.
    reveal_for: Duration,
}

impl CodeView {
    pub fn new(
        user_name: String,
        username: String,
        user_id: UserId,
        issued: IssuedCodes,
        reveal_for: Duration,
    ) -> Self {
        Self { user_name, username, user_id, issued, selected: 0, reveal: Reveal::Hidden, hide_at: None, reveal_for }
    }

    pub fn hide(&mut self) {
        self.reveal = Reveal::Hidden;
        self.hide_at = None;
    }

    fn show(&mut self, reveal: Reveal, now: Instant) {
        self.reveal = reveal;
        self.hide_at = Some(now + self.reveal_for);
    }

    /// Masks the codes again once their time is up.
    pub fn tick(&mut self, now: Instant) {
        if self.hide_at.is_some_and(|t| now >= t) {
            self.hide();
        }
    }

    pub fn on_key(&mut self, command: Option<Command>, now: Instant) -> Outcome {
        let count = self.issued.codes.len();
        match command {
            Some(Command::Help) => return Outcome::Help,
            Some(Command::Up) | Some(Command::Down) => {
                self.selected = if command == Some(Command::Up) {
                    self.selected.saturating_sub(1)
                } else {
                    (self.selected + 1).min(count.saturating_sub(1))
                };
                // Moving on hides a single revealed code: only the code being read shows.
                if matches!(self.reveal, Reveal::One(_)) {
                    self.hide();
                }
            }
            Some(Command::Reveal) => {
                if self.reveal == Reveal::One(self.selected) || self.reveal == Reveal::All {
                    self.hide();
                } else {
                    self.show(Reveal::One(self.selected), now);
                }
            }
            Some(Command::RevealAll) => {
                if self.reveal == Reveal::All {
                    self.hide();
                } else {
                    self.show(Reveal::All, now);
                }
            }
            Some(Command::Back) => {
                // Nothing stays revealed behind the question.
                self.hide();
                return Outcome::Confirm(Confirmable::LeaveCodes);
            }
            _ => {}
        }
        Outcome::Nothing
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme, now: Instant) {
        let view = self;
        let t = &texts().codes;
        let title = fill(&t.heading, &[("name", &view.user_name), ("username", &view.username)]);
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
        let read_out: Vec<Zeroizing<String>> =
            if shown(view.selected) { selected.read_out_lines(3) } else { Vec::new() };
        if shown(view.selected) {
            side_lines.push(Line::styled(fill(&t.read_out, &[("n", &(view.selected + 1).to_string())]), theme.title));
            for words in &read_out {
                side_lines.push(Line::styled(words.as_str(), theme.key));
            }
            if let Some(hide_at) = view.hide_at {
                let left = hide_at.saturating_duration_since(now).as_secs();
                side_lines.push(Line::styled(fill(&t.hides_in, &[("secs", &left.to_string())]), theme.muted));
            }
        } else {
            side_lines.push(Line::styled(t.masked.clone(), theme.muted));
            side_lines.push(Line::styled(texts().status.reveal_hint.as_str(), theme.muted));
        }
        side_lines.push(Line::raw(""));
        side_lines.push(Line::styled(t.guidance.clone(), theme.warning));
        side_lines.push(Line::raw(""));
        side_lines.push(Line::styled(
            match view.issued.expires_at {
                Some(when) => fill(&t.expire, &[("when", &format_utc(when))]),
                None => t.no_expiry.clone(),
            },
            theme.text,
        ));
        frame.render_widget(Paragraph::new(side_lines).wrap(Wrap { trim: true }), side);
    }
}
