//! `helpdesk audit verify`: walks the audit log's hash chain and names the first event
//! where it breaks. Exit 0 intact, 1 broken, 2 error. It prints ids and counts only.

use std::io::Write;

use super::exit::{Failure, NO, SUCCESS};
use crate::desk::HelpDesk;
use crate::domain::audit_chain::Anchor;

/// `SUCCESS` when the chain is intact, `NO` when it is broken; a failure to read the log
/// or write the report is said as `error: …`.
pub async fn run(desk: &HelpDesk, anchor: Option<Anchor>, out: &mut impl Write) -> Result<u8, Failure> {
    let report = desk.verify_audit_chain_against(anchor).await.map_err(|e| Failure::of_check(e.to_string()))?;
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
    said.and_then(|()| out.flush()).map_err(|e| Failure::of_check(format!("writing the report failed: {e}")))?;
    Ok(if report.broken.is_some() { NO } else { SUCCESS })
}

fn before(n: u64) -> String {
    if n == 0 { String::new() } else { format!("; {n} older events predate the chain and are not covered") }
}
