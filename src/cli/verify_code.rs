//! `helpdesk verify-code`: stands in for the Digital Banking login. The code is read from
//! standard input, never from the command line, so it stays out of shell history and `ps`.

use std::io::BufRead;

use zeroize::Zeroizing;

use super::exit::{Failure, NO, SUCCESS};
use crate::config::Config;
use crate::desk::{HelpDesk, Redemption};
use crate::domain::time;

#[derive(clap::Args)]
pub struct VerifyCodeArgs {
    #[arg(long)]
    username: String,
}

impl VerifyCodeArgs {
    /// `SUCCESS` when the code was accepted, `NO` when rejected; an error is said as
    /// `error: …`.
    pub async fn run(self, config: &Config) -> Result<u8, Failure> {
        let desk = super::open_desk(config).await.map_err(|e| Failure::of_check(e.to_string()))?;
        run(&desk, &self.username, std::io::stdin().lock()).await
    }
}

/// The most of standard input that is read: a code with every separator a person might
/// type is far shorter, and an endless line must not be.
pub const MAX_INPUT: u64 = 256;

/// Redeems the code on `input` for `username`, as the login would.
pub async fn run(desk: &HelpDesk, username: &str, input: impl BufRead) -> Result<u8, Failure> {
    let line = read_code(input).map_err(Failure::of_check)?;
    if line.trim().is_empty() {
        return Err(Failure::of_check(
            "no code on standard input (type it, or pipe it: echo CODE | helpdesk verify-code --username USER)",
        ));
    }
    match desk.redeem(username, line).await.map_err(|e| Failure::of_check(e.to_string()))? {
        Redemption::Accepted { .. } => {
            crate::cli::terminal::say("accepted: the code was valid and is now used up");
            Ok(SUCCESS)
        }
        Redemption::Rejected => {
            crate::cli::terminal::say("rejected: that code is not valid for this user");
            Ok(NO)
        }
        Redemption::Locked { until } => {
            crate::cli::terminal::say(&format!(
                "rejected: too many failed codes; backup codes are locked until {}",
                time::format_utc(until)
            ));
            Ok(NO)
        }
    }
}

/// One line of at most `MAX_INPUT` bytes, in a buffer that wipes itself.
fn read_code(input: impl BufRead) -> Result<Zeroizing<String>, String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_INPUT as usize + 1));
    input
        .take(MAX_INPUT + 1)
        .read_until(b'\n', &mut bytes)
        .map_err(|e| format!("cannot read the code from standard input: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!("the input is longer than {MAX_INPUT} bytes; no code is"));
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err("the input is not text".into()),
    }
}
