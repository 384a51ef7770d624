//! The subcommands that are not the terminal UI.

pub mod audit_export;
pub mod demo;
pub mod staff;
pub mod verify_code;

use std::sync::Arc;

use crate::config::Config;
use crate::desk::HelpDesk;
use crate::store::{self, Store, StoreError};

/// Opens (and migrates) the configured database and wraps it in the service.
pub async fn open_desk(config: &Config) -> Result<HelpDesk, StoreError> {
    let store: Arc<dyn Store> = store::open(&config.database_url, config.max_connections).await?;
    Ok(HelpDesk::new(store, config.codes.clone(), config.password_cost, config.limits))
}
