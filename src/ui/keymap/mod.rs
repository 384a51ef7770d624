//! The one keymap. Every key the UI answers to is listed here with its hint; the footer
//! and the `?` overlay are drawn from these lists, and `update` dispatches through
//! `lookup`, so a hint can never promise a key that does nothing.

mod tables;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use tables::bindings;

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
    /// Ask for a member of staff's second factor to be reset (a grant).
    ResetFactor,
    /// Ask for an SSH key to be bound to a member of staff (a grant).
    BindKey,
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

impl Context {
    /// Whether the person is typing into a text field here: keys that mean nothing as a
    /// shortcut are text, not an unknown key, and a paste lands in the field. The one
    /// place this is decided; every new context must answer it.
    pub fn typing(self) -> bool {
        match self {
            Context::Login
            | Context::Locked
            | Context::SearchBox
            | Context::WarningText
            | Context::ProfileForm
            | Context::PasswordForm
            | Context::AuditFilter
            | Context::ApprovalsReason
            | Context::StaffLink => true,
            Context::UserList
            | Context::UserDetail
            | Context::Warning
            | Context::Codes
            | Context::Confirm
            | Context::Help
            | Context::Staff
            | Context::Settings
            | Context::Audit
            | Context::AuditEvent
            | Context::Approvals => false,
        }
    }
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
