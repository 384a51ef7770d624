//! The UI without a terminal: `update` driven by key messages, and every pane drawn on a
//! `TestBackend` and compared with its snapshot, at 80×24 and 160×48.
//!
//! One file a pane or flow; `fixtures` is what they share.

mod fixtures;

mod admin;
mod approvals;
mod codes;
mod factor;
mod forms;
mod manage_users;
mod sign_in;
mod terminal;
mod user_detail;
mod warning;
