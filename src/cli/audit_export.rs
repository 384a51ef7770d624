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

/// One event as one line for every line reader: JSON escapes C0 controls, and NEL (U+0085),
/// U+2028 and U+2029 (line breaks to Python's `splitlines` and many JavaScript readers,
/// legal unescaped in JSON) are escaped here too.
pub fn json_line(event: &impl serde::Serialize) -> Result<String, serde_json::Error> {
    let json = serde_json::to_string(event)?;
    let mut line = json.replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029").replace('\u{85}', "\\u0085");
    line.push('\n');
    Ok(line)
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
            out.write_all(json_line(event)?.as_bytes())?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_one_line_for_every_line_reader() {
        let event = serde_json::json!({ "note": "a\u{2028}b\u{2029}c\nd\u{85}e" });
        let line = json_line(&event).unwrap();
        assert_eq!(line.lines().count(), 1);
        assert!(!line.trim_end().chars().any(|c| matches!(c, '\u{2028}' | '\u{2029}' | '\n' | '\u{85}')), "{line:?}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, event);
    }
}
