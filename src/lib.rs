//! helpdesk: issue one-time backup codes to Digital Banking users who cannot receive
//! 2FA codes, from a keyboard-only terminal UI.
//!
//! Arrows point inward: `ui` and `cli` call `desk`; `desk` applies `domain` rules and
//! asks the `store`; `store` speaks the domain's types; `domain` uses neither.

pub mod cli;
pub mod config;
pub mod desk;
pub mod domain;
pub mod serve;
pub mod store;
pub mod texts;
pub mod ui;
