//! Drawing. `view` reads the state and draws it; it changes nothing. Each pane draws
//! itself from its own state; this file lays out the header, the status line and the
//! footer around them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::texts::{fill, texts};
use crate::ui::app::{AdminPane, App, MIN_HEIGHT, MIN_WIDTH, Modal};
use crate::ui::keymap::{self, Command, Context};
use crate::ui::panes;
use crate::ui::text::{columns, safe};
use crate::ui::theme::Theme;

pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return too_small(app, frame, area);
    }
    let [header, body, status, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    let theme = &app.theme;
    draw_header(app, frame, header);
    match (&app.session, &app.lock) {
        (None, _) => {
            let hint = match (&app.sign_in_hint, demo_codes(app)) {
                (Some(hint), Some(codes)) => Some(format!("{hint}\n{codes}")),
                (hint, codes) => hint.clone().or(codes),
            };
            app.login.draw(frame, body, theme, hint.as_deref(), app.settings.ascii)
        }
        (Some(session), Some(lock)) => lock.draw(frame, body, theme, session),
        (Some(_), None) => {
            match (&app.admin, &app.codes, &app.detail) {
                (Some(AdminPane::Staff(pane)), ..) => pane.draw(frame, body, theme),
                (Some(AdminPane::Settings(pane)), ..) => pane.draw(frame, body, theme),
                (Some(AdminPane::Audit(pane)), ..) => pane.draw(frame, body, theme),
                (Some(AdminPane::Approvals(pane)), ..) => pane.draw(frame, body, theme),
                (None, Some(codes), _) => codes.draw(frame, body, theme, app.now),
                (None, None, Some(detail)) => detail.draw(frame, body, theme),
                (None, None, None) => app.users.draw(frame, body, theme),
            }
            match &app.modal {
                Some(Modal::Warning(w)) => w.draw(frame, body, theme),
                Some(Modal::Profile(form)) => form.draw(frame, body, theme),
                Some(Modal::Password(form)) => form.draw(frame, body, theme),
                Some(Modal::AuditEvent(event)) => panes::audit::draw_event(event, frame, body, theme),
                None => {}
            }
            if let Some(confirm) = &app.confirm {
                confirm.draw(frame, body, theme);
            }
        }
    }
    if app.help {
        panes::help::draw(frame, body, theme, app.context_below_help(), |command| app.available(command));
    }
    draw_status(app, frame, status);
    let footer_line = hints(theme, app.context(), |command| app.available(command), |command| app.enabled(command));
    frame.render_widget(Paragraph::new(footer_line), footer);
    // Every string above passed `safe`; this catches one that did not.
    crate::ui::text::guard(frame.buffer_mut());
    if app.settings.ascii {
        crate::ui::text::ascii(frame.buffer_mut());
    }
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let t = &texts().screen;
    let size = |n: u16| n.to_string();
    let needs = fill(
        &t.needs,
        &[
            ("min_width", &size(MIN_WIDTH)),
            ("min_height", &size(MIN_HEIGHT)),
            ("width", &size(area.width)),
            ("height", &size(area.height)),
        ],
    );
    let text = vec![
        Line::styled(texts().status.too_small.as_str(), app.theme.warning),
        Line::raw(needs),
        Line::raw(t.enlarge.as_str()),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn draw_header(app: &App, frame: &mut Frame, area: Rect) {
    let t = &texts().screen;
    let left =
        if app.institution.is_empty() { t.app.clone() } else { fill(&t.app_at, &[("institution", &app.institution)]) };
    let right = match &app.session {
        Some(s) if s.staff.is_admin() && app.pending_approvals > 0 => format!(
            "{}  {} ({}) ",
            fill(&texts().approvals.header_count, &[("count", &app.pending_approvals.to_string())]),
            safe(&s.name),
            s.staff.role.as_str()
        ),
        Some(s) => format!("{} ({}) ", safe(&s.name), s.staff.role.as_str()),
        None => format!("{} ", t.not_signed_in),
    };
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(columns(&right) as u16)]).areas(area);
    frame.render_widget(Paragraph::new(format!(" {}", safe(&left))).style(app.theme.title), l);
    frame.render_widget(Paragraph::new(right).style(app.theme.muted), r);
}

fn draw_status(app: &App, frame: &mut Frame, area: Rect) {
    let line = if let Some(busy) = app.busy {
        Line::styled(format!(" {busy}"), app.theme.warning)
    } else if let Some(status) = &app.status {
        Line::styled(format!(" {}", safe(&status.text)), if status.error { app.theme.danger } else { app.theme.ok })
    } else {
        Line::raw("")
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The footer: the context's main bindings from the one keymap; a command that cannot be
/// taken now is drawn dim.
pub fn hints(
    theme: &Theme,
    context: Context,
    available: impl Fn(Command) -> bool,
    enabled: impl Fn(Command) -> bool,
) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for binding in keymap::bindings(context).iter().filter(|b| b.footer && available(b.command)) {
        let (key, hint) =
            if enabled(binding.command) { (theme.key, theme.muted) } else { (theme.disabled, theme.disabled) };
        spans.push(Span::styled(binding.label(), key));
        spans.push(Span::styled(format!(" {}  ", binding.hint), hint));
    }
    Line::from(spans)
}

/// The demo staff's current authenticator codes, on the demo's sign-in screen only.
fn demo_codes(app: &App) -> Option<String> {
    if app.demo_factors.is_empty() {
        return None;
    }
    let now = crate::domain::time::now();
    let codes: Vec<String> =
        app.demo_factors.iter().map(|(user, secret)| format!("{user} {}", secret.code_at(now).as_str())).collect();
    Some(crate::texts::fill(&crate::texts::texts().login.demo_codes, &[("codes", &codes.join(" · "))]))
}
