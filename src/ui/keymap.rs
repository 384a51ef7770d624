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
    OpenStaff,
    OpenSettings,
    OpenAudit,
    Password,
    EditProfile,
    Toggle,
    TogglePermission,
    ToggleAdmin,
    ToggleDisabled,
    Unlock,
    EndSessions,
    OpenApprovals,
    Approve,
    Decline,
    Withdraw,
    ToggleSecondPerson,
    LinkIdentity,
    RevokeAll,
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
    Staff,
    Settings,
    Audit,
    AuditFilter,
    AuditEvent,
    ProfileForm,
    PasswordForm,
    Approvals,
    ApprovalsReason,
    StaffLink,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How many of the keys, from the first, the footer names.
    pub label_keys: usize,
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

const fn b(keys: &'static [Key], label_keys: usize, hint: &'static str, command: Command, footer: bool) -> Binding {
    Binding { keys, label_keys, hint, command, footer }
}

impl Binding {
    /// The footer's name for the binding, made from its keys so that it cannot drift.
    pub fn label(&self) -> String {
        self.keys.iter().take(self.label_keys).map(key_name).collect::<Vec<_>>().join("/")
    }
}

/// How a key is written in the footer and the help overlay.
pub fn key_name(key: &Key) -> String {
    match key {
        Key::Char(' ') => "Space".into(),
        Key::Char(c) => c.to_string(),
        Key::Ctrl(c) => format!("Ctrl+{}", c.to_ascii_uppercase()),
        Key::Code(KeyCode::Up) => "↑".into(),
        Key::Code(KeyCode::Down) => "↓".into(),
        Key::Code(KeyCode::Left) => "←".into(),
        Key::Code(KeyCode::Right) => "→".into(),
        Key::Code(KeyCode::BackTab) => "Shift+Tab".into(),
        Key::Code(KeyCode::PageDown) => "PgDn".into(),
        Key::Code(KeyCode::PageUp) => "PgUp".into(),
        Key::Code(code) => code.to_string(),
    }
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
    b(ENTER, 1, "sign in", C::Activate, true),
    b(
        &[Code(KeyCode::Tab), Code(KeyCode::Down), Code(KeyCode::Up), Code(KeyCode::BackTab)],
        1,
        "next field",
        C::NextFocus,
        true,
    ),
    b(&[Code(KeyCode::Esc), Ctrl('c')], 1, "quit", C::Quit, true),
];

const LOCKED: &[Binding] =
    &[b(ENTER, 1, "unlock", C::Activate, true), b(&[Ctrl('o')], 1, "sign out", C::SignOut, true)];

const USER_LIST: &[Binding] = &[
    b(&[Char('/')], 1, "search", C::Search, true),
    b(UP, 2, "up", C::Up, false),
    b(DOWN, 2, "down", C::Down, false),
    b(&[Code(KeyCode::PageDown), Char('n')], 2, "next page", C::NextPage, true),
    b(&[Code(KeyCode::PageUp), Char('p')], 2, "previous page", C::PrevPage, true),
    b(ENTER, 1, "open", C::Open, true),
    b(&[Ctrl('r')], 1, "refresh", C::Refresh, false),
    b(&[Ctrl('o')], 1, "sign out", C::SignOut, false),
    b(&[Char('s')], 1, "Staff (admin)", C::OpenStaff, false),
    b(&[Char('i')], 1, "Institution Settings (admin)", C::OpenSettings, false),
    b(&[Char('a')], 1, "audit log (admin)", C::OpenAudit, false),
    b(&[Char('v')], 1, "Approvals (admin)", C::OpenApprovals, true),
    b(&[Ctrl('p')], 1, "change your password", C::Password, false),
    b(&[Char('?')], 1, "help", C::Help, true),
    b(&[Char('q'), Ctrl('c')], 1, "quit", C::Quit, true),
];

const APPROVALS: &[Binding] = &[
    b(UP, 2, "up", C::Up, false),
    b(DOWN, 2, "down", C::Down, false),
    b(ENTER, 1, "open", C::Open, true),
    b(&[Char('a')], 1, "approve (asks first)", C::Approve, true),
    b(&[Char('d')], 1, "decline with a reason", C::Decline, true),
    b(&[Ctrl('r')], 1, "refresh", C::Refresh, false),
    b(&[Ctrl('p')], 1, "change your password", C::Password, false),
    b(ESC, 1, "back", C::Back, true),
    b(&[Char('?')], 1, "help", C::Help, false),
    b(&[Char('q'), Ctrl('c')], 1, "quit", C::Quit, false),
];

const STAFF_LINK: &[Binding] = &[
    b(ENTER, 1, "link (asks first)", C::Activate, true),
    b(&[Code(KeyCode::Esc), Ctrl('c')], 1, "cancel", C::Back, true),
];

const APPROVALS_REASON: &[Binding] = &[
    b(ENTER, 1, "decline (asks first)", C::Activate, true),
    b(&[Code(KeyCode::Esc), Ctrl('c')], 1, "cancel", C::Back, true),
];

const SEARCH_BOX: &[Binding] = &[
    b(&[Code(KeyCode::Enter), Code(KeyCode::Down), Code(KeyCode::Tab)], 1, "to results", C::Open, true),
    b(ESC, 1, "clear search", C::Back, true),
    b(&[Ctrl('c')], 1, "quit", C::Quit, false),
];

const USER_DETAIL: &[Binding] = &[
    b(&[Char('g')], 1, "Generate Backup Codes", C::Generate, true),
    b(&[Char('r')], 1, "revoke codes", C::Revoke, true),
    b(&[Code(KeyCode::Tab), Code(KeyCode::Right), Char('l')], 1, "next action", C::NextFocus, false),
    b(&[Code(KeyCode::BackTab), Code(KeyCode::Left), Char('h')], 1, "previous action", C::PrevFocus, false),
    b(ENTER, 1, "do action", C::Activate, true),
    b(&[Char('e')], 1, "edit profile", C::EditProfile, false),
    b(&[Char('w')], 1, "withdraw your request", C::Withdraw, false),
    b(&[Ctrl('r')], 1, "refresh", C::Refresh, false),
    b(&[Ctrl('p')], 1, "change your password", C::Password, false),
    b(&[Code(KeyCode::Esc), Code(KeyCode::Backspace)], 1, "back", C::Back, true),
    b(&[Char('?')], 1, "help", C::Help, true),
    b(&[Char('q'), Ctrl('c')], 1, "quit", C::Quit, false),
];

const STAFF: &[Binding] = &[
    b(UP, 2, "up", C::Up, false),
    b(DOWN, 2, "down", C::Down, false),
    b(&[Char('p')], 1, "permission", C::TogglePermission, true),
    b(&[Char('m')], 1, "admin", C::ToggleAdmin, true),
    b(&[Char('d')], 1, "disable", C::ToggleDisabled, true),
    b(&[Char('u')], 1, "unlock", C::Unlock, true),
    b(&[Char('x')], 1, "end sessions", C::EndSessions, true),
    b(&[Char('l')], 1, "link", C::LinkIdentity, true),
    b(&[Ctrl('r')], 1, "refresh", C::Refresh, false),
    b(&[Ctrl('p')], 1, "change your password", C::Password, false),
    b(ESC, 1, "back", C::Back, true),
    b(&[Char('?')], 1, "help", C::Help, false),
    b(&[Char('q'), Ctrl('c')], 1, "quit", C::Quit, false),
];

const SETTINGS: &[Binding] = &[
    b(UP, 2, "up", C::Up, false),
    b(DOWN, 2, "down", C::Down, false),
    b(&[Char(' ')], 1, "toggle", C::Toggle, true),
    b(ENTER, 1, "save (asks first)", C::Activate, true),
    b(&[Char('2')], 1, "two-person rule", C::ToggleSecondPerson, true),
    b(&[Char('x')], 1, "revoke every active batch (emergency; asks first)", C::RevokeAll, false),
    b(&[Ctrl('r')], 1, "reload", C::Refresh, false),
    b(&[Ctrl('p')], 1, "change your password", C::Password, false),
    b(ESC, 1, "back", C::Back, true),
    b(&[Char('?')], 1, "help", C::Help, true),
    b(&[Char('q'), Ctrl('c')], 1, "quit", C::Quit, false),
];

const AUDIT: &[Binding] = &[
    b(&[Char('/')], 1, "filter", C::Search, true),
    b(UP, 2, "up", C::Up, false),
    b(DOWN, 2, "down", C::Down, false),
    b(&[Code(KeyCode::PageDown), Char('n')], 2, "older", C::NextPage, true),
    b(&[Code(KeyCode::PageUp), Char('p')], 2, "newer", C::PrevPage, true),
    b(ENTER, 1, "show event", C::Open, true),
    b(&[Ctrl('r')], 1, "refresh", C::Refresh, false),
    b(&[Ctrl('p')], 1, "change your password", C::Password, false),
    b(ESC, 1, "back", C::Back, true),
    b(&[Char('?')], 1, "help", C::Help, false),
    b(&[Char('q'), Ctrl('c')], 1, "quit", C::Quit, false),
];

const AUDIT_FILTER: &[Binding] = &[
    b(TAB, 1, "next filter", C::NextFocus, true),
    b(BACKTAB, 1, "previous filter", C::PrevFocus, false),
    b(ENTER, 1, "apply", C::Activate, true),
    b(ESC, 1, "back to the list", C::Back, true),
];

const AUDIT_EVENT: &[Binding] = &[b(&[Code(KeyCode::Esc), Code(KeyCode::Enter), Char('q')], 1, "close", C::Back, true)];

const FORM: &[Binding] = &[
    b(&[Code(KeyCode::Tab), Code(KeyCode::Down)], 1, "next field", C::NextFocus, true),
    b(&[Code(KeyCode::BackTab), Code(KeyCode::Up)], 1, "previous field", C::PrevFocus, false),
    b(ENTER, 1, "next / save", C::Activate, true),
    b(&[Code(KeyCode::Esc)], 1, "cancel", C::Back, true),
];

const WARNING: &[Binding] = &[
    b(TAB, 1, "next", C::NextFocus, true),
    b(BACKTAB, 1, "previous", C::PrevFocus, false),
    b(UP, 2, "previous choice", C::Up, false),
    b(DOWN, 2, "next choice", C::Down, false),
    b(&[Code(KeyCode::Enter), Char(' ')], 1, "choose / press", C::Activate, true),
    b(&[Code(KeyCode::Esc), Ctrl('c')], 1, "cancel", C::Back, true),
    b(&[Char('?')], 1, "help", C::Help, false),
];

// Enter in the note does nothing: in a paste the terminal did not bracket, a line end
// followed by more text must not walk the focus to Generate Backup Codes.
const WARNING_TEXT: &[Binding] = &[
    b(&[Code(KeyCode::Tab)], 1, "next", C::NextFocus, true),
    b(BACKTAB, 1, "previous", C::PrevFocus, false),
    b(&[Code(KeyCode::Esc), Ctrl('c')], 1, "cancel", C::Back, true),
];

const CODES: &[Binding] = &[
    b(UP, 2, "previous code", C::Up, false),
    b(DOWN, 2, "next code", C::Down, false),
    b(&[Char('v'), Char(' ')], 1, "reveal/hide code", C::Reveal, true),
    b(&[Char('a')], 1, "reveal/hide all", C::RevealAll, true),
    b(&[Code(KeyCode::Esc), Char('q'), Code(KeyCode::Enter), Ctrl('c')], 1, "done (asks first)", C::Back, true),
    b(&[Char('?')], 1, "help", C::Help, true),
];

const CONFIRM: &[Binding] = &[
    b(
        &[Code(KeyCode::Tab), Code(KeyCode::Left), Code(KeyCode::Right), Code(KeyCode::BackTab), Char('h'), Char('l')],
        1,
        "switch",
        C::NextFocus,
        true,
    ),
    b(ENTER, 1, "press", C::Activate, true),
    b(&[Code(KeyCode::Esc), Ctrl('c')], 1, "stay", C::Back, true),
];

const HELP: &[Binding] =
    &[b(&[Code(KeyCode::Esc), Char('?'), Char('q'), Code(KeyCode::Enter)], 1, "close help", C::Back, true)];

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
        Context::Staff => STAFF,
        Context::Settings => SETTINGS,
        Context::Audit => AUDIT,
        Context::AuditFilter => AUDIT_FILTER,
        Context::AuditEvent => AUDIT_EVENT,
        Context::ProfileForm | Context::PasswordForm => FORM,
        Context::Approvals => APPROVALS,
        Context::ApprovalsReason => APPROVALS_REASON,
        Context::StaffLink => STAFF_LINK,
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

    const ALL: [Context; 20] = [
        Context::StaffLink,
        Context::Approvals,
        Context::ApprovalsReason,
        Context::Staff,
        Context::Settings,
        Context::Audit,
        Context::AuditFilter,
        Context::AuditEvent,
        Context::ProfileForm,
        Context::PasswordForm,
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
    fn footer_labels_name_the_bound_keys() {
        let label = |context, command| bindings(context).iter().find(|b| b.command == command).unwrap().label();
        assert_eq!(label(Context::UserList, Command::NextPage), "PgDn/n");
        assert_eq!(label(Context::UserList, Command::Up), "↑/k");
        assert_eq!(label(Context::Login, Command::Quit), "Esc");
        assert_eq!(label(Context::Locked, Command::SignOut), "Ctrl+O");
        for context in ALL {
            for binding in bindings(context).iter().filter(|b| b.footer) {
                assert!((1..=binding.keys.len()).contains(&binding.label_keys), "{context:?}: {}", binding.hint);
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
