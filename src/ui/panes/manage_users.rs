//! Manage Users: search as you type, one page of results from the database at a time.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::TableState;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use tui_textarea::TextArea;

use crate::domain::user::UserKind;
use crate::domain::user::{User, UserId, sort_key};
use crate::texts::texts;
use crate::ui::app::{App, Effect};
use crate::ui::fields::{field_text, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::view::block;

pub struct UserList {
    pub search: TextArea<'static>,
    pub search_focused: bool,
    pub rows: Vec<User>,
    pub table: TableState,
    /// The cursor each page starts after; the first page starts at the beginning.
    pub pages: Vec<Option<(String, UserId)>>,
    pub has_more: bool,
    pub loading: bool,
    pub seq: u64,
}

impl UserList {
    pub(crate) fn new() -> Self {
        Self {
            search: text_field("type a name, username, email or phone"),
            search_focused: false,
            rows: Vec::new(),
            table: TableState::default(),
            pages: vec![None],
            has_more: false,
            loading: false,
            seq: 0,
        }
    }

    pub fn page(&self) -> usize {
        self.pages.len() - 1
    }

    pub fn selected(&self) -> Option<&User> {
        self.table.selected().and_then(|i| self.rows.get(i))
    }
}

pub(crate) fn search_key(app: &mut App, key: KeyEvent, command: Option<Command>) -> Vec<Effect> {
    match command {
        Some(Command::Quit) => {
            app.quit = true;
            vec![]
        }
        Some(Command::Open) => {
            app.users.search_focused = false;
            vec![]
        }
        Some(Command::Back) => {
            app.users.search_focused = false;
            if field_text(&app.users.search).is_empty() {
                return vec![];
            }
            app.users.search = UserList::new().search;
            app.users.pages = vec![None];
            app.search_effect()
        }
        _ => {
            let before = field_text(&app.users.search);
            single_line_input(&mut app.users.search, key);
            if field_text(&app.users.search) != before {
                app.users.pages = vec![None];
                app.search_effect()
            } else {
                vec![]
            }
        }
    }
}

pub(crate) fn list_key(app: &mut App, command: Option<Command>) -> Vec<Effect> {
    let users = &mut app.users;
    match command {
        Some(Command::Quit) => app.quit = true,
        Some(Command::Help) => app.help = true,
        Some(Command::Search) => users.search_focused = true,
        Some(Command::Up) => {
            if let Some(i) = users.table.selected() {
                users.table.select(Some(i.saturating_sub(1)));
            }
        }
        Some(Command::Down) => {
            if let Some(i) = users.table.selected() {
                users.table.select(Some((i + 1).min(users.rows.len().saturating_sub(1))));
            }
        }
        Some(Command::NextPage) => {
            if users.has_more
                && let Some(last) = users.rows.last()
            {
                let cursor = (sort_key(&last.first_name, &last.last_name), last.id);
                users.pages.push(Some(cursor));
                return app.search_effect();
            }
            app.info(&texts().status.last_page);
        }
        Some(Command::PrevPage) => {
            if users.pages.len() > 1 {
                users.pages.pop();
                return app.search_effect();
            }
            app.info(&texts().status.first_page);
        }
        Some(Command::Refresh) => return app.search_effect(),
        Some(Command::Open) => {
            if let (Some(user), Some(session)) = (users.selected(), &app.session) {
                let effect = Effect::LoadDetail { session: session.clone(), user: user.id };
                app.detail = None;
                app.busy = Some(&texts().status.opening);
                return vec![effect];
            }
        }
        Some(Command::SignOut) => {
            if let Some(session) = app.session.clone() {
                app.signed_out(Some(texts().status.signed_out.clone()));
                return vec![Effect::SignOut { session }];
            }
        }
        _ => {}
    }
    vec![]
}

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
