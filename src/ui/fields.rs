//! One-line text fields (tui-textarea) as the panes use them: plain, secret, pasted into.

use crossterm::event::KeyEvent;
use tui_textarea::TextArea;
use zeroize::{Zeroize, Zeroizing};

pub(crate) fn text_field(placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_placeholder_text(placeholder);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
}

pub(crate) fn secret_field(placeholder: &str) -> TextArea<'static> {
    let mut t = text_field(placeholder);
    t.set_mask_char('•');
    // No undo history: it would keep copies of the password.
    t.set_max_histories(0);
    t
}

/// Takes the text out of a field and wipes the field's copy.
/// A password on its way to the service: wiped when dropped, never shown by `Debug`.
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> Zeroizing<String> {
        self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

pub(crate) fn take_secret(field: &mut TextArea<'static>, placeholder: &str) -> Secret {
    let old = std::mem::replace(field, secret_field(placeholder));
    let mut lines = old.into_lines();
    let secret = Secret(Zeroizing::new(lines.concat()));
    for line in &mut lines {
        line.zeroize();
    }
    secret
}

pub(crate) fn field_text(field: &TextArea<'_>) -> String {
    field.lines().concat()
}

/// One line of printable text, as a paste into a single-line field should be.
pub fn clean_paste(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// Feeds a key to a one-line field; Enter never makes a second line.
pub(crate) fn single_line_input(field: &mut TextArea<'static>, key: KeyEvent) -> bool {
    if key.code == crossterm::event::KeyCode::Enter {
        return false;
    }
    field.input(key)
}
