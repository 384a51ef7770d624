//! `helpdesk verify-code`: stands in for the Digital Banking login. The code is read from
//! standard input, never from the command line, so it stays out of shell history and `ps`.

use std::io::BufRead;

use zeroize::Zeroizing;

use crate::desk::{HelpDesk, Redemption};
use crate::domain::time;

pub const ACCEPTED: u8 = 0;
pub const REJECTED: u8 = 1;
pub const ERROR: u8 = 2;

/// The most of standard input that is read: a code with every separator a person might
/// type is far shorter, and an endless line must not be.
pub const MAX_INPUT: u64 = 256;

pub async fn run(desk: &HelpDesk, username: &str, input: impl BufRead) -> u8 {
    let line = match read_code(input) {
        Ok(line) => line,
        Err(message) => {
            eprintln!("error: {message}");
            return ERROR;
        }
    };
    if line.trim().is_empty() {
        eprintln!(
            "error: no code on standard input (type it, or pipe it: echo CODE | helpdesk verify-code --username USER)"
        );
        return ERROR;
    }
    match desk.redeem(username, line).await {
        Ok(Redemption::Accepted { .. }) => {
            println!("accepted: the code was valid and is now used up");
            ACCEPTED
        }
        Ok(Redemption::Rejected) => {
            println!("rejected: that code is not valid for this user");
            REJECTED
        }
        Ok(Redemption::Locked { until }) => {
            println!("rejected: too many failed codes; backup codes are locked until {}", time::format_utc(until));
            REJECTED
        }
        Err(e) => {
            eprintln!("error: {e}");
            ERROR
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
