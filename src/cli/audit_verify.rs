//! `helpdesk audit verify`: walks the audit log's hash chain and names the first event
//! where it breaks. Exit 0 intact, 1 broken, 2 error. It prints ids and counts only.

use std::io::Write;

use crate::desk::HelpDesk;
use crate::domain::audit_chain::Anchor;

pub const INTACT: u8 = 0;
pub const BROKEN: u8 = 1;
pub const ERROR: u8 = 2;

pub async fn run(desk: &HelpDesk, anchor: Option<Anchor>, out: &mut impl Write) -> u8 {
    let report = match desk.verify_audit_chain_against(anchor).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ERROR;
        }
    };
    let said = if report.breaks.is_empty() {
        writeln!(out, "intact: {} chained events verified{}", report.checked, before(report.before_chain))
    } else {
        // Every break, each on its line, then the count.
        report
            .breaks
            .iter()
            .try_for_each(|broken| writeln!(out, "broken at event {}: {broken}", broken.event_id()))
            .and_then(|()| {
                writeln!(
                    out,
                    "{} breaks; {} events verified{}",
                    report.breaks.len(),
                    report.checked,
                    before(report.before_chain)
                )
            })
    };
    if let Err(e) = said.and_then(|()| out.flush()) {
        eprintln!("error: writing the report failed: {e}");
        return ERROR;
    }
    if report.broken.is_some() { BROKEN } else { INTACT }
}

fn before(n: u64) -> String {
    if n == 0 { String::new() } else { format!("; {n} older events predate the chain and are not covered") }
}
