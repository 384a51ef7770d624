//! User detail: the profile and the Two-Factor Authentication section, with the actions
//! Generate Backup Codes and Revoke. An action the staff may not take shows why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::desk::UserDetail;
use crate::domain::audit::IdentityCheck;
use crate::domain::time::format_utc;
use crate::domain::user::UserKind;
use crate::texts::texts;
use crate::ui::app::{App, Confirm, ConfirmKind, Effect, Modal, reload_detail};
use crate::ui::keymap::Command;
use crate::ui::panes::warning::Warning;
use crate::ui::theme::Theme;
use crate::ui::view::{block, button};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailAction {
    Generate,
    Revoke,
}

pub struct Detail {
    pub data: UserDetail,
    pub focus: DetailAction,
}

pub(crate) fn detail_key(app: &mut App, command: Option<Command>) -> Vec<Effect> {
    let Some(detail) = &mut app.detail else { return vec![] };
    let action = match command {
        Some(Command::Quit) => {
            app.quit = true;
            return vec![];
        }
        Some(Command::Help) => {
            app.help = true;
            return vec![];
        }
        Some(Command::Back) => {
            app.detail = None;
            return vec![];
        }
        Some(Command::Refresh) => return reload_detail(app),
        Some(Command::NextFocus) | Some(Command::PrevFocus) => {
            detail.focus = match detail.focus {
                DetailAction::Generate => DetailAction::Revoke,
                DetailAction::Revoke => DetailAction::Generate,
            };
            return vec![];
        }
        Some(Command::Generate) => DetailAction::Generate,
        Some(Command::Revoke) => DetailAction::Revoke,
        Some(Command::Activate) => detail.focus,
        _ => return vec![],
    };
    detail.focus = action;
    if let Err(refusal) = detail.data.may_manage_codes {
        app.error(format!("Not available: {refusal}"));
        return vec![];
    }
    match action {
        DetailAction::Generate => app.modal = Some(Modal::Warning(Box::new(Warning::new(&detail.data)))),
        DetailAction::Revoke => {
            if detail.data.codes.is_none() {
                app.info(&texts().status.nothing_to_revoke);
            } else {
                app.modal = Some(Modal::Confirm(Confirm { kind: ConfirmKind::Revoke, on_yes: false }));
            }
        }
    }
    vec![]
}

fn row(theme: &Theme, label: &str, value: String) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{label:<10}"), theme.muted), Span::styled(value, theme.text)])
}

pub fn draw(app: &App, frame: &mut Frame, body: Rect) {
    let Some(detail) = &app.detail else { return };
    let theme = &app.theme;
    let data = &detail.data;
    let user = &data.user;
    let [panels, actions, reason] =
        Layout::vertical([Constraint::Min(8), Constraint::Length(1), Constraint::Length(2)]).areas(body);
    let profile_width = (body.width * 2 / 5).max(40);
    let [left, right] = Layout::horizontal([Constraint::Length(profile_width), Constraint::Min(38)]).areas(panels);

    let kind = match user.kind {
        UserKind::Customer => "customer".to_owned(),
        UserKind::Staff => format!("staff, {}", user.role.map_or("", |r| r.as_str())),
    };
    let phone = if user.has_international_phone() { format!("{} intl", user.phone) } else { user.phone.clone() };
    let profile = vec![
        row(theme, "Name", user.full_name()),
        row(theme, "Username", user.username.clone()),
        row(theme, "Type", kind),
        row(theme, "Email", user.email.clone()),
        row(theme, "Phone", phone),
        row(theme, "Enrolment", user.enrolment.to_string()),
        row(theme, "Created", format_utc(user.created_at)),
    ];
    frame.render_widget(Paragraph::new(profile).block(block(theme, "Profile", false)).wrap(Wrap { trim: false }), left);

    let mut tfa = Vec::new();
    if data.devices.is_empty() {
        tfa.push(row(theme, "Devices", "none enrolled".into()));
    } else {
        for (i, d) in data.devices.iter().enumerate() {
            tfa.push(row(theme, if i == 0 { "Devices" } else { "" }, d.label.clone()));
        }
    }
    let permitted = data.institution.permitted.iter().map(|m| m.label()).collect::<Vec<_>>().join(", ");
    tfa.push(row(theme, "Permitted", permitted));
    if data.institution.email_makes_codes_unusual() {
        tfa.push(Line::styled(texts().twofactor.email_permitted.clone(), theme.warning));
    }
    match &data.codes {
        None => tfa.push(row(theme, "Backup", "no active backup codes".into())),
        Some(batch) => {
            let check = IdentityCheck::parse(&batch.identity_check)
                .map_or(batch.identity_check.clone(), |c| c.short_label().to_owned());
            tfa.push(row(theme, "Backup", format!("{} of {} unused", batch.unused, batch.code_count)));
            tfa.push(row(theme, "Issued", format_utc(batch.created_at)));
            tfa.push(row(theme, "By", batch.generated_by.clone()));
            tfa.push(row(theme, "Expires", batch.expires_at.map_or_else(|| "never".to_owned(), format_utc)));
            tfa.push(row(theme, "Identity", check));
        }
    }
    frame.render_widget(
        Paragraph::new(tfa).block(block(theme, "Two-Factor Authentication", true)).wrap(Wrap { trim: false }),
        right,
    );

    let enabled = data.may_manage_codes.is_ok();
    let line = Line::from(vec![
        Span::raw(" "),
        button(theme, "Generate Backup Codes", detail.focus == DetailAction::Generate, enabled),
        Span::raw("  "),
        button(theme, "Revoke", detail.focus == DetailAction::Revoke, enabled && data.codes.is_some()),
    ]);
    frame.render_widget(Paragraph::new(line), actions);
    if let Err(refusal) = data.may_manage_codes {
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" Not available to you: {refusal}"), theme.danger))
                .wrap(Wrap { trim: true }),
            reason,
        );
    }
}
