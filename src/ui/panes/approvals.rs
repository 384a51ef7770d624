//! Approvals: what waits for a second admin. Requests for backup codes come first, with
//! what the requester saw (signals, check, note) and why each needs approval; then grants
//! of power (a new admin, the permission, a role, re-enabling), with who asked and what
//! approving gives. Enter opens one; Approve and Decline (with a reason) go through the
//! confirm popup. The approver never sees a code: the codes are generated on the
//! requester's screen.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::domain::audit::NOTE_MAX;
use crate::domain::grants::GrantRequest;
use crate::domain::time::format_utc;
use crate::domain::two_person::{CodeRequest, RequestState};
use crate::texts::{fill, texts};
use crate::ui::fields::{clean_paste, field_text, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome, PendingId, Waiting};
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, text_input};

/// One line of the list: a request for codes or a grant.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Code(&'a CodeRequest),
    Grant(&'a GrantRequest),
}

impl Entry<'_> {
    pub fn id(self) -> PendingId {
        match self {
            Entry::Code(r) => PendingId::Code(r.id),
            Entry::Grant(g) => PendingId::Grant(g.id),
        }
    }
    /// Whether it can still be approved or declined (an approved request for codes waits
    /// only for its requester).
    fn pending(self) -> bool {
        match self {
            Entry::Code(r) => r.state == RequestState::Pending,
            Entry::Grant(_) => true,
        }
    }
    /// What a confirmation names: the target, or what the grant gives and to whom.
    fn name(self) -> String {
        match self {
            Entry::Code(r) => format!("{} ({})", r.target_name, r.target),
            Entry::Grant(g) => format!("{} for {} ({})", g.kind.words(), g.subject_name, g.subject),
        }
    }
    fn asker(self) -> String {
        match self {
            Entry::Code(r) => r.requester.clone(),
            Entry::Grant(g) => g.asked_by.clone(),
        }
    }
}

#[derive(Default)]
pub struct ApprovalsPane {
    /// `None` while the first read is under way.
    pub requests: Option<Vec<CodeRequest>>,
    /// Pending grants, listed after the requests for codes.
    pub grants: Vec<GrantRequest>,
    pub list: ListState,
    /// The request opened with Enter: its whole text, and the Approve and Decline keys.
    pub open: bool,
    /// The decline reason being typed, when Decline was pressed.
    pub reason: Option<TextArea<'static>>,
    /// When the list was read (Unix seconds), for each request's age.
    pub read_at: i64,
}

impl ApprovalsPane {
    pub fn receive(&mut self, waiting: Waiting) {
        self.read_at = waiting.read_at;
        let selected = self.selected().map(Entry::id);
        let Waiting { requests, grants, .. } = waiting;
        let ids = requests.iter().map(|r| PendingId::Code(r.id)).chain(grants.iter().map(|g| PendingId::Grant(g.id)));
        let at = selected.and_then(|id| ids.clone().position(|i| i == id));
        let count = ids.count();
        self.list.select(if count == 0 { None } else { Some(at.unwrap_or(0)) });
        if at.is_none() {
            self.open = false;
            self.reason = None;
        }
        self.requests = Some(requests);
        self.grants = grants;
    }

    fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        let requests = self.requests.iter().flatten().map(Entry::Code);
        requests.chain(self.grants.iter().map(Entry::Grant))
    }

    pub fn selected(&self) -> Option<Entry<'_>> {
        self.entries().nth(self.list.selected()?)
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
                        Some(e) if !text.is_empty() => {
                            Outcome::Confirm(Confirmable::Decline { request: e.id(), name: e.name(), reason: text })
                        }
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
        let count = self.entries().count();
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
                Some(e) if e.pending() => {
                    Outcome::Confirm(Confirmable::Approve { request: e.id(), name: e.name(), requester: e.asker() })
                }
                Some(_) => Outcome::info(crate::desk::DeskError::RequestClosed.to_string()),
                None => Outcome::Nothing,
            },
            Some(Command::Decline) => match self.selected() {
                Some(e) if e.pending() => {
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
        let t = &texts().approvals;
        if self.requests.is_none() {
            frame.render_widget(Paragraph::new(t.loading.as_str()).block(block(theme, &t.title, true)), body);
            return;
        }
        let count = self.entries().count();
        if count == 0 {
            frame.render_widget(Paragraph::new(t.empty.as_str()).block(block(theme, &t.title, true)), body);
            return;
        }
        let list_rows = if self.open { 3 } else { (count as u16 + 2).min(body.height / 2).max(3) };
        let reason_rows = if self.reason.is_some() { 3 } else { 0 };
        let [list_area, detail_area, reason_area] =
            Layout::vertical([Constraint::Length(list_rows), Constraint::Min(4), Constraint::Length(reason_rows)])
                .areas(body);
        let items: Vec<ListItem> = self.entries().map(|e| ListItem::new(shown(&self.row(e)))).collect();
        let list = List::new(items)
            .block(block(theme, &t.title, !self.open))
            .highlight_style(theme.selected)
            .highlight_symbol("› ");
        let mut state = self.list.clone();
        frame.render_stateful_widget(list, list_area, &mut state);

        if let Some(entry) = self.selected() {
            let (title, lines) = match entry {
                Entry::Code(r) => (format!("#{}", r.id), request_lines(r, theme)),
                Entry::Grant(g) => (fill(&t.grant_title, &[("id", &g.id.to_string())]), grant_lines(g, theme)),
            };
            frame.render_widget(
                Paragraph::new(lines).block(block(theme, &title, self.open)).wrap(Wrap { trim: true }),
                detail_area,
            );
        }
        if let Some(reason) = &self.reason {
            text_input(frame, reason_area, theme, &t.reason_label, reason, true);
        }
    }

    /// The list's line for an entry, before the text boundary.
    fn row(&self, entry: Entry<'_>) -> String {
        let t = &texts().approvals;
        let age = |at: i64| format!("{} min", (self.read_at - at).max(0) / 60);
        match entry {
            Entry::Code(r) => {
                let state = if r.state == RequestState::Approved { &t.state_approved } else { &t.state_pending };
                let target = format!("{} ({})", r.target_name, r.target);
                fill(
                    &t.row,
                    &[
                        ("id", &r.id.to_string()),
                        ("requester", &r.requester),
                        ("target", &target),
                        ("state", state),
                        ("age", &age(r.created_at)),
                    ],
                )
            }
            Entry::Grant(g) => fill(
                &t.grant_row,
                &[
                    ("id", &g.id.to_string()),
                    ("asker", &g.asked_by),
                    ("subject", &g.subject),
                    ("what", &g.kind.words()),
                    ("age", &age(g.asked_at)),
                ],
            ),
        }
    }
}

fn label(text: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{text:<10}"), theme.muted)
}

/// A request for codes: who asked, for whom, on which check, why it waits, the signals.
fn request_lines(r: &CodeRequest, theme: &Theme) -> Vec<Line<'static>> {
    let t = &texts().approvals;
    let target = shown(&format!("{} ({}, {})", r.target_name, r.target, r.target_kind.as_str()));
    let mut lines = vec![
        Line::from(vec![label(&t.requester, theme), Span::styled(shown(&r.requester), theme.text)]),
        Line::from(vec![label(&t.target, theme), Span::styled(target, theme.text)]),
        Line::from(vec![label(&t.check, theme), Span::styled(r.identity_check.label(), theme.text)]),
        Line::from(vec![label(&t.note, theme), Span::styled(shown(r.note.as_deref().unwrap_or("-")), theme.text)]),
        Line::from(vec![label(&t.created, theme), Span::styled(format_utc(r.created_at), theme.text)]),
        Line::styled(t.reasons.clone(), theme.title),
    ];
    lines.extend(r.reasons.iter().map(|s| Line::styled(format!("• {}", shown(&s.sentence())), theme.warning)));
    lines.push(Line::styled(t.signals.clone(), theme.title));
    lines.extend(r.signals.iter().map(|s| Line::styled(format!("• {}", shown(s)), theme.danger)));
    lines
}

/// A grant: who asked, for whom, what approving gives, until when it waits, the rule.
fn grant_lines(g: &GrantRequest, theme: &Theme) -> Vec<Line<'static>> {
    let t = &texts().approvals;
    let subject = shown(&format!("{} ({})", g.subject_name, g.subject));
    vec![
        Line::from(vec![label(&t.requester, theme), Span::styled(shown(&g.asked_by), theme.text)]),
        Line::from(vec![label(&t.target, theme), Span::styled(subject, theme.text)]),
        Line::from(vec![label(&t.gives, theme), Span::styled(g.kind.words(), theme.warning)]),
        Line::from(vec![label(&t.created, theme), Span::styled(format_utc(g.asked_at), theme.text)]),
        Line::from(vec![label(&t.expires, theme), Span::styled(format_utc(g.expires_at), theme.text)]),
        Line::styled(t.grant_rule.clone(), theme.muted),
    ]
}
