//! Manage Users: search as you type, one page of results from the database at a time.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use tui_textarea::TextArea;

use crate::domain::phone::HomeRegion;
use crate::domain::search::UserQuery;
use crate::domain::user::{User, UserId, UserKind, sort_key};
use crate::texts::texts;
use crate::ui::fields::{clean_paste, field_text, select_all, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::{AdminScreen, Outcome};
use crate::ui::paging::{KeyedPages, Paging};
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, text_input};

/// The longest search a paste may type.
const SEARCH_MAX: usize = 100;

pub struct UserList {
    pub search: TextArea<'static>,
    pub search_focused: bool,
    /// The users on screen, paged by (`sort_key`, id).
    pub list: KeyedPages<User, (String, UserId)>,
    /// The region a phone number is marked international from.
    home_region: HomeRegion,
}

impl UserList {
    pub fn new(page_size: i64, home_region: HomeRegion) -> Self {
        Self {
            search: text_field(&texts().users.search_hint),
            search_focused: false,
            list: KeyedPages::new(page_size),
            home_region,
        }
    }

    /// Asks for the current page of the current search.
    pub fn fetch(&mut self) -> Outcome {
        let (after, limit, seq) = self.list.request();
        Outcome::Search { query: UserQuery { text: field_text(&self.search), after, limit }, seq }
    }

    /// Starts the search over from its first page.
    fn restart(&mut self) -> Outcome {
        self.list.restart();
        self.fetch()
    }

    /// Keys while the search box has the focus: typing searches at once.
    pub fn on_search_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        match command {
            Some(Command::Quit) => Outcome::Quit,
            Some(Command::Open) => {
                self.search_focused = false;
                Outcome::Nothing
            }
            Some(Command::Back) => {
                self.search_focused = false;
                if field_text(&self.search).is_empty() {
                    return Outcome::Nothing;
                }
                self.search = text_field(&texts().users.search_hint);
                self.restart()
            }
            _ => {
                let before = field_text(&self.search);
                single_line_input(&mut self.search, key);
                if field_text(&self.search) != before { self.restart() } else { Outcome::Nothing }
            }
        }
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        self.search.insert_str(clean_paste(text, SEARCH_MAX));
        self.restart()
    }

    /// Keys while the list has the focus.
    pub fn on_list_key(&mut self, command: Option<Command>) -> Outcome {
        match self.list.on_key(command, |u| (sort_key(&u.first_name, &u.last_name), u.id)) {
            Paging::Fetch => return self.fetch(),
            Paging::Edge(text) => return Outcome::info(text),
            Paging::Moved => return Outcome::Nothing,
            Paging::NotPaging => {}
        }
        match command {
            Some(Command::Quit) => return Outcome::Quit,
            Some(Command::Help) => return Outcome::Help,
            Some(Command::Search) => {
                // The previous search is selected: typing replaces it, an arrow keeps it.
                self.search_focused = true;
                select_all(&mut self.search);
            }
            Some(Command::Refresh) => return self.fetch(),
            Some(Command::Open) => {
                if let Some(user) = self.list.selected() {
                    return Outcome::OpenUser(user.id);
                }
            }
            Some(Command::SignOut) => return Outcome::SignOut,
            Some(Command::OpenStaff) => return Outcome::Open(AdminScreen::Staff),
            Some(Command::OpenSettings) => return Outcome::Open(AdminScreen::Settings),
            Some(Command::OpenAudit) => return Outcome::Open(AdminScreen::Audit),
            Some(Command::OpenApprovals) => return Outcome::Open(AdminScreen::Approvals),
            _ => {}
        }
        Outcome::Nothing
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let t = &texts().users;
        let [search, list, info] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(3), Constraint::Length(1)]).areas(body);

        text_input(frame, search, theme, &t.search_title, &self.search, self.search_focused);

        // The email column only where there is room for it.
        let wide = body.width >= 120;
        let columns = if wide { &t.columns[..] } else { &t.columns[..5] };
        let header = Row::new(columns.iter().map(String::as_str)).style(theme.title);
        let rows = self.list.rows.iter().map(|u| {
            let kind = match u.kind {
                UserKind::Customer => t.customer.as_str(),
                UserKind::Staff => t.staff.as_str(),
            };
            let phone = crate::ui::text::phone(&u.phone, &u.phone_form, self.home_region, wide);
            let mut cells = vec![
                Cell::from(shown(&u.full_name())),
                Cell::from(shown(&u.username)),
                Cell::from(kind),
                Cell::from(u.enrolment.to_string()),
                Cell::from(phone),
            ];
            if wide {
                cells.push(Cell::from(shown(&u.email)));
            }
            Row::new(cells)
        });
        let widths: Vec<Constraint> = if wide {
            vec![
                Constraint::Percentage(22),
                Constraint::Percentage(20),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(34),
                Constraint::Min(10),
            ]
        } else {
            vec![
                Constraint::Min(14),
                Constraint::Min(12),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(25),
            ]
        };
        let table = Table::new(rows, widths)
            .header(header)
            .block(block(theme, &t.title, !self.search_focused))
            .row_highlight_style(theme.selected)
            .highlight_symbol("› ");
        let mut state = self.list.table.clone();
        frame.render_stateful_widget(table, list, &mut state);

        let summary = self.list.summary(&t.searching, &t.none);
        frame.render_widget(Paragraph::new(Line::styled(format!(" {summary}"), theme.muted)), info);
    }
}
