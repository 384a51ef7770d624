//! `helpdesk codes`: backup codes across the institution.

use clap::Subcommand;

use super::admin::as_admin;
use super::exit::{Failure, SUCCESS};
use crate::config::Config;

#[derive(Subcommand)]
pub enum CodesCommand {
    /// The emergency stop: revoke every active batch at once (one transaction, audited
    /// with the count, every holder told). Needs an admin; asks nothing more
    RevokeAll {
        #[arg(long, value_name = "ADMIN")]
        admin_username: Option<String>,
    },
}

impl CodesCommand {
    pub async fn run(self, config: &Config) -> Result<u8, Failure> {
        let CodesCommand::RevokeAll { admin_username } = self;
        let revoked =
            as_admin(config, admin_username, async |desk, session| desk.revoke_all_codes(session).await).await?;
        crate::cli::terminal::say(&format!(
            "{revoked} active batches revoked; every holder is told through the outbox. Backup codes can now be \
             switched off in Institution Settings."
        ));
        Ok(SUCCESS)
    }
}
