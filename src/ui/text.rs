//! The text boundary: every string that did not come from `assets/` passes `safe` before
//! it is drawn. Names, emails and notes are written by other systems too (a customer's
//! name is attacker-controlled), and ratatui hands a span's characters to the terminal as
//! they are: an ESC in a name would be obeyed. Here it is shown instead.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use unicode_width::UnicodeWidthStr;

use crate::domain::phone::{self, HomeRegion, Shown, StoredForm};
use crate::domain::text::{is_hidden, visible};
use crate::texts::{fill, texts};

pub use crate::domain::text::HIDDEN;

/// The text boundary: `domain::text::visible`, the one function the command line's output
/// passes too.
pub fn safe(text: &str) -> Cow<'_, str> {
    visible(text)
}

/// `safe`, owned: for spans and cells that outlive the row they came from.
pub fn shown(text: &str) -> String {
    safe(text).into_owned()
}

/// A stored phone number as the panes show it: grouped with its region's name (`long`)
/// or code, marked when it is international from `home`, flagged when another system
/// stored something that is not a valid number. From the form stored beside it when that
/// is the same number (`phone::shown_stored`), so drawing loads no libphonenumber rules.
/// Passed through `safe`.
pub fn phone(stored: &str, form: &StoredForm, home: HomeRegion, long: bool) -> String {
    let t = &texts().users;
    let shown = phone::shown_stored(stored, form);
    let line = match &shown {
        Shown::None => return String::new(),
        Shown::Unreadable(raw) => return fill(&t.phone_unreadable, &[("phone", &safe(raw))]),
        Shown::Valid { .. } if long => shown.line(),
        Shown::Valid { grouped, region, .. } => format!("{grouped} {region}"),
    };
    if shown.is_international(home) { fill(&t.international, &[("phone", &line)]) } else { line }
}

/// Display columns of `text` as drawn (CJK and emoji take two, marks none).
pub fn columns(text: &str) -> usize {
    safe(text).width()
}

/// The last line of defence, after a frame is drawn: a cell whose symbol still holds a
/// hidden character (a string that missed `safe`) gets its visible form. A joiner stays.
pub fn guard(buffer: &mut Buffer) {
    for cell in buffer.content.iter_mut() {
        let drawn = |c: char| !is_hidden(c) || crate::domain::text::is_joiner_control(c);
        let symbol = cell.symbol();
        if !symbol.chars().all(drawn) {
            let visible: String = symbol.chars().filter(|&c| drawn(c)).collect();
            let visible = if visible.is_empty() { HIDDEN.to_string() } else { visible };
            cell.set_symbol(&visible);
        }
    }
}

/// For a terminal whose locale is not UTF-8: every cell drawn in ASCII. Box drawing
/// becomes `+ - |`, a control picture `^` (so ESC reads `^[` as in caret notation), the
/// code mask `*`, and any other character the first ASCII letter of its transliteration
/// (`deunicode`), or `?`. Runs after the frame is drawn, so layout is unchanged.
pub fn ascii(buffer: &mut Buffer) {
    for cell in buffer.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        let first = symbol.chars().next().unwrap_or(' ');
        let plain = match first {
            '\u{2500}'..='\u{257F}' => box_drawing(first),
            '\u{2400}'..='\u{2421}' => '^',
            '•' | '●' => '*',
            '›' | '→' => '>',
            '·' | '…' => '.',
            '⚠' | '⚑' => '!',
            _ => deunicode::deunicode(symbol).chars().find(char::is_ascii_graphic).unwrap_or('?'),
        };
        cell.set_char(plain);
    }
}

fn box_drawing(c: char) -> char {
    match c {
        '─' | '━' | '═' | '┄' | '┅' | '┈' | '┉' | '╌' | '╍' | '╴' | '╶' | '╸' | '╺' => '-',
        '│' | '┃' | '║' | '┆' | '┇' | '┊' | '┋' | '╎' | '╏' | '╵' | '╷' | '╹' | '╻' => '|',
        _ => '+',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_never_obeyed() {
        assert_eq!(safe("Ann"), Cow::Borrowed("Ann"));
        assert_eq!(safe("A\u{1b}[8mB"), "A␛[8mB");
        assert_eq!(safe("x\u{1b}]52;c;aGk=\u{7}"), "x␛]52;c;aGk=␇");
        assert_eq!(safe("a\u{202e}b"), "a\u{FFFD}b");
        assert_eq!(safe("a\u{9b}b\u{7f}"), "a\u{FFFD}b␡");
        assert_eq!(safe("line\u{2028}two"), "line\u{FFFD}two");
        // A joiner between Devanagari letters is part of the name; at an edge it is not.
        assert_eq!(safe("क\u{200d}ष"), "क\u{200d}ष");
        assert_eq!(safe("\u{200d}Ann"), "\u{FFFD}Ann");
    }

    #[test]
    fn widths_are_columns() {
        assert_eq!(columns("田中"), 4);
        assert_eq!(columns("e\u{301}"), 1);
        assert_eq!(columns("a\u{1b}b"), 3);
    }

    #[test]
    fn ascii_mode_draws_only_ascii() {
        use ratatui::layout::Rect;
        let mut buffer = Buffer::empty(Rect::new(0, 0, 24, 1));
        buffer.set_string(0, 0, "┏━┓║╔•›␛[8mJosé 田中·…", ratatui::style::Style::default());
        ascii(&mut buffer);
        let line: String = buffer.content.iter().map(|c| c.symbol()).collect();
        assert!(line.is_ascii(), "{line:?}");
        assert!(line.starts_with("+-+|+*>^[8mJose "), "{line:?}");
    }

    #[test]
    fn the_guard_cleans_a_drawn_buffer() {
        use ratatui::layout::Rect;
        let mut buffer = Buffer::empty(Rect::new(0, 0, 6, 1));
        buffer.set_string(0, 0, "ab", ratatui::style::Style::default());
        buffer[(1, 0)].set_symbol("b\u{1b}");
        guard(&mut buffer);
        assert_eq!(buffer[(1, 0)].symbol(), "b");
    }
}
