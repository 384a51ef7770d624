//! Institution Settings › Permitted Two-factor Authentication Methods (admin-level only):
//! toggle the methods, then save through the confirm popup, which shows before → after.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::texts::texts;
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome};
use crate::ui::theme::Theme;
use crate::ui::widgets::block;

pub struct SettingsPane {
    /// What the database holds, once loaded.
    pub saved: Option<Institution>,
    /// The methods as edited here, in `TwoFactorMethod::ALL` order.
    pub chosen: Vec<TwoFactorMethod>,
    pub cursor: usize,
}

impl Default for SettingsPane {
    fn default() -> Self {
        Self::new()
    }
}

impl SettingsPane {
    pub fn new() -> Self {
        Self { saved: None, chosen: Vec::new(), cursor: 0 }
    }

    /// The institution as the database holds it; the edits start again from it.
    pub fn load(&mut self, institution: Institution) {
        self.chosen = sorted(&institution.permitted);
        self.saved = Some(institution);
    }

    pub fn changed(&self) -> bool {
        self.saved.as_ref().is_some_and(|s| sorted(&s.permitted) != self.chosen)
    }

    pub fn on_key(&mut self, command: Option<Command>) -> Outcome {
        let Some(saved) = &self.saved else {
            return match command {
                Some(Command::Back) => Outcome::Close(None),
                Some(Command::Quit) => Outcome::Quit,
                _ => Outcome::Nothing,
            };
        };
        match command {
            Some(Command::Up) => self.cursor = self.cursor.saturating_sub(1),
            Some(Command::Down) => self.cursor = (self.cursor + 1).min(TwoFactorMethod::ALL.len() - 1),
            Some(Command::Toggle) => {
                let method = TwoFactorMethod::ALL[self.cursor];
                if self.chosen.contains(&method) {
                    self.chosen.retain(|m| *m != method);
                } else {
                    self.chosen.push(method);
                    self.chosen = sorted(&self.chosen);
                }
            }
            Some(Command::Activate) if !self.changed() => return Outcome::info(&texts().settings.unchanged),
            Some(Command::Activate) => {
                return Outcome::Confirm(Confirmable::PermittedMethods {
                    before: sorted(&saved.permitted),
                    after: self.chosen.clone(),
                });
            }
            Some(Command::RevokeAll) => return Outcome::Confirm(Confirmable::RevokeAll),
            Some(Command::ToggleSecondPerson) => {
                return Outcome::Confirm(Confirmable::SecondPerson { on: !saved.second_person_always });
            }
            Some(Command::Back) if self.changed() => return Outcome::Confirm(Confirmable::Discard),
            Some(Command::Back) => return Outcome::Close(None),
            Some(Command::Refresh) => return Outcome::LoadInstitution,
            Some(Command::Help) => return Outcome::Help,
            Some(Command::Quit) => return Outcome::Quit,
            _ => {}
        }
        Outcome::Nothing
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let t = &texts().settings;
        let outer = block(theme, &t.title, true);
        let inner = outer.inner(body);
        frame.render_widget(outer, body);
        let [intro, list, _, summary] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(TwoFactorMethod::ALL.len() as u16),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(t.intro.as_str()).style(theme.text).wrap(Wrap { trim: true }), intro);
        let Some(saved) = &self.saved else {
            frame.render_widget(Paragraph::new(t.loading.as_str()).style(theme.muted), list);
            return;
        };
        let lines: Vec<Line> = TwoFactorMethod::ALL
            .iter()
            .enumerate()
            .map(|(i, method)| {
                let mark = if self.chosen.contains(method) { "[x]" } else { "[ ]" };
                let was = if saved.permits(*method) != self.chosen.contains(method) { t.changed.as_str() } else { "" };
                let style = if i == self.cursor { theme.selected } else { theme.text };
                Line::from(vec![
                    Span::raw("  "),
                    Span::styled(format!("{mark} {}", method.label()), style),
                    Span::styled(format!(" {was}"), theme.warning),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), list);
        let rule = if saved.second_person_always { &t.second_person_on } else { &t.second_person_off };
        let mut notes = vec![
            Line::styled(t.keys.as_str(), theme.muted),
            Line::raw(""),
            Line::styled(rule.as_str(), if saved.second_person_always { theme.ok } else { theme.text }),
            Line::raw(""),
            Line::styled(texts().approvals.revoke_all_hint.as_str(), theme.muted),
        ];
        if self.chosen.contains(&TwoFactorMethod::Email) {
            notes.push(Line::styled(texts().twofactor.email_permitted.as_str(), theme.warning));
        }
        frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: true }), summary);
    }
}

fn sorted(methods: &[TwoFactorMethod]) -> Vec<TwoFactorMethod> {
    let mut out = methods.to_vec();
    out.sort();
    out.dedup();
    out
}

/// "SMS text message, Authenticator app", or "none".
pub fn method_list(methods: &[TwoFactorMethod]) -> String {
    if methods.is_empty() {
        return texts().settings.none.clone();
    }
    methods.iter().map(|m| m.label()).collect::<Vec<_>>().join(", ")
}
