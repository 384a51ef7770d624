//! The one keymap. Every key the UI answers to is listed here with its hint; the footer
//! and the `?` overlay are drawn from these lists, and `update` dispatches through
//! `lookup`, so a hint can never promise a key that does nothing.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for; the pane in front decides what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    Search,
    Open,
    Back,
    Up,
    Down,
    NextPage,
    PrevPage,
    NextFocus,
    PrevFocus,
    Activate,
    Generate,
    Revoke,
    Reveal,
    RevealAll,
    SignOut,
    Refresh,
}

/// Where the keyboard is, which selects the list of bindings in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Login,
    Locked,
    UserList,
    SearchBox,
    UserDetail,
    Warning,
    WarningText,
    Codes,
    Confirm,
    Help,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub hint: &'static str,
    pub command: Command,
    /// Shown in the footer; everything is shown in the help overlay.
    pub footer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

const fn b(keys: &'static [Key], label: &'static str, hint: &'static str, command: Command, footer: bool) -> Binding {
    Binding { keys, label, hint, command, footer }
}

use Command as C;
use Key::{Char, Code, Ctrl};

const UP: &[Key] = &[Code(KeyCode::Up), Char('k')];
const DOWN: &[Key] = &[Code(KeyCode::Down), Char('j')];
const TAB: &[Key] = &[Code(KeyCode::Tab)];
const BACKTAB: &[Key] = &[Code(KeyCode::BackTab)];
const ENTER: &[Key] = &[Code(KeyCode::Enter)];
const ESC: &[Key] = &[Code(KeyCode::Esc)];

const LOGIN: &[Binding] = &[
    b(ENTER, "Enter", "sign in", C::Activate, true),
    b(
        &[Code(KeyCode::Tab), Code(KeyCode::Down), Code(KeyCode::Up), Code(KeyCode::BackTab)],
        "Tab",
        "next field",
        C::NextFocus,
        true,
    ),
    b(&[Ctrl('c'), Code(KeyCode::Esc)], "Esc", "quit", C::Quit, true),
];

const LOCKED: &[Binding] =
    &[b(ENTER, "Enter", "unlock", C::Activate, true), b(&[Ctrl('o')], "Ctrl+O", "sign out", C::SignOut, true)];

const USER_LIST: &[Binding] = &[
    b(&[Char('/')], "/", "search", C::Search, true),
    b(UP, "↑/k", "up", C::Up, false),
    b(DOWN, "↓/j", "down", C::Down, false),
    b(&[Code(KeyCode::PageDown), Char('n')], "PgDn/n", "next page", C::NextPage, true),
    b(&[Code(KeyCode::PageUp), Char('p')], "PgUp/p", "previous page", C::PrevPage, true),
    b(ENTER, "Enter", "open", C::Open, true),
    b(&[Ctrl('r')], "Ctrl+R", "refresh", C::Refresh, false),
    b(&[Ctrl('o')], "Ctrl+O", "sign out", C::SignOut, false),
    b(&[Char('?')], "?", "help", C::Help, true),
    b(&[Char('q'), Ctrl('c')], "q", "quit", C::Quit, true),
];

const SEARCH_BOX: &[Binding] = &[
    b(&[Code(KeyCode::Enter), Code(KeyCode::Down), Code(KeyCode::Tab)], "Enter", "to results", C::Open, true),
    b(ESC, "Esc", "clear search", C::Back, true),
    b(&[Ctrl('c')], "Ctrl+C", "quit", C::Quit, false),
];

const USER_DETAIL: &[Binding] = &[
    b(&[Char('g')], "g", "Generate Backup Codes", C::Generate, true),
    b(&[Char('r')], "r", "revoke codes", C::Revoke, true),
    b(&[Code(KeyCode::Tab), Code(KeyCode::Right), Char('l')], "Tab", "next action", C::NextFocus, false),
    b(&[Code(KeyCode::BackTab), Code(KeyCode::Left), Char('h')], "S-Tab", "previous action", C::PrevFocus, false),
    b(ENTER, "Enter", "do action", C::Activate, true),
    b(&[Ctrl('r')], "Ctrl+R", "refresh", C::Refresh, false),
    b(&[Code(KeyCode::Esc), Code(KeyCode::Backspace)], "Esc", "back", C::Back, true),
    b(&[Char('?')], "?", "help", C::Help, true),
    b(&[Char('q'), Ctrl('c')], "q", "quit", C::Quit, false),
];

const WARNING: &[Binding] = &[
    b(TAB, "Tab", "next", C::NextFocus, true),
    b(BACKTAB, "S-Tab", "previous", C::PrevFocus, false),
    b(UP, "↑/k", "previous choice", C::Up, false),
    b(DOWN, "↓/j", "next choice", C::Down, false),
    b(&[Code(KeyCode::Enter), Char(' ')], "Enter", "choose / press", C::Activate, true),
    b(&[Code(KeyCode::Esc), Ctrl('c')], "Esc", "cancel", C::Back, true),
    b(&[Char('?')], "?", "help", C::Help, false),
];

const WARNING_TEXT: &[Binding] = &[
    b(&[Code(KeyCode::Tab), Code(KeyCode::Enter)], "Tab", "next", C::NextFocus, true),
    b(BACKTAB, "S-Tab", "previous", C::PrevFocus, false),
    b(&[Code(KeyCode::Esc), Ctrl('c')], "Esc", "cancel", C::Back, true),
];

const CODES: &[Binding] = &[
    b(UP, "↑/k", "previous code", C::Up, false),
    b(DOWN, "↓/j", "next code", C::Down, false),
    b(&[Char('v'), Char(' ')], "v", "reveal/hide code", C::Reveal, true),
    b(&[Char('a')], "a", "reveal/hide all", C::RevealAll, true),
    b(&[Code(KeyCode::Esc), Char('q'), Code(KeyCode::Enter), Ctrl('c')], "Esc", "done (asks first)", C::Back, true),
    b(&[Char('?')], "?", "help", C::Help, true),
];

const CONFIRM: &[Binding] = &[
    b(
        &[Code(KeyCode::Tab), Code(KeyCode::Left), Code(KeyCode::Right), Code(KeyCode::BackTab), Char('h'), Char('l')],
        "Tab",
        "switch",
        C::NextFocus,
        true,
    ),
    b(ENTER, "Enter", "press", C::Activate, true),
    b(&[Code(KeyCode::Esc), Ctrl('c')], "Esc", "stay", C::Back, true),
];

const HELP: &[Binding] =
    &[b(&[Code(KeyCode::Esc), Char('?'), Char('q'), Code(KeyCode::Enter)], "Esc", "close help", C::Back, true)];

pub fn bindings(context: Context) -> &'static [Binding] {
    match context {
        Context::Login => LOGIN,
        Context::Locked => LOCKED,
        Context::UserList => USER_LIST,
        Context::SearchBox => SEARCH_BOX,
        Context::UserDetail => USER_DETAIL,
        Context::Warning => WARNING,
        Context::WarningText => WARNING_TEXT,
        Context::Codes => CODES,
        Context::Confirm => CONFIRM,
        Context::Help => HELP,
    }
}

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        match self {
            Key::Char(c) => !ctrl && !alt && event.code == KeyCode::Char(c),
            Key::Ctrl(c) => ctrl && event.code == KeyCode::Char(c),
            Key::Code(code) => !ctrl && !alt && event.code == code,
        }
    }
}

/// The command a key press means in this context, if any.
pub fn lookup(context: Context, event: &KeyEvent) -> Option<Command> {
    bindings(context).iter().find(|b| b.keys.iter().any(|k| k.matches(event))).map(|b| b.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Context; 10] = [
        Context::Login,
        Context::Locked,
        Context::UserList,
        Context::SearchBox,
        Context::UserDetail,
        Context::Warning,
        Context::WarningText,
        Context::Codes,
        Context::Confirm,
        Context::Help,
    ];

    #[test]
    fn no_key_means_two_things_in_one_context() {
        for context in ALL {
            let keys: Vec<Key> = bindings(context).iter().flat_map(|b| b.keys.iter().copied()).collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{context:?}: {k:?} is bound twice");
            }
        }
    }

    #[test]
    fn every_hint_key_is_bound() {
        for context in ALL {
            for binding in bindings(context) {
                assert!(!binding.keys.is_empty(), "{context:?}: {} has no key", binding.hint);
            }
        }
    }
}
