//! The one "are you sure?": it carries what it asks about and only reports the answer;
//! `app.rs` acts on a yes. The focus starts on the safe button.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::texts::{fill, texts};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome};
use crate::ui::theme::Theme;
use crate::ui::widgets::{button, centered, modal_frame};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub asks: Confirmable,
    /// Whether the focus is on the button that acts; it starts on the safe one.
    pub on_yes: bool,
}

impl Confirm {
    pub fn new(asks: Confirmable) -> Self {
        Self { asks, on_yes: false }
    }

    pub fn on_key(&mut self, command: Option<Command>) -> Outcome {
        match command {
            Some(Command::NextFocus) => {
                self.on_yes = !self.on_yes;
                Outcome::Nothing
            }
            Some(Command::Activate) if self.on_yes => Outcome::Confirmed(self.asks.clone()),
            Some(Command::Back) | Some(Command::Activate) => Outcome::Close(None),
            _ => Outcome::Nothing,
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let (codes, revoke) = (&texts().codes, &texts().revoke);
        let (title, text, stay, go) = match &self.asks {
            Confirmable::LeaveCodes => (codes.leave_title.clone(), &codes.leave, &codes.stay, &codes.leave_and_wipe),
            Confirmable::Revoke { name, .. } => {
                (fill(&revoke.title, &[("name", name)]), &revoke.body, &revoke.cancel, &revoke.revoke)
            }
        };
        let area = centered(body, 64, 8);
        let inner = modal_frame(frame, area, &title, theme.warning);
        let [msg, buttons] = Layout::vertical([Constraint::Min(2), Constraint::Length(1)]).areas(inner);
        frame.render_widget(Paragraph::new(text.as_str()).style(theme.text).wrap(Wrap { trim: true }), msg);
        let line = Line::from(vec![
            button(theme, stay, !self.on_yes, true),
            Span::raw("   "),
            button(theme, go, self.on_yes, true),
        ]);
        frame.render_widget(Paragraph::new(line).centered(), buttons);
    }
}
