//! The subcommands that are not the terminal UI.

pub mod admin;
pub mod audit_export;
pub mod audit_verify;
pub mod demo;
pub mod process;
pub mod staff;
pub mod verify_code;

use std::sync::Arc;

use crate::config::Config;
use crate::desk::HelpDesk;
use crate::store::{self, Opening, Store, StoreError};

/// Opens the configured database, which must exist, and wraps it in the service. Only the
/// schema's owner migrates it (`store::Opening::Run`).
pub async fn open_desk(config: &Config) -> Result<HelpDesk, StoreError> {
    open_desk_with(config, Opening::Run).await
}

/// Opens the configured database for `helpdesk migrate` and the demo: creates a missing
/// SQLite file and applies every migration.
pub async fn open_desk_to_migrate(config: &Config) -> Result<HelpDesk, StoreError> {
    open_desk_with(config, Opening::Migrate).await
}

async fn open_desk_with(config: &Config, opening: Opening) -> Result<HelpDesk, StoreError> {
    let store: Arc<dyn Store> = store::open_with(&config.database_url, config.max_connections, opening).await?;
    Ok(HelpDesk::new(store, config.codes.clone(), config.password_cost, config.limits))
}
