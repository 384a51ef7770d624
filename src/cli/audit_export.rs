//! `helpdesk audit export`: every audit event as one JSON object per line, for a SIEM. It
//! runs in an admin's session (`cli::admin`): the log is for admin-level staff only.

use std::io::Write;

use crate::desk::{DeskError, HelpDesk, Session};
use crate::domain::audit::AuditFilter;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Desk(#[from] DeskError),
    #[error("writing the export failed: {0}")]
    Write(#[from] std::io::Error),
    #[error("encoding an event failed: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Writes events with an id above `after`, oldest first; returns how many.
pub async fn run(
    desk: &HelpDesk,
    session: &Session,
    filter: &AuditFilter,
    after: i64,
    out: &mut impl Write,
) -> Result<u64, ExportError> {
    let mut last = after;
    let mut written = 0;
    loop {
        let page = desk.export_audit_as(session, filter, last, 1_000).await?;
        let Some(tail) = page.last() else { break };
        last = tail.id;
        for event in &page {
            serde_json::to_writer(&mut *out, event)?;
            out.write_all(b"\n")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}
