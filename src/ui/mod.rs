//! The terminal UI.

use crate::config::Config;
use crate::desk::HelpDesk;

pub async fn run(_desk: HelpDesk, _config: Config) -> color_eyre::Result<()> {
    eprintln!("The terminal UI is not built yet.");
    Ok(())
}
