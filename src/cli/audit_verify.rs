//! `helpdesk audit verify`: walks the audit log's hash chain and names the first event
//! where it breaks. Exit 0 intact, 1 broken, 2 error. It prints ids and counts only.

use std::io::Write;

use crate::desk::HelpDesk;

pub const INTACT: u8 = 0;
pub const BROKEN: u8 = 1;
pub const ERROR: u8 = 2;

pub async fn run(desk: &HelpDesk, out: &mut impl Write) -> u8 {
    let report = match desk.verify_audit_chain().await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ERROR;
        }
    };
    let said = match &report.broken {
        None => writeln!(out, "intact: {} chained events verified{}", report.checked, before(report.before_chain)),
        Some(broken) => writeln!(
            out,
            "broken at event {}: {broken} ({} events before it verified{})",
            broken.event_id(),
            report.checked,
            before(report.before_chain)
        ),
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
