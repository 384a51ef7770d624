//! `helpdesk migrate`: creates or upgrades the schema, then does what a new version asks
//! of data already there (search keys folded again, contact changes made outside audited).

use super::exit::{Failure, SUCCESS};
use crate::config::Config;
use crate::desk::redact_url;

pub async fn run(config: &Config) -> Result<u8, Failure> {
    let desk = super::open_desk_to_migrate(config).await?;
    let folded = desk.refold_all().await?;
    // Contact changes another system made get their audit event and notices now.
    let changes = desk.handle_all_outside_changes().await?;
    crate::cli::terminal::say(&format!("The database {} is at the latest schema.", redact_url(&config.database_url)));
    if changes > 0 {
        crate::cli::terminal::say(&format!(
            "{changes} contact changes made outside helpdesk were audited and their old addresses told."
        ));
    }
    if folded > 0 {
        crate::cli::terminal::say(&format!(
            "Search keys folded again for {folded} users (written before this version or by another system)."
        ));
    }
    Ok(SUCCESS)
}
