//! One file per pane: its state, `on_key` (and `on_paste`) that change only that state
//! and answer with an `Outcome`, and `draw`, which changes nothing. No pane sees the state of the whole UI.

pub mod approvals;
pub mod audit;
pub mod codes;
pub mod confirm;
pub mod factor;
pub mod help;
pub mod login;
pub mod manage_users;
pub mod password;
pub mod profile;
pub mod settings;
pub mod staff;
pub mod user_detail;
pub mod warning;
