//! Manage Users: search as you type, one page of results from the database at a time.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::TableState;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use tui_textarea::TextArea;

use crate::domain::user::{User, UserId, UserKind, sort_key};
use crate::store::UserQuery;
use crate::texts::{fill, texts};
use crate::ui::fields::{clean_paste, field_text, select_all, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::{AdminScreen, Outcome};
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, text_input};

/// The longest search a paste may type.
const SEARCH_MAX: usize = 100;

pub struct UserList {
    pub search: TextArea<'static>,
    pub search_focused: bool,
    pub rows: Vec<User>,
    pub table: TableState,
    /// The cursor each page starts after; the first page starts at the beginning.
    pub pages: Vec<Option<(String, UserId)>>,
    pub has_more: bool,
    pub loading: bool,
    /// The number of the latest search asked for; older answers are dropped.
    pub seq: u64,
    page_size: i64,
}

impl UserList {
    pub fn new(page_size: i64) -> Self {
        Self {
            search: text_field(&texts().users.search_hint),
            search_focused: false,
            rows: Vec::new(),
            table: TableState::default(),
            pages: vec![None],
            has_more: false,
            loading: false,
            seq: 0,
            page_size,
        }
    }

    pub fn page(&self) -> usize {
        self.pages.len() - 1
    }

    pub fn selected(&self) -> Option<&User> {
        self.table.selected().and_then(|i| self.rows.get(i))
    }

    /// Asks for the current page of the current search.
    pub fn fetch(&mut self) -> Outcome {
        self.seq += 1;
        self.loading = true;
        let query = UserQuery {
            text: field_text(&self.search),
            after: self.pages.last().cloned().flatten(),
            // One more than a page tells whether there is a next page.
            limit: self.page_size + 1,
        };
        Outcome::Search { query, seq: self.seq }
    }

    /// Starts the search over from its first page.
    fn restart(&mut self) -> Outcome {
        self.pages = vec![None];
        self.fetch()
    }

    /// Takes the rows of a search; false for an answer to a search typed past since.
    pub fn receive(&mut self, seq: u64, mut rows: Vec<User>) -> bool {
        if seq != self.seq {
            return false;
        }
        self.loading = false;
        self.has_more = rows.len() as i64 > self.page_size;
        rows.truncate(self.page_size as usize);
        self.table.select(if rows.is_empty() { None } else { Some(0) });
        self.rows = rows;
        true
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
        match command {
            Some(Command::Quit) => return Outcome::Quit,
            Some(Command::Help) => return Outcome::Help,
            Some(Command::Search) => {
                // The previous search is selected: typing replaces it, an arrow keeps it.
                self.search_focused = true;
                select_all(&mut self.search);
            }
            Some(Command::Up) => {
                if let Some(i) = self.table.selected() {
                    self.table.select(Some(i.saturating_sub(1)));
                }
            }
            Some(Command::Down) => {
                if let Some(i) = self.table.selected() {
                    self.table.select(Some((i + 1).min(self.rows.len().saturating_sub(1))));
                }
            }
            Some(Command::NextPage) => {
                if self.has_more
                    && let Some(last) = self.rows.last()
                {
                    let cursor = (sort_key(&last.first_name, &last.last_name), last.id);
                    self.pages.push(Some(cursor));
                    return self.fetch();
                }
                return Outcome::info(&texts().status.last_page);
            }
            Some(Command::PrevPage) => {
                if self.pages.len() > 1 {
                    self.pages.pop();
                    return self.fetch();
                }
                return Outcome::info(&texts().status.first_page);
            }
            Some(Command::Refresh) => return self.fetch(),
            Some(Command::Open) => {
                if let Some(user) = self.selected() {
                    return Outcome::OpenUser(user.id);
                }
            }
            Some(Command::SignOut) => return Outcome::SignOut,
            Some(Command::OpenStaff) => return Outcome::Open(AdminScreen::Staff),
            Some(Command::OpenSettings) => return Outcome::Open(AdminScreen::Settings),
            Some(Command::OpenAudit) => return Outcome::Open(AdminScreen::Audit),
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
        let rows = self.rows.iter().map(|u| {
            let kind = match u.kind {
                UserKind::Customer => t.customer.as_str(),
                UserKind::Staff => t.staff.as_str(),
            };
            let phone = if u.has_international_phone() {
                fill(&t.international, &[("phone", &u.phone)])
            } else {
                u.phone.clone()
            };
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
            .block(block(theme, &t.title, !self.search_focused))
            .row_highlight_style(theme.selected)
            .highlight_symbol("› ");
        let mut state = self.table.clone();
        frame.render_stateful_widget(table, list, &mut state);

        let summary = if self.loading {
            t.searching.clone()
        } else if self.rows.is_empty() {
            t.none.clone()
        } else {
            let page =
                fill(&t.page, &[("page", &(self.page() + 1).to_string()), ("shown", &self.rows.len().to_string())]);
            if self.has_more { page + &t.more } else { page }
        };
        frame.render_widget(Paragraph::new(Line::styled(format!(" {summary}"), theme.muted)), info);
    }
}
