//! Instants are whole seconds since the Unix epoch, the same in both databases.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `2026-11-28 05:12 UTC`, for people.
pub fn format_utc(secs: i64) -> String {
    let (y, m, d, hh, mm, _) = civil(secs);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02} UTC")
}

/// `2026-11-28T05:12:09Z`, for machines.
pub fn format_rfc3339(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Splits epoch seconds into the proleptic Gregorian calendar (days-from-civil inverted).
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, (rem / 3600) as u32, (rem % 3600 / 60) as u32, (rem % 60) as u32)
}

/// "in 3 h 5 min", "2 days ago": a short relative phrase.
pub fn relative(from: i64, to: i64) -> String {
    let delta = to - from;
    let span = delta.unsigned_abs();
    let text = if span < 60 {
        return "just now".into();
    } else if span < 3_600 {
        format!("{} min", span / 60)
    } else if span < 86_400 {
        format!("{} h {} min", span / 3_600, span % 3_600 / 60)
    } else {
        format!("{} days", span / 86_400)
    };
    if delta > 0 { format!("in {text}") } else { format!("{text} ago") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_842_729), "2026-11-28T05:12:09Z");
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn relative_phrases() {
        assert_eq!(relative(0, 30), "just now");
        assert_eq!(relative(0, 3 * 3600 + 300), "in 3 h 5 min");
        assert_eq!(relative(200_000, 0), "2 days ago");
    }
}
