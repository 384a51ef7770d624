//! Manage Users: search as you type, one page of results from the database at a time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::domain::user::UserKind;
use crate::ui::app::App;
use crate::ui::view::block;

pub fn draw(app: &App, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let users = &app.users;
    let [search, list, info] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(3), Constraint::Length(1)]).areas(body);

    let mut field = users.search.clone();
    field.set_block(block(theme, "Search users ( / )", users.search_focused));
    field.set_cursor_style(if users.search_focused { theme.selected } else { theme.text });
    frame.render_widget(&field, search);

    let wide = body.width >= 120;
    let header = if wide {
        Row::new(["Name", "Username", "Type", "Enrolment", "Phone", "Email"])
    } else {
        Row::new(["Name", "Username", "Type", "Enrolment", "Phone"])
    }
    .style(theme.title);
    let rows = users.rows.iter().map(|u| {
        let kind = match u.kind {
            UserKind::Customer => "customer",
            UserKind::Staff => "staff",
        };
        let phone = if u.has_international_phone() { format!("{} intl", u.phone) } else { u.phone.clone() };
        let mut cells = vec![
            Cell::from(u.full_name()),
            Cell::from(u.username.clone()),
            Cell::from(kind),
            Cell::from(u.enrolment.to_string()),
            Cell::from(phone),
        ];
        if wide {
            cells.push(Cell::from(u.email.clone()));
        }
        Row::new(cells)
    });
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Percentage(22),
            Constraint::Percentage(20),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(20),
            Constraint::Min(10),
        ]
    } else {
        vec![
            Constraint::Min(16),
            Constraint::Min(14),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(20),
        ]
    };
    let table = Table::new(rows, widths)
        .header(header)
        .block(block(theme, "Manage Users", !users.search_focused))
        .row_highlight_style(theme.selected)
        .highlight_symbol("› ");
    let mut state = users.table.clone();
    frame.render_stateful_widget(table, list, &mut state);

    let summary = if users.loading {
        "Searching…".to_owned()
    } else if users.rows.is_empty() {
        "No users match.".to_owned()
    } else {
        format!(
            "Page {} · {} shown{}",
            users.page() + 1,
            users.rows.len(),
            if users.has_more { " · more on the next page (n)" } else { "" }
        )
    };
    frame.render_widget(Paragraph::new(Line::styled(format!(" {summary}"), theme.muted)), info);
}
