//! Approvals: the requests for backup codes that wait for a second admin, with what the
//! requester saw (signals, check, note) and why each needs approval. Enter opens one;
//! Approve and Decline (with a reason) go through the confirm popup. The approver never
//! sees a code: the codes are generated on the requester's screen.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::domain::audit::NOTE_MAX;
use crate::domain::time::format_utc;
use crate::domain::two_person::{CodeRequest, RequestState};
use crate::texts::{fill, texts};
use crate::ui::fields::{clean_paste, field_text, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome};
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, text_input};

#[derive(Default)]
pub struct ApprovalsPane {
    /// `None` while the first read is under way.
    pub requests: Option<Vec<CodeRequest>>,
    pub list: ListState,
    /// The request opened with Enter: its whole text, and the Approve and Decline keys.
    pub open: bool,
    /// The decline reason being typed, when Decline was pressed.
    pub reason: Option<TextArea<'static>>,
    /// When the list was read (Unix seconds), for each request's age.
    pub read_at: i64,
}

impl ApprovalsPane {
    pub fn receive(&mut self, requests: Vec<CodeRequest>, read_at: i64) {
        self.read_at = read_at;
        let selected = self.selected().map(|r| r.id);
        let at = selected.and_then(|id| requests.iter().position(|r| r.id == id));
        self.list.select(if requests.is_empty() { None } else { Some(at.unwrap_or(0)) });
        if at.is_none() {
            self.open = false;
            self.reason = None;
        }
        self.requests = Some(requests);
    }

    pub fn selected(&self) -> Option<&CodeRequest> {
        self.requests.as_ref()?.get(self.list.selected()?)
    }

    /// Whether the keyboard is typing the decline reason.
    pub fn typing(&self) -> bool {
        self.reason.is_some()
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        if let Some(reason) = &mut self.reason {
            return match command {
                Some(Command::Back) => {
                    self.reason = None;
                    Outcome::Nothing
                }
                Some(Command::Activate) => {
                    let text = field_text(reason).trim().to_owned();
                    match self.selected() {
                        Some(r) if !text.is_empty() => Outcome::Confirm(Confirmable::Decline {
                            request: r.id,
                            name: format!("{} ({})", r.target_name, r.target),
                            reason: text,
                        }),
                        Some(_) => Outcome::error(crate::desk::DeskError::DeclineNeedsReason.to_string()),
                        None => Outcome::Nothing,
                    }
                }
                None if field_text(reason).chars().count() < NOTE_MAX || key.code == KeyCode::Backspace => {
                    single_line_input(reason, key);
                    Outcome::Nothing
                }
                _ => Outcome::Nothing,
            };
        }
        let count = self.requests.as_ref().map_or(0, Vec::len);
        match command {
            Some(Command::Quit) => Outcome::Quit,
            Some(Command::Help) => Outcome::Help,
            Some(Command::Back) if self.open => {
                self.open = false;
                Outcome::Nothing
            }
            Some(Command::Back) => Outcome::Close(None),
            Some(Command::Refresh) => Outcome::LoadApprovals,
            Some(Command::Up) if !self.open => {
                self.list.select(self.list.selected().map(|i| i.saturating_sub(1)));
                Outcome::Nothing
            }
            Some(Command::Down) if !self.open && count > 0 => {
                self.list.select(self.list.selected().map(|i| (i + 1).min(count - 1)));
                Outcome::Nothing
            }
            Some(Command::Open) if self.selected().is_some() => {
                self.open = true;
                Outcome::Nothing
            }
            Some(Command::Approve) => match self.selected() {
                Some(r) if r.state == RequestState::Pending => Outcome::Confirm(Confirmable::Approve {
                    request: r.id,
                    name: format!("{} ({})", r.target_name, r.target),
                    requester: r.requester.clone(),
                }),
                Some(_) => Outcome::info(crate::desk::DeskError::RequestClosed.to_string()),
                None => Outcome::Nothing,
            },
            Some(Command::Decline) => match self.selected() {
                Some(r) if r.state == RequestState::Pending => {
                    self.open = true;
                    self.reason = Some(text_field(&texts().approvals.reason_hint));
                    Outcome::Nothing
                }
                Some(_) => Outcome::info(crate::desk::DeskError::RequestClosed.to_string()),
                None => Outcome::Nothing,
            },
            _ => Outcome::Nothing,
        }
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        match &mut self.reason {
            Some(reason) => {
                let room = NOTE_MAX.saturating_sub(field_text(reason).chars().count());
                reason.insert_str(clean_paste(text, room));
                Outcome::Nothing
            }
            None => Outcome::info(&texts().status.paste_ignored),
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let now = self.read_at;
        let t = &texts().approvals;
        let Some(requests) = &self.requests else {
            frame.render_widget(Paragraph::new(t.loading.as_str()).block(block(theme, &t.title, true)), body);
            return;
        };
        if requests.is_empty() {
            frame.render_widget(Paragraph::new(t.empty.as_str()).block(block(theme, &t.title, true)), body);
            return;
        }
        let list_rows = if self.open { 3 } else { (requests.len() as u16 + 2).min(body.height / 2).max(3) };
        let reason_rows = if self.reason.is_some() { 3 } else { 0 };
        let [list_area, detail_area, reason_area] =
            Layout::vertical([Constraint::Length(list_rows), Constraint::Min(4), Constraint::Length(reason_rows)])
                .areas(body);
        let items: Vec<ListItem> = requests
            .iter()
            .map(|r| {
                let state = if r.state == RequestState::Approved { &t.state_approved } else { &t.state_pending };
                let age = format!("{} min", (now - r.created_at).max(0) / 60);
                let target = format!("{} ({})", r.target_name, r.target);
                ListItem::new(shown(&fill(
                    &t.row,
                    &[
                        ("id", &r.id.to_string()),
                        ("requester", &r.requester),
                        ("target", &target),
                        ("state", state),
                        ("age", &age),
                    ],
                )))
            })
            .collect();
        let list = List::new(items)
            .block(block(theme, &t.title, !self.open))
            .highlight_style(theme.selected)
            .highlight_symbol("› ");
        let mut state = self.list.clone();
        frame.render_stateful_widget(list, list_area, &mut state);

        if let Some(r) = self.selected() {
            let label = |text: &str| Span::styled(format!("{text:<10}"), theme.muted);
            let mut lines = vec![
                Line::from(vec![label(&t.requester), Span::styled(shown(&r.requester), theme.text)]),
                Line::from(vec![
                    label(&t.target),
                    Span::styled(
                        shown(&format!("{} ({}, {})", r.target_name, r.target, r.target_kind.as_str())),
                        theme.text,
                    ),
                ]),
                Line::from(vec![label(&t.check), Span::styled(r.identity_check.label(), theme.text)]),
                Line::from(vec![label(&t.note), Span::styled(shown(r.note.as_deref().unwrap_or("-")), theme.text)]),
                Line::from(vec![label(&t.created), Span::styled(format_utc(r.created_at), theme.text)]),
                Line::styled(t.reasons.clone(), theme.title),
            ];
            lines.extend(r.reasons.iter().map(|s| Line::styled(format!("• {}", shown(&s.sentence())), theme.warning)));
            lines.push(Line::styled(t.signals.clone(), theme.title));
            lines.extend(r.signals.iter().map(|s| Line::styled(format!("• {}", shown(s)), theme.danger)));
            frame.render_widget(
                Paragraph::new(lines).block(block(theme, &format!("#{}", r.id), self.open)).wrap(Wrap { trim: true }),
                detail_area,
            );
        }
        if let Some(reason) = &self.reason {
            text_input(frame, reason_area, theme, &t.reason_label, reason, true);
        }
    }
}
