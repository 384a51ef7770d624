//! User detail: the profile and the Two-Factor Authentication section, with the actions
//! Generate Backup Codes and Revoke. An action the staff may not take shows why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::desk::UserDetail;
use crate::domain::audit::IdentityCheck;
use crate::domain::time::format_utc;
use crate::domain::two_person::RequestState;
use crate::domain::user::UserKind;
use crate::texts::{fill, texts};
use crate::ui::keymap::Command;
use crate::ui::msg::{Confirmable, Outcome};
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, button};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailAction {
    Generate,
    Revoke,
}

pub struct Detail {
    pub data: UserDetail,
    pub focus: DetailAction,
}

impl Detail {
    pub fn new(data: UserDetail) -> Self {
        Self { data, focus: DetailAction::Generate }
    }

    /// Whether an action can be taken now; the footer dims the ones that cannot.
    pub fn enabled(&self, command: Command) -> bool {
        // While a request is open, Generate is its approved use or nothing.
        let generate = match &self.data.request {
            Some(r) if r.state == RequestState::Approved && r.requester_id == self.data.viewer => true,
            Some(r) if r.state.is_open() => false,
            _ => self.data.may_generate.is_ok(),
        };
        let revoke = self.data.may_revoke.is_ok() && self.data.codes.is_some();
        match command {
            Command::Generate => generate,
            Command::Revoke => revoke,
            Command::EditProfile => self.data.may_edit_profile.is_ok(),
            Command::Activate => match self.focus {
                DetailAction::Generate => generate,
                DetailAction::Revoke => revoke,
            },
            _ => true,
        }
    }

    /// The request for codes this detail shows, when it is open or the viewer's own was
    /// declined: (the line, whether it is good news).
    fn request_line(&self, viewer: i64) -> Option<(String, bool)> {
        let t = &texts().approvals;
        let r = self.data.request.as_ref()?;
        let admin = r.decided_by.as_ref().map_or("", |(_, name)| name.as_str());
        match r.state {
            RequestState::Pending if r.requester_id == viewer => {
                let reasons: Vec<String> = r.reasons.iter().map(|r| r.sentence()).collect();
                Some((fill(&t.waiting, &[("reasons", &reasons.join("; "))]), false))
            }
            RequestState::Approved if r.requester_id == viewer => {
                let until = r.approval_expires_at.map_or_else(String::new, format_utc);
                Some((fill(&t.approved_mine, &[("admin", admin), ("until", &until)]), true))
            }
            RequestState::Pending | RequestState::Approved => {
                Some((fill(&t.waiting_other, &[("requester", &r.requester)]), false))
            }
            RequestState::Declined if r.requester_id == viewer => {
                let reason = r.decision_note.as_deref().unwrap_or_default();
                Some((fill(&t.declined_mine, &[("admin", admin), ("reason", reason)]), false))
            }
            _ => None,
        }
    }

    /// The viewer's own open request, if any.
    fn own_request(&self, viewer: i64) -> Option<(i64, RequestState)> {
        let r = self.data.request.as_ref()?;
        (r.requester_id == viewer && r.state.is_open()).then_some((r.id, r.state))
    }

    /// Why the signed-in staff may not generate (or, failing that, revoke), if so.
    fn refusal(&self) -> Option<String> {
        let generate = self.data.may_generate.err();
        generate.or(self.data.may_revoke.err()).map(|r| not_available(&r.to_string()))
    }

    pub fn on_key(&mut self, command: Option<Command>) -> Outcome {
        let viewer = self.data.viewer;
        let own = self.own_request(viewer);
        if command == Some(Command::Withdraw) {
            let user = &self.data.user;
            return match own {
                Some((request, _)) => Outcome::Confirm(Confirmable::Withdraw {
                    request,
                    name: format!("{} ({})", user.full_name(), user.username),
                }),
                None => Outcome::info(crate::desk::DeskError::NoSuchRequest.to_string()),
            };
        }
        // An approved request: Generate (or Enter on it) generates with it, at once.
        if let Some((request, RequestState::Approved)) = own
            && (command == Some(Command::Generate)
                || (command == Some(Command::Activate) && self.focus == DetailAction::Generate))
        {
            self.focus = DetailAction::Generate;
            return Outcome::GenerateApproved(request);
        }
        // Someone's request is open (this one waiting, or another's): it is answered first.
        if let Some(r) = self.data.request.as_ref().filter(|r| r.state.is_open())
            && (command == Some(Command::Generate)
                || (command == Some(Command::Activate) && self.focus == DetailAction::Generate))
        {
            self.focus = DetailAction::Generate;
            let line = self.request_line(viewer).map_or_else(String::new, |(line, _)| line);
            return if r.requester_id == viewer { Outcome::info(line) } else { Outcome::error(line) };
        }
        let action = match command {
            Some(Command::Quit) => return Outcome::Quit,
            Some(Command::Help) => return Outcome::Help,
            Some(Command::Back) => return Outcome::Close(None),
            Some(Command::Refresh) => return Outcome::RefreshDetail,
            Some(Command::NextFocus) | Some(Command::PrevFocus) => {
                self.focus = match self.focus {
                    DetailAction::Generate => DetailAction::Revoke,
                    DetailAction::Revoke => DetailAction::Generate,
                };
                return Outcome::Nothing;
            }
            Some(Command::EditProfile) => return Outcome::EditProfile,
            Some(Command::Generate) => DetailAction::Generate,
            Some(Command::Revoke) => DetailAction::Revoke,
            Some(Command::Activate) => self.focus,
            _ => return Outcome::Nothing,
        };
        self.focus = action;
        let allowed = match action {
            DetailAction::Generate => self.data.may_generate.map(drop),
            DetailAction::Revoke => self.data.may_revoke,
        };
        if let Err(refusal) = allowed {
            return Outcome::error(not_available(&refusal.to_string()));
        }
        match action {
            DetailAction::Generate => Outcome::OpenWarning,
            DetailAction::Revoke if self.data.codes.is_none() => Outcome::info(&texts().status.nothing_to_revoke),
            DetailAction::Revoke => {
                let user = &self.data.user;
                Outcome::Confirm(Confirmable::Revoke {
                    user: user.id,
                    name: format!("{} ({})", user.full_name(), user.username),
                })
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let viewer = self.data.viewer;
        let t = &texts().detail;
        let data = &self.data;
        let user = &data.user;
        let [panels, actions, reason] =
            Layout::vertical([Constraint::Min(8), Constraint::Length(1), Constraint::Length(2)]).areas(body);
        let profile_width = (body.width * 2 / 5).max(38);
        let [left, right] = Layout::horizontal([Constraint::Length(profile_width), Constraint::Min(38)]).areas(panels);

        let kind = match user.kind {
            UserKind::Customer => texts().users.customer.clone(),
            UserKind::Staff => fill(&t.staff_kind, &[("role", user.role.map_or("", |r| r.as_str()))]),
        };
        let phone = crate::ui::text::phone(&user.phone, &user.phone_form, data.home_region, true);
        let profile = vec![
            row(theme, &t.name, user.full_name()),
            row(theme, &t.username, user.username.clone()),
            row(theme, &t.kind, kind),
            row(theme, &t.email, user.email.clone()),
            row(theme, &t.phone, phone),
            row(theme, &t.enrolment, user.enrolment.to_string()),
            row(theme, &t.created, format_utc(user.created_at)),
        ];
        frame.render_widget(
            Paragraph::new(profile).block(block(theme, &t.profile, false)).wrap(Wrap { trim: false }),
            left,
        );

        let mut tfa = Vec::new();
        if data.devices.is_empty() {
            tfa.push(row(theme, &t.devices, t.no_devices.clone()));
        } else {
            for (i, d) in data.devices.iter().enumerate() {
                tfa.push(row(theme, if i == 0 { &t.devices } else { "" }, d.label.clone()));
            }
        }
        // One fact a line: at 80 columns a joined list wraps mid-phrase.
        for (i, method) in data.institution.permitted.iter().enumerate() {
            tfa.push(row(theme, if i == 0 { &t.permitted } else { "" }, method.label().to_owned()));
        }
        if data.institution.email_makes_codes_unusual() {
            tfa.push(Line::styled(texts().twofactor.email_permitted.clone(), theme.warning));
        }
        match &data.codes {
            None => tfa.push(row(theme, &t.backup, t.no_codes.clone())),
            Some(batch) => {
                let check = IdentityCheck::parse(&batch.identity_check)
                    .map_or(batch.identity_check.clone(), |c| c.short_label().to_owned());
                let unused =
                    fill(&t.unused, &[("unused", &batch.unused.to_string()), ("count", &batch.code_count.to_string())]);
                tfa.push(row(theme, &t.backup, unused));
                tfa.push(row(theme, &t.issued, format_utc(batch.created_at)));
                tfa.push(row(theme, &t.by, batch.generated_by.clone()));
                tfa.push(row(theme, &t.expires, batch.expires_at.map_or_else(|| t.never.clone(), format_utc)));
                tfa.push(row(theme, &t.identity, check));
            }
        }
        frame.render_widget(
            Paragraph::new(tfa).block(block(theme, &t.two_factor, true)).wrap(Wrap { trim: false }),
            right,
        );

        let line = Line::from(vec![
            Span::raw(" "),
            button(theme, &t.generate, self.focus == DetailAction::Generate, self.enabled(Command::Generate)),
            Span::raw("  "),
            button(theme, &t.revoke, self.focus == DetailAction::Revoke, self.enabled(Command::Revoke)),
        ]);
        frame.render_widget(Paragraph::new(line), actions);
        if let Some((line, good)) = self.request_line(viewer) {
            let style = if good { theme.ok } else { theme.warning };
            frame.render_widget(
                Paragraph::new(Line::styled(format!(" {}", shown(&line)), style)).wrap(Wrap { trim: true }),
                reason,
            );
        } else if let Some(refusal) = self.refusal() {
            frame.render_widget(
                Paragraph::new(Line::styled(format!(" {refusal}"), theme.danger)).wrap(Wrap { trim: true }),
                reason,
            );
        }
    }
}

/// The one wording for an action the signed-in staff may not take.
fn not_available(reason: &str) -> String {
    fill(&texts().detail.not_available, &[("reason", reason)])
}

fn row(theme: &Theme, label: &str, value: String) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{label:<10}"), theme.muted), Span::styled(shown(&value), theme.text)])
}
