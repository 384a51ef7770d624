//! The subcommands that are not the terminal UI.

pub mod admin;
pub mod audit_export;
pub mod audit_verify;
pub mod demo;
pub mod process;
pub mod serve;
pub mod staff;
pub mod verify_code;

use crate::config::Config;
use crate::desk::{DeskResult, HelpDesk, Opening};

/// Opens the configured database, which must exist, and wraps it in the service. Only the
/// schema's owner migrates it (`Opening::Run`).
pub async fn open_desk(config: &Config) -> DeskResult<HelpDesk> {
    open_desk_with(config, Opening::Run).await
}

/// Opens the configured database for `helpdesk migrate` and the demo: creates a missing
/// SQLite file and applies every migration.
pub async fn open_desk_to_migrate(config: &Config) -> DeskResult<HelpDesk> {
    open_desk_with(config, Opening::Migrate).await
}

async fn open_desk_with(config: &Config, opening: Opening) -> DeskResult<HelpDesk> {
    let (url, connections) = (&config.database_url, config.max_connections);
    HelpDesk::open(url, connections, opening, config.codes.clone(), config.password_cost, config.limits).await
}
