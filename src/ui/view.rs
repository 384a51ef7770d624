//! Drawing. `view` reads the state and draws it; it changes nothing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::texts::texts;
use crate::ui::app::{App, MIN_HEIGHT, MIN_WIDTH, Modal};
use crate::ui::keymap::{self, Context};
use crate::ui::panes;
use crate::ui::theme::Theme;

pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return too_small(app, frame, area);
    }
    let [header, body, status, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    draw_header(app, frame, header);
    if app.session.is_none() {
        panes::login::draw(app, frame, body);
    } else if app.lock.is_some() {
        panes::login::draw_locked(app, frame, body);
    } else if app.codes.is_some() {
        panes::codes::draw(app, frame, body);
    } else if app.detail.is_some() {
        panes::user_detail::draw(app, frame, body);
    } else {
        panes::manage_users::draw(app, frame, body);
    }
    if app.lock.is_none() && app.session.is_some() {
        match &app.modal {
            Some(Modal::Warning(w)) => panes::warning::draw(app, w, frame, body),
            Some(Modal::Confirm(c)) => panes::confirm::draw(app, c, frame, body),
            None => {}
        }
    }
    if app.help {
        panes::help::draw(app, frame, body);
    }
    draw_status(app, frame, status);
    draw_footer(app, frame, footer);
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled(texts().status.too_small.as_str(), app.theme.warning),
        Line::raw(format!(
            "helpdesk needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
            area.width, area.height
        )),
        Line::raw("Enlarge the window to continue. Nothing has been lost."),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn draw_header(app: &App, frame: &mut Frame, area: Rect) {
    let left =
        if app.institution.is_empty() { "helpdesk".to_owned() } else { format!("helpdesk · {}", app.institution) };
    let right = match &app.session {
        Some(s) => format!("{} ({}) ", s.name, s.staff.role.as_str()),
        None => "not signed in ".to_owned(),
    };
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right.chars().count() as u16)]).areas(area);
    frame.render_widget(Paragraph::new(format!(" {left}")).style(app.theme.title), l);
    frame.render_widget(Paragraph::new(right).style(app.theme.muted), r);
}

fn draw_status(app: &App, frame: &mut Frame, area: Rect) {
    let line = if let Some(busy) = app.busy {
        Line::styled(format!(" {busy}"), app.theme.warning)
    } else if let Some(status) = &app.status {
        Line::styled(format!(" {}", status.text), if status.error { app.theme.danger } else { app.theme.ok })
    } else {
        Line::raw("")
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The footer: the current context's bindings marked for it, from the one keymap.
fn draw_footer(app: &App, frame: &mut Frame, area: Rect) {
    frame.render_widget(Paragraph::new(hints(&app.theme, app.context())), area);
}

pub fn hints(theme: &Theme, context: Context) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for binding in keymap::bindings(context).iter().filter(|b| b.footer) {
        spans.push(Span::styled(binding.label, theme.key));
        spans.push(Span::styled(format!(" {}  ", binding.hint), theme.muted));
    }
    Line::from(spans)
}

/// A box with a title; its border is brighter when it has the focus.
pub fn block<'a>(theme: &Theme, title: &'a str, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { theme.focus_border } else { theme.border })
        .title(Span::styled(format!(" {title} "), if focused { theme.focus_border } else { theme.title }))
}

/// A centred rectangle for a modal, no larger than the area.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}

/// Clears a modal's area and draws its frame; returns the inside.
pub fn modal_frame(frame: &mut Frame, area: Rect, title: &str, style: Style) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(style)
        .title(Span::styled(format!(" {title} "), style));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// `[ label ]`, reversed when focused, muted when unavailable.
pub fn button(theme: &Theme, label: &str, focused: bool, enabled: bool) -> Span<'static> {
    let style = match (focused, enabled) {
        (true, _) => theme.selected,
        (false, true) => theme.text,
        (false, false) => theme.muted,
    };
    Span::styled(format!("[ {label} ]"), style)
}
