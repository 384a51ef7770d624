//! The one "are you sure?": it carries what it asks about and only reports the answer;
//! `update` acts on a yes. The focus starts on the safe button.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::domain::access::StaffChange;
use crate::texts::{fill, texts};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome, PendingId};
use crate::ui::panes::settings::method_list;
use crate::ui::text::shown;
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

    /// The question's title, its text, and the labels of the safe and the acting button.
    fn words(&self) -> (String, String, &'static str, &'static str) {
        let t = texts();
        match &self.asks {
            Confirmable::LeaveCodes => {
                (t.codes.leave_title.clone(), t.codes.leave.clone(), &t.codes.stay, &t.codes.leave_and_wipe)
            }
            Confirmable::Revoke { name, .. } => {
                (fill(&t.revoke.title, &[("name", name)]), t.revoke.body.clone(), &t.revoke.cancel, &t.revoke.revoke)
            }
            Confirmable::PermittedMethods { before, after } => (
                t.settings.confirm_title.clone(),
                fill(&t.settings.confirm_body, &[("before", &method_list(before)), ("after", &method_list(after))]),
                &t.settings.cancel,
                &t.settings.save,
            ),
            Confirmable::Staff { name, change, .. } => {
                // A change that gives power is asked for, not applied.
                let asks = crate::domain::grants::GrantKind::of_change(*change).is_some();
                let (body, button) = if asks {
                    (&t.staff.confirm_ask_body, &t.staff.ask)
                } else {
                    (&t.staff.confirm_body, &t.staff.apply)
                };
                (
                    t.staff.confirm_title.clone(),
                    fill(body, &[("change", staff_change_label(*change)), ("name", name)]),
                    &t.staff.cancel,
                    button,
                )
            }
            Confirmable::Discard => {
                (t.discard.title.clone(), t.discard.body.clone(), &t.discard.keep, &t.discard.discard)
            }
            Confirmable::Approve { request, name, requester } => {
                let (title, body, id) = match request {
                    PendingId::Code(id) => (&t.approvals.approve_title, &t.approvals.approve_body, id),
                    PendingId::Grant(id) => (&t.approvals.approve_grant_title, &t.approvals.approve_grant_body, id),
                };
                (
                    title.clone(),
                    fill(body, &[("id", &id.to_string()), ("name", name), ("requester", requester)]),
                    &t.approvals.cancel,
                    &t.approvals.approve,
                )
            }
            Confirmable::Decline { request, name, reason } => {
                let (body, id) = match request {
                    PendingId::Code(id) => (&t.approvals.decline_body, id),
                    PendingId::Grant(id) => (&t.approvals.decline_grant_body, id),
                };
                (
                    t.approvals.decline_title.clone(),
                    fill(body, &[("id", &id.to_string()), ("name", name), ("reason", reason)]),
                    &t.approvals.cancel,
                    &t.approvals.decline,
                )
            }
            Confirmable::Link { name, customer, .. } => (
                t.approvals.link_title.clone(),
                fill(&t.approvals.link_body, &[("name", name), ("customer", customer)]),
                &t.approvals.cancel,
                &t.approvals.link,
            ),
            Confirmable::RevokeAll => (
                t.approvals.revoke_all_title.clone(),
                t.approvals.revoke_all_body.clone(),
                &t.approvals.cancel,
                &t.approvals.revoke_all,
            ),
            Confirmable::SecondPerson { on } => (
                t.approvals.second_title.clone(),
                if *on { t.approvals.second_on.clone() } else { t.approvals.second_off.clone() },
                &t.settings.cancel,
                &t.settings.save,
            ),
            Confirmable::Withdraw { request, name } => (
                t.approvals.withdraw_title.clone(),
                fill(&t.approvals.withdraw_body, &[("id", &request.to_string()), ("name", name)]),
                &t.approvals.cancel,
                &t.approvals.withdraw,
            ),
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let (title, text, stay, go) = self.words();
        let area = centered(body, 64, 8);
        let inner = modal_frame(frame, area, &title, theme.warning);
        let [msg, buttons] = Layout::vertical([Constraint::Min(2), Constraint::Length(1)]).areas(inner);
        frame.render_widget(Paragraph::new(shown(&text)).style(theme.text).wrap(Wrap { trim: true }), msg);
        let line = Line::from(vec![
            button(theme, stay, !self.on_yes, true),
            Span::raw("   "),
            button(theme, go, self.on_yes, true),
        ]);
        frame.render_widget(Paragraph::new(line).centered(), buttons);
    }
}

/// What a staff change does, in words.
pub fn staff_change_label(change: StaffChange) -> &'static str {
    let t = &texts().staff;
    match change {
        StaffChange::Grant(_) => &t.grant,
        StaffChange::Withdraw(_) => &t.withdraw,
        StaffChange::Promote => &t.promote,
        StaffChange::Demote => &t.demote,
        StaffChange::Disable => &t.disable,
        StaffChange::Enable => &t.enable,
        StaffChange::Unlock => &t.unlock,
        StaffChange::EndSessions => &t.end_sessions,
        StaffChange::ResetFactor => &t.reset_factor,
        StaffChange::BindKey(_) => &t.bind_key,
    }
}
