//! The one "are you sure" for leaving the code view and for revoking.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::texts::texts;
use crate::ui::app::{App, Effect, Modal, reload_detail};
use crate::ui::keymap::Command;
use crate::ui::view::{button, centered, modal_frame};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKind {
    /// Leave the one-time code view (the codes are wiped).
    LeaveCodes,
    /// Revoke the user's unused codes.
    Revoke,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirm {
    pub kind: ConfirmKind,
    /// Focus starts on the safe button.
    pub on_yes: bool,
}

pub(crate) fn confirm_key(app: &mut App, command: Option<Command>) -> Vec<Effect> {
    let Some(Modal::Confirm(confirm)) = &mut app.modal else { return vec![] };
    match command {
        Some(Command::NextFocus) => confirm.on_yes = !confirm.on_yes,
        Some(Command::Back) => app.modal = None,
        Some(Command::Activate) if !confirm.on_yes => app.modal = None,
        Some(Command::Activate) => {
            let kind = confirm.kind;
            app.modal = None;
            match kind {
                ConfirmKind::LeaveCodes => {
                    app.wipe_codes();
                    app.info(&texts().status.codes_wiped);
                    return reload_detail(app);
                }
                ConfirmKind::Revoke => {
                    if let (Some(session), Some(d)) = (&app.session, &app.detail) {
                        let effect = Effect::Revoke { session: session.clone(), user: d.data.user.id };
                        app.busy = Some(&texts().status.revoking);
                        return vec![effect];
                    }
                }
            }
        }
        _ => {}
    }
    vec![]
}

pub fn draw(app: &App, confirm: &Confirm, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let (title, text, stay, go) = match confirm.kind {
        ConfirmKind::LeaveCodes => ("Leave the codes?", texts().codes.leave.as_str(), "Stay", "Leave and wipe"),
        ConfirmKind::Revoke => (texts().revoke.title.as_str(), texts().revoke.body.as_str(), "Cancel", "Revoke"),
    };
    let area = centered(body, 64, 8);
    let inner = modal_frame(frame, area, title, theme.warning);
    let [msg, buttons] = Layout::vertical([Constraint::Min(2), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(text).style(theme.text).wrap(Wrap { trim: true }), msg);
    let line = Line::from(vec![
        button(theme, stay, !confirm.on_yes, true),
        Span::raw("   "),
        button(theme, go, confirm.on_yes, true),
    ]);
    frame.render_widget(Paragraph::new(line).centered(), buttons);
}
