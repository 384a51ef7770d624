//! One-line text fields (tui-textarea) as the panes use them: plain, secret, pasted into.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::{CursorMove, TextArea};
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
        .filter(|&c| !crate::domain::text::is_hidden(c))
        .take(max)
        .collect()
}

/// Feeds a key to a one-line field as a terminal user expects: Ctrl+U clears back to the
/// start and Ctrl+W deletes the word before the cursor (readline's keys), Ctrl+Z undoes;
/// a movement key ends a selection instead of growing it; Enter never makes a second line.
pub(crate) fn single_line_input(field: &mut TextArea<'static>, key: KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => false,
        KeyCode::Char('u') if ctrl => {
            field.cancel_selection();
            field.move_cursor(CursorMove::End);
            field.delete_line_by_head()
        }
        KeyCode::Char('w') if ctrl => field.delete_word(),
        KeyCode::Char('z') if ctrl => field.undo(),
        KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End if field.is_selecting() => {
            field.cancel_selection();
            field.input(key)
        }
        _ => field.input(key),
    }
}

/// The focus after `current` in a form's `order`, `steps` ahead (wrapping; `order.len() - 1`
/// steps is one back).
pub(crate) fn step_focus<T: Copy + PartialEq>(order: &[T], current: T, steps: usize) -> T {
    let i = order.iter().position(|f| *f == current).unwrap_or(0);
    order[(i + steps) % order.len()]
}

/// Selects the whole text, so that typing replaces it (as `/` does in a search box).
pub(crate) fn select_all(field: &mut TextArea<'static>) {
    field.move_cursor(CursorMove::Bottom);
    field.move_cursor(CursorMove::End);
    if !field.lines().concat().is_empty() {
        field.select_all();
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;

    fn typed(text: &str) -> TextArea<'static> {
        let mut field = text_field("");
        field.insert_str(text);
        field
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn readline_keys_clear_and_delete_words_and_ctrl_z_undoes() {
        let mut field = typed("amara okafor");
        single_line_input(&mut field, ctrl('w'));
        assert_eq!(field_text(&field), "amara ");
        single_line_input(&mut field, ctrl('z'));
        assert_eq!(field_text(&field), "amara okafor");
        single_line_input(&mut field, ctrl('u'));
        assert_eq!(field_text(&field), "");
    }

    #[test]
    fn typing_over_a_selection_replaces_it() {
        let mut field = typed("okafor");
        select_all(&mut field);
        single_line_input(&mut field, KeyEvent::new(KeyCode::Char('m'), KeyModifiers::NONE));
        assert_eq!(field_text(&field), "m");
        let mut field = typed("okafor");
        select_all(&mut field);
        single_line_input(&mut field, KeyEvent::new(KeyCode::Left, KeyModifiers::NONE));
        single_line_input(&mut field, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
        assert_eq!(field_text(&field), "okafosr", "an arrow grew the selection instead of ending it");
    }
}
