//! The second factor on screen: the code after the password, the enrolment (a QR code of
//! the `otpauth://` URI drawn with half blocks, and the URI and secret as text for ASCII
//! terminals and apps that cannot scan), and the code prompt of the lock and the step-up.

use qrcode::{Color, EcLevel, QrCode};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color as Paint, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_textarea::TextArea;

use crate::desk::{FactorTicket, Session};
use crate::texts::{fill, texts};
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, centered, text_input};

/// The QR code of `text` as lines of half blocks, two modules a row, with a quiet zone of
/// one module; light modules white and dark ones black whatever the terminal's colours.
/// `None` when it does not fit (`max_width` columns).
pub fn qr_lines(text: &str, max_width: u16) -> Option<Vec<Line<'static>>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 1;
    let side = width + 2 * quiet;
    if side > max_width as usize {
        return None;
    }
    let dark = |x: usize, y: usize| -> bool {
        x >= quiet
            && y >= quiet
            && x < width + quiet
            && y < width + quiet
            && colors[(y - quiet) * width + (x - quiet)] == Color::Dark
    };
    let style = Style::default().fg(Paint::White).bg(Paint::Black);
    let lines = (0..side.div_ceil(2))
        .map(|row| {
            let text: String = (0..side)
                .map(|x| {
                    let (top, bottom) = (!dark(x, 2 * row), 2 * row + 1 < side && !dark(x, 2 * row + 1));
                    match (top, bottom) {
                        (true, true) => '█',
                        (true, false) => '▀',
                        (false, true) => '▄',
                        (false, false) => ' ',
                    }
                })
                .collect();
            Line::from(Span::styled(text, style))
        })
        .collect();
    Some(lines)
}

/// The sign-in's second step: the code prompt, or the enrolment.
pub fn draw_sign_in(
    frame: &mut Frame,
    body: Rect,
    theme: &Theme,
    ticket: &FactorTicket,
    code: &TextArea<'static>,
    error: Option<&str>,
    ascii: bool,
) {
    let t = &texts().factor;
    let (Some(uri), Some(secret)) = (ticket.enrolment_uri(), ticket.enrolment_secret()) else {
        let area = centered(body, 60, 10);
        let outer = block(theme, &t.title, true);
        let inner = outer.inner(area);
        frame.render_widget(outer, area);
        let [intro, field, message] =
            Layout::vertical([Constraint::Length(2), Constraint::Length(3), Constraint::Min(1)]).areas(inner);
        let said = fill(&t.ask, &[("username", ticket.username())]);
        frame.render_widget(Paragraph::new(shown(&said)).style(theme.text).wrap(Wrap { trim: true }), intro);
        text_input(frame, field, theme, &t.code, code, true);
        frame.render_widget(error_line(error, &t.sign_in_keys, theme), message);
        return;
    };
    let qr = if ascii { None } else { qr_lines(&uri, body.width.saturating_sub(30)) };
    let qr_width = qr.as_ref().and_then(|l| l.first()).map_or(0, |l| l.width() as u16);
    let qr_height = qr.as_ref().map_or(0, |l| l.len() as u16).min(body.height);
    let [left, right] = Layout::horizontal([Constraint::Length(qr_width), Constraint::Min(28)]).spacing(1).areas(body);
    if let Some(lines) = qr {
        let [top, _] = Layout::vertical([Constraint::Length(qr_height), Constraint::Min(0)]).areas(left);
        frame.render_widget(Paragraph::new(lines), top);
    }
    let outer = block(theme, &t.enrol_title, true);
    let inner = outer.inner(right);
    frame.render_widget(outer, right);
    let [intro, field, message] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(3), Constraint::Length(2)]).areas(inner);
    let how = if qr_width > 0 { &t.enrol_scan } else { &t.enrol_type };
    let mut lines = vec![
        Line::styled(shown(&fill(how, &[("username", ticket.username())])), theme.text),
        Line::raw(""),
        Line::from(vec![Span::styled(t.secret.clone(), theme.muted), Span::styled(group(&secret), theme.text)]),
    ];
    if qr_width == 0 {
        lines.push(Line::styled(shown(&uri), theme.muted));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), intro);
    text_input(frame, field, theme, &t.code, code, true);
    frame.render_widget(error_line(error, &t.sign_in_keys, theme), message);
}

/// The lock's and the step-up's code prompt: whose session, and why it asks.
pub fn draw_code(
    frame: &mut Frame,
    body: Rect,
    theme: &Theme,
    session: &Session,
    why: &str,
    code: &TextArea<'static>,
    error: Option<&str>,
) {
    let t = &texts().factor;
    let area = centered(body, 60, 11);
    let outer = block(theme, &t.title, true);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [intro, who, field, message] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(1), Constraint::Length(3), Constraint::Min(1)])
            .areas(inner);
    frame.render_widget(Paragraph::new(shown(why)).style(theme.text).wrap(Wrap { trim: true }), intro);
    let signed_in =
        fill(&texts().login.signed_in_as, &[("name", &session.name), ("username", &session.staff.username)]);
    frame.render_widget(Paragraph::new(shown(&signed_in)).style(theme.muted), who);
    text_input(frame, field, theme, &t.code, code, true);
    frame.render_widget(error_line(error, &t.keys, theme), message);
}

fn error_line(error: Option<&str>, keys: &str, theme: &Theme) -> Paragraph<'static> {
    let line = match error {
        Some(e) => Line::styled(shown(e), theme.danger),
        None => Line::styled(keys.to_owned(), theme.muted),
    };
    Paragraph::new(line).wrap(Wrap { trim: true })
}

/// A base32 secret in groups of four, as apps that take it typed show it.
fn group(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}
