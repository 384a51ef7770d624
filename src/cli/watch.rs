//! `helpdesk watch`: a small long-running process that handles the contact changes other
//! systems make (the audit event, the notices to the old and new addresses) within seconds,
//! for a deployment that runs no `helpdesk serve` (which does the same). Stops on SIGTERM
//! or Ctrl-C.

use super::exit::{Failure, SUCCESS};
use super::terminal::tell;
use crate::config::Config;
use crate::desk::OUTSIDE_CHANGES_EVERY;

pub async fn run(config: &Config) -> Result<u8, Failure> {
    let desk = super::open_desk(config).await?;
    tell(&format!(
        "helpdesk watch: handling contact changes made outside helpdesk every {} s; SIGTERM or Ctrl-C stops it",
        OUTSIDE_CHANGES_EVERY.as_secs()
    ));
    desk.watch_outside_changes(OUTSIDE_CHANGES_EVERY, super::serve::shutdown_signal()).await;
    tell("helpdesk watch: stopped");
    Ok(SUCCESS)
}
