//! One file per pane: its state, how it answers keys (called from `app::update`), and
//! how it draws (called from `view`). Drawing never changes state.

pub mod codes;
pub mod confirm;
pub mod help;
pub mod login;
pub mod manage_users;
pub mod user_detail;
pub mod warning;
