//! The lists of bindings, one a context: what the footer, the `?` overlay and `lookup`
//! read.

use crossterm::event::KeyCode;

use super::{Binding, Command, Context, Key, b};

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

const LOCKED: &[Binding] = &[
    b(ENTER, 1, "confirm", C::Activate, true),
    b(ESC, 1, "back (a step-up)", C::Back, false),
    b(&[Ctrl('o')], 1, "sign out", C::SignOut, true),
];

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
    b(&[Char('f')], 1, "reset 2nd factor", C::ResetFactor, false),
    b(&[Char('b')], 1, "bind SSH key", C::BindKey, false),
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
