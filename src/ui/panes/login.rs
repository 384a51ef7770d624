//! Staff sign-in, and the idle lock that asks for the password again.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::texts::texts;
use crate::ui::app::{App, LoginFocus};
use crate::ui::theme::Theme;
use crate::ui::view::{block, centered};

fn field(theme: &Theme, frame: &mut Frame, area: Rect, title: &str, text: &TextArea<'static>, focused: bool) {
    let mut text = text.clone();
    text.set_block(block(theme, title, focused));
    text.set_style(theme.text);
    // Only the focused field shows a cursor.
    text.set_cursor_style(if focused { theme.selected } else { theme.text });
    frame.render_widget(&text, area);
}

pub fn draw(app: &App, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let area = centered(body, 60, 14);
    let outer = block(theme, &texts().login.title, false);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [intro, user, pass, error] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(3), Constraint::Length(3), Constraint::Min(1)])
            .areas(inner);
    frame
        .render_widget(Paragraph::new(texts().login.intro.as_str()).style(theme.text).wrap(Wrap { trim: true }), intro);
    let form = &app.login;
    field(theme, frame, user, "Username", &form.username, form.focus == LoginFocus::Username);
    field(theme, frame, pass, "Password", &form.password, form.focus == LoginFocus::Password);
    let message = match (&form.error, &app.sign_in_hint) {
        (Some(e), _) => Line::styled(e.as_str(), theme.danger),
        (None, Some(hint)) => Line::styled(hint.as_str(), theme.muted),
        (None, None) => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);
}

pub fn draw_locked(app: &App, frame: &mut Frame, body: Rect) {
    let (Some(lock), Some(session)) = (&app.lock, &app.session) else { return };
    let theme = &app.theme;
    let area = centered(body, 60, 11);
    let outer = block(theme, "Locked", true);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [intro, who, pass, error] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(1), Constraint::Length(3), Constraint::Min(1)])
            .areas(inner);
    frame.render_widget(
        Paragraph::new(texts().login.locked.as_str()).style(theme.text).wrap(Wrap { trim: true }),
        intro,
    );
    frame.render_widget(
        Paragraph::new(format!("Signed in as {} ({})", session.name, session.staff.username)).style(theme.muted),
        who,
    );
    field(theme, frame, pass, "Password", &lock.password, true);
    let message = match &lock.error {
        Some(e) => Line::styled(e.as_str(), theme.danger),
        None if lock.wiped_codes => Line::styled(
            "The backup codes that were on screen have been wiped; they cannot be shown again.",
            theme.warning,
        ),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), error);
}
