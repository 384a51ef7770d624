//! A list read from the database a page at a time, by key: Manage Users and the audit log.
//! It keeps the rows on screen, the key each page starts after (so that going back is
//! exact), and the number of the latest request, so that an answer the person has typed
//! or paged past is dropped.

use ratatui::widgets::TableState;

use crate::texts::{fill, texts};
use crate::ui::keymap::Command;

pub struct KeyedPages<Row, Key> {
    pub rows: Vec<Row>,
    pub table: TableState,
    /// The key each page starts after; the first page starts at the beginning.
    pub starts: Vec<Option<Key>>,
    pub has_more: bool,
    pub loading: bool,
    /// The number of the latest request.
    pub seq: u64,
    page_size: i64,
}

/// What a key did to the list.
pub enum Paging {
    /// The selection moved.
    Moved,
    /// A new page is wanted: ask for it (`request`).
    Fetch,
    /// There is no page that way; say so.
    Edge(&'static str),
    /// Not a paging key.
    NotPaging,
}

impl<Row, Key: Clone> KeyedPages<Row, Key> {
    pub fn new(page_size: i64) -> Self {
        Self {
            rows: Vec::new(),
            table: TableState::default(),
            starts: vec![None],
            has_more: false,
            loading: false,
            seq: 0,
            page_size,
        }
    }

    /// The page on screen, from 0.
    pub fn page(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn selected(&self) -> Option<&Row> {
        self.table.selected().and_then(|i| self.rows.get(i))
    }

    /// A request for the current page: where it starts, how many rows (one more than a
    /// page tells whether there is a next one), and the request's number.
    pub fn request(&mut self) -> (Option<Key>, i64, u64) {
        self.seq += 1;
        self.loading = true;
        (self.starts.last().cloned().flatten(), self.page_size + 1, self.seq)
    }

    /// Back to the first page (a new search or filter).
    pub fn restart(&mut self) {
        self.starts = vec![None];
    }

    /// Takes the rows of a request; false for an answer to an older one.
    pub fn receive(&mut self, seq: u64, mut rows: Vec<Row>) -> bool {
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

    /// The selection and paging keys; `key_of` gives the key a row's successors start after.
    pub fn on_key(&mut self, command: Option<Command>, key_of: impl Fn(&Row) -> Key) -> Paging {
        match command {
            Some(Command::Up) => {
                if let Some(i) = self.table.selected() {
                    self.table.select(Some(i.saturating_sub(1)));
                }
                Paging::Moved
            }
            Some(Command::Down) => {
                if let Some(i) = self.table.selected() {
                    self.table.select(Some((i + 1).min(self.rows.len().saturating_sub(1))));
                }
                Paging::Moved
            }
            Some(Command::NextPage) => match self.rows.last() {
                Some(last) if self.has_more => {
                    self.starts.push(Some(key_of(last)));
                    Paging::Fetch
                }
                _ => Paging::Edge(&texts().status.last_page),
            },
            Some(Command::PrevPage) if self.starts.len() > 1 => {
                self.starts.pop();
                Paging::Fetch
            }
            Some(Command::PrevPage) => Paging::Edge(&texts().status.first_page),
            _ => Paging::NotPaging,
        }
    }

    /// "Page 2 · 50 shown · more on the next page (n)", or what the list is doing.
    pub fn summary(&self, loading: &str, none: &str) -> String {
        if self.loading {
            return loading.to_owned();
        }
        if self.rows.is_empty() {
            return none.to_owned();
        }
        let t = &texts().users;
        let page = fill(&t.page, &[("page", &(self.page() + 1).to_string()), ("shown", &self.rows.len().to_string())]);
        if self.has_more { page + &t.more } else { page }
    }
}
