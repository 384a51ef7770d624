//! `helpdesk verify-code`: stands in for the Digital Banking login. The code is read from
//! standard input, never from the command line, so it stays out of shell history and `ps`.

use std::io::BufRead;

use zeroize::Zeroizing;

use crate::desk::{HelpDesk, Redemption};
use crate::domain::time;

pub const ACCEPTED: u8 = 0;
pub const REJECTED: u8 = 1;
pub const ERROR: u8 = 2;

pub async fn run(desk: &HelpDesk, username: &str, input: impl BufRead) -> u8 {
    let mut line = Zeroizing::new(String::new());
    let mut input = input;
    if let Err(e) = input.read_line(&mut line) {
        eprintln!("error: cannot read the code from standard input: {e}");
        return ERROR;
    }
    if line.trim().is_empty() {
        eprintln!(
            "error: no code on standard input (type it, or pipe it: echo CODE | helpdesk verify-code --username USER)"
        );
        return ERROR;
    }
    match desk.redeem(username, line).await {
        Ok(Redemption::Accepted) => {
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
