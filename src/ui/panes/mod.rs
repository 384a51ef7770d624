//! One file per pane.

pub mod codes;
pub mod confirm;
pub mod help;
pub mod login;
pub mod manage_users;
pub mod user_detail;
pub mod warning;
