//! The audit log (admin-level only): newest first, a page at a time from the database,
//! filtered by actor, target, action and a date range; Enter shows one event whole.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use tui_textarea::TextArea;

use crate::domain::audit::{AuditAction, AuditEvent, AuditFilter};
use crate::domain::time::{format_utc, parse_instant};
use crate::texts::{fill, texts};
use crate::ui::fields::{clean_paste, field_text, select_all, single_line_input, text_field};
use crate::ui::keymap::Command;
use crate::ui::msg::Outcome;
use crate::ui::paging::{KeyedPages, Paging};
use crate::ui::text::shown;
use crate::ui::theme::Theme;
use crate::ui::widgets::{block, centered, modal_frame, text_input};

const FILTER_MAX: usize = 64;

pub struct AuditPane {
    /// Actor, target, action, since, until.
    pub filters: [TextArea<'static>; 5],
    /// The filter field being typed in; `None` while the list has the keys.
    pub editing: Option<usize>,
    pub applied: AuditFilter,
    /// The events on screen, newest first, paged by the id each page starts before.
    pub list: KeyedPages<AuditEvent, i64>,
}

impl AuditPane {
    pub fn new(page_size: i64) -> Self {
        let hints = &texts().audit.filter_hints;
        Self {
            filters: [0, 1, 2, 3, 4].map(|i| text_field(&hints[i])),
            editing: None,
            applied: AuditFilter::default(),
            list: KeyedPages::new(page_size),
        }
    }

    /// Asks for the current page under the applied filter.
    pub fn fetch(&mut self) -> Outcome {
        let (before, limit, seq) = self.list.request();
        Outcome::LoadAudit { filter: self.applied.clone(), before, limit, seq }
    }

    /// The filter as typed, or the sentence that says which field is wrong.
    fn parse_filter(&self) -> Result<AuditFilter, String> {
        let t = &texts().audit;
        let text = |i: usize| Some(field_text(&self.filters[i]).trim().to_owned()).filter(|s| !s.is_empty());
        let action = match text(2) {
            None => None,
            Some(a) => Some(AuditAction::parse(&a).ok_or_else(|| fill(&t.bad_action, &[("action", &a)]))?),
        };
        let instant = |i: usize, name: &str| match text(i) {
            None => Ok(None),
            Some(v) => parse_instant(&v).map(Some).ok_or_else(|| fill(&t.bad_date, &[("field", name)])),
        };
        Ok(AuditFilter {
            actor: text(0).map(|s| s.to_lowercase()),
            target: text(1).map(|s| s.to_lowercase()),
            action,
            since: instant(3, &t.filter_labels[3])?,
            until: instant(4, &t.filter_labels[4])?,
        })
    }

    pub fn typing(&self) -> bool {
        self.editing.is_some()
    }

    pub fn on_key(&mut self, key: KeyEvent, command: Option<Command>) -> Outcome {
        if let Some(i) = self.editing {
            return match command {
                Some(Command::NextFocus) => {
                    self.editing = Some((i + 1) % 5);
                    Outcome::Nothing
                }
                Some(Command::PrevFocus) => {
                    self.editing = Some((i + 4) % 5);
                    Outcome::Nothing
                }
                Some(Command::Back) => {
                    self.editing = None;
                    Outcome::Nothing
                }
                Some(Command::Activate) => match self.parse_filter() {
                    Ok(filter) => {
                        self.editing = None;
                        self.applied = filter;
                        self.list.restart();
                        self.fetch()
                    }
                    Err(message) => Outcome::error(message),
                },
                _ => {
                    single_line_input(&mut self.filters[i], key);
                    Outcome::Nothing
                }
            };
        }
        match self.list.on_key(command, |event| event.id) {
            Paging::Fetch => return self.fetch(),
            Paging::Edge(text) => return Outcome::info(text),
            Paging::Moved => return Outcome::Nothing,
            Paging::NotPaging => {}
        }
        match command {
            Some(Command::Search) => {
                self.editing = Some(0);
                select_all(&mut self.filters[0]);
            }
            Some(Command::Open) => {
                if let Some(event) = self.list.selected() {
                    return Outcome::ShowAuditEvent(Box::new(event.clone()));
                }
            }
            Some(Command::Refresh) => return self.fetch(),
            Some(Command::Back) => return Outcome::Close(None),
            Some(Command::Help) => return Outcome::Help,
            Some(Command::Quit) => return Outcome::Quit,
            _ => {}
        }
        Outcome::Nothing
    }

    pub fn on_paste(&mut self, text: &str) -> Outcome {
        match self.editing {
            Some(i) => {
                self.filters[i].insert_str(clean_paste(text, FILTER_MAX));
                Outcome::Nothing
            }
            None => Outcome::info(&texts().status.paste_ignored),
        }
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, theme: &Theme) {
        let t = &texts().audit;
        let [filters, list, info] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(3), Constraint::Length(1)]).areas(body);
        let cells = Layout::horizontal([Constraint::Ratio(1, 5); 5]).split(filters);
        for i in 0..5 {
            text_input(frame, cells[i], theme, &t.filter_labels[i], &self.filters[i], self.editing == Some(i));
        }
        let wide = body.width >= 120;
        let columns = if wide { &t.columns[..] } else { &t.columns[..4] };
        let header = Row::new(columns.iter().map(String::as_str)).style(theme.title);
        let rows = self.list.rows.iter().map(|e| {
            let mut cells = vec![
                Cell::from(format_utc(e.at)),
                Cell::from(shown(&e.actor)),
                Cell::from(shown(&e.action)),
                Cell::from(shown(&e.target)),
            ];
            if wide {
                cells.push(Cell::from(shown(e.detail.as_deref().unwrap_or_default())));
            }
            Row::new(cells)
        });
        let widths: Vec<Constraint> = if wide {
            vec![
                Constraint::Length(21),
                Constraint::Length(16),
                Constraint::Length(26),
                Constraint::Length(18),
                Constraint::Min(10),
            ]
        } else {
            vec![Constraint::Length(21), Constraint::Min(12), Constraint::Length(26), Constraint::Min(10)]
        };
        let table = Table::new(rows, widths)
            .header(header)
            .block(block(theme, &t.title, !self.typing()))
            .row_highlight_style(theme.selected)
            .highlight_symbol("› ");
        let mut state = self.list.table.clone();
        frame.render_stateful_widget(table, list, &mut state);
        let summary = self.list.summary(&t.loading, &t.none);
        frame.render_widget(Paragraph::new(Line::styled(format!(" {summary}"), theme.muted)), info);
    }
}

/// One event, whole, over the list.
pub fn draw_event(event: &AuditEvent, frame: &mut Frame, body: Rect, theme: &Theme) {
    let t = &texts().audit;
    let area = centered(body, 76, 18);
    let inner = modal_frame(frame, area, &fill(&t.event_title, &[("id", &event.id.to_string())]), theme.title);
    let none = || "–".to_owned();
    let fields = [
        (&t.fields[0], format!("{} ({})", format_utc(event.at), event.at_utc)),
        (&t.fields[1], event.actor.clone()),
        (&t.fields[2], event.action.clone()),
        (&t.fields[3], event.target.clone()),
        (&t.fields[4], event.identity_check.clone().unwrap_or_else(none)),
        (&t.fields[5], event.note.clone().unwrap_or_else(none)),
        (&t.fields[6], event.code_count.map_or_else(none, |n| n.to_string())),
        (&t.fields[7], event.expires_at.map_or_else(none, format_utc)),
        (&t.fields[8], event.detail.clone().unwrap_or_else(none)),
    ];
    let mut lines: Vec<Line> = fields
        .into_iter()
        .map(|(label, value)| {
            Line::from(vec![Span::styled(format!("{label:<15}"), theme.muted), Span::styled(shown(&value), theme.text)])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(t.close_hint.as_str(), theme.muted));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
