//! Staff (admin-level only): every member of staff with role, the code permission, status,
//! sign-in lock, last sign-in and open sessions. Each change goes through the confirm
//! popup; the service refuses changes to oneself and to the last enabled admin.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use tui_textarea::TextArea;

use crate::ui::fields::{clean_paste, field_text, single_line_input, text_field};
use crate::ui::widgets::text_input;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::domain::access::{Permission, StaffChange, StaffMember};
use crate::domain::second_factor::KeyFingerprint;
use crate::domain::time::format_utc;
use crate::domain::user::StaffRole;
use crate::texts::{fill, texts};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome};
use crate::ui::text::{safe, shown};
use crate::ui::theme::Theme;
use crate::ui::widgets::block;

/// The longest public key line the key field takes (an RSA 4096 key is about 750).
const KEY_MAX: usize = 1024;

#[derive(Default)]
pub struct StaffPane {
    /// `None` until the list has loaded.
    pub members: Option<Vec<StaffMember>>,
    /// The customer username being typed, to link to the selected member of staff as
    /// their own account.
    pub link: Option<TextArea<'static>>,
    /// The field above is an SSH public key to bind (`k`), not a customer to link (`l`).
    pub binding_key: bool,
    pub table: TableState,
    /// The instant the list was read, to tell a lock still in force from an old one.
    pub now: i64,
}

impl StaffPane {
    pub fn load(&mut self, members: Vec<StaffMember>, now: i64) {
        let selected = self.table.selected().unwrap_or(0).min(members.len().saturating_sub(1));
        self.table.select((!members.is_empty()).then_some(selected));
        self.members = Some(members);
        self.now = now;
    }

    pub fn selected(&self) -> Option<&StaffMember> {
        self.members.as_ref()?.get(self.table.selected()?)
    }

    /// Whether the keyboard is typing a customer's username to link.
    pub fn typing(&self) -> bool {
        self.link.is_some()
    }

    /// The longest text the field takes: a customer's username, or a public key line.
    fn field_max(&self) -> usize {
        if self.binding_key { KEY_MAX } else { 64 }
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        let max = self.field_max();
        match &mut self.link {
            Some(field) => {
                field.insert_str(clean_paste(text, max.saturating_sub(field_text(field).chars().count())));
                Outcome::Nothing
            }
            None => Outcome::info(&texts().status.paste_ignored),
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        let max = self.field_max();
        if let Some(field) = &mut self.link {
            return match command {
                Some(Command::Back) => {
                    self.link = None;
                    Outcome::Nothing
                }
                Some(Command::Activate) if self.binding_key => {
                    let typed = field_text(field).trim().to_owned();
                    let Some(key) = KeyFingerprint::of_public_key(&typed).or_else(|| KeyFingerprint::parse(&typed))
                    else {
                        return Outcome::error(texts().staff.not_a_key.clone());
                    };
                    match self.selected() {
                        Some(member) => Outcome::Confirm(Confirmable::Staff {
                            user: member.user.id,
                            name: format!("{} ({})", member.user.full_name(), member.user.username),
                            change: StaffChange::BindKey(key),
                        }),
                        None => Outcome::Nothing,
                    }
                }
                Some(Command::Activate) => {
                    let customer = field_text(field).trim().to_owned();
                    match self.selected() {
                        Some(member) if !customer.is_empty() => Outcome::Confirm(Confirmable::Link {
                            staff: member.user.id,
                            name: format!("{} ({})", member.user.full_name(), member.user.username),
                            customer,
                        }),
                        _ => Outcome::Nothing,
                    }
                }
                None if field_text(field).chars().count() < max || key.code == KeyCode::Backspace => {
                    single_line_input(field, key);
                    Outcome::Nothing
                }
                _ => Outcome::Nothing,
            };
        }
        if matches!(command, Some(Command::LinkIdentity | Command::BindKey)) {
            if self.selected().is_some() {
                self.binding_key = command == Some(Command::BindKey);
                let hint = if self.binding_key { &texts().staff.key_hint } else { &texts().approvals.link_hint };
                self.link = Some(text_field(hint));
            }
            return Outcome::Nothing;
        }
        let count = self.members.as_ref().map_or(0, Vec::len);
        let change = match command {
            Some(Command::Up) => {
                self.table.select(Some(self.table.selected().unwrap_or(0).saturating_sub(1)));
                return Outcome::Nothing;
            }
            Some(Command::Down) => {
                let next = self.table.selected().map_or(0, |i| i + 1);
                self.table.select(Some(next.min(count.saturating_sub(1))));
                return Outcome::Nothing;
            }
            Some(Command::Back) => return Outcome::Close(None),
            Some(Command::Refresh) => return Outcome::LoadStaff,
            Some(Command::Help) => return Outcome::Help,
            Some(Command::Quit) => return Outcome::Quit,
            Some(Command::TogglePermission) => None,
            Some(Command::ToggleAdmin) => Some(StaffChange::Promote),
            Some(Command::ToggleDisabled) => Some(StaffChange::Disable),
            Some(Command::Unlock) => Some(StaffChange::Unlock),
            Some(Command::EndSessions) => Some(StaffChange::EndSessions),
            Some(Command::ResetFactor) => Some(StaffChange::ResetFactor),
            _ => return Outcome::Nothing,
        };
        let Some(member) = self.selected() else { return Outcome::Nothing };
        // The key toggles: what it does depends on the member's state now.
        let change = match change {
            None if member.staff.has(Permission::GenerateLockoutCodes) => {
                StaffChange::Withdraw(Permission::GenerateLockoutCodes)
            }
            None => StaffChange::Grant(Permission::GenerateLockoutCodes),
            Some(StaffChange::Promote) if member.staff.is_admin() => StaffChange::Demote,
            Some(StaffChange::Disable) if member.disabled => StaffChange::Enable,
            Some(other) => other,
        };
        Outcome::Confirm(Confirmable::Staff {
            user: member.user.id,
            name: format!("{} ({})", member.user.full_name(), member.user.username),
            change,
        })
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let t = &texts().staff;
        let link_rows = if self.link.is_some() { 3 } else { 0 };
        let [list, info, link] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(2), Constraint::Length(link_rows)]).areas(body);
        if let Some(field) = &self.link {
            let label = if self.binding_key { &t.key_label } else { &texts().approvals.link_label };
            text_input(frame, link, theme, label, field, true);
        }
        let Some(members) = &self.members else {
            frame.render_widget(Paragraph::new(t.loading.as_str()).block(block(theme, &t.title, true)), list);
            return;
        };
        let wide = body.width >= 120;
        let columns = if wide { &t.columns[..] } else { &t.columns[..6] };
        let header = Row::new(columns.iter().map(String::as_str)).style(theme.title);
        let rows = members.iter().map(|m| {
            let role = match m.staff.role {
                StaffRole::Admin => t.admin.as_str(),
                StaffRole::Agent => t.agent.as_str(),
            };
            let permission = if m.staff.has(Permission::GenerateLockoutCodes) { t.yes.as_str() } else { t.no.as_str() };
            let status = match (m.disabled, m.login_locked_until) {
                (true, _) => t.disabled.clone(),
                (false, Some(until)) if until > self.now => t.locked.clone(),
                _ => t.enabled.clone(),
            };
            let mut cells = vec![
                Cell::from(shown(&m.user.full_name())),
                Cell::from(shown(&m.user.username)),
                Cell::from(role),
                Cell::from(permission),
                Cell::from(status),
                Cell::from(m.open_sessions.to_string()),
            ];
            if wide {
                cells.push(Cell::from(m.last_sign_in.map_or_else(|| t.never.clone(), format_utc)));
            }
            Row::new(cells)
        });
        let widths: Vec<Constraint> = if wide {
            vec![
                Constraint::Percentage(20),
                Constraint::Percentage(16),
                Constraint::Length(7),
                Constraint::Length(11),
                Constraint::Min(16),
                Constraint::Length(9),
                Constraint::Length(22),
            ]
        } else {
            vec![
                Constraint::Min(14),
                Constraint::Min(12),
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Length(9),
                Constraint::Length(8),
            ]
        };
        let table = Table::new(rows, widths)
            .header(header)
            .block(block(theme, &t.title, true))
            .row_highlight_style(theme.selected)
            .highlight_symbol("› ");
        let mut state = self.table.clone();
        frame.render_stateful_widget(table, list, &mut state);
        let detail = self.selected().map_or_else(String::new, |m| {
            let last = m.last_sign_in.map_or_else(|| t.never.clone(), format_utc);
            let mut line = fill(&t.selected, &[("name", &m.user.full_name()), ("last", &last)]);
            if let Some(until) = m.login_locked_until.filter(|until| *until > self.now) {
                line = format!("{line} {}.", fill(&t.locked_until, &[("until", &format_utc(until))]));
            }
            line
        });
        frame.render_widget(
            Paragraph::new(vec![Line::styled(format!(" {}", safe(&detail)), theme.muted)])
                .wrap(ratatui::widgets::Wrap { trim: true }),
            info,
        );
    }
}
