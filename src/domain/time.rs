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

/// Days since the epoch of a calendar date (the inverse of `civil`'s date part).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads an instant as people and SIEMs write it: `2026-11-28` (midnight UTC),
/// `2026-11-28 05:12` (UTC), or RFC 3339 (`2026-11-28T05:12:09Z`, `…+01:00`).
pub fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    let num = |s: &str| -> Option<i64> { s.chars().all(|c| c.is_ascii_digit()).then(|| s.parse().ok()).flatten() };
    let (date, rest) = text.split_at_checked(10)?;
    let mut parts = date.split('-');
    let (y, m, d) = (num(parts.next()?)?, num(parts.next()?)?, num(parts.next()?)?);
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m as u32, d as u32);
    if civil(days * 86_400).2 != d as u32 {
        return None; // 31 April and the like
    }
    let mut secs = days * 86_400;
    if rest.is_empty() {
        return Some(secs);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut hms = clock.split(':');
    let hh = num(hms.next()?)?;
    let mm = num(hms.next()?)?;
    let ss = hms.next().map_or(Some(0), |s| num(s.split('.').next()?))?;
    if hms.next().is_some() || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    secs += hh * 3600 + mm * 60 + ss;
    match offset {
        "" | "Z" | "z" => Some(secs),
        _ => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (oh, om) = offset[1..].split_once(':')?;
            let (oh, om) = (num(oh)?, num(om)?);
            if oh > 23 || om > 59 {
                return None;
            }
            Some(secs - sign * (oh * 3600 + om * 60))
        }
    }
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
    fn parses_what_people_and_siems_write() {
        assert_eq!(parse_instant("2026-11-28T05:12:09Z"), Some(1_795_842_729));
        assert_eq!(parse_instant("2026-11-28T06:12:09+01:00"), Some(1_795_842_729));
        assert_eq!(parse_instant("2026-11-28 05:12"), Some(1_795_842_720));
        assert_eq!(parse_instant("2000-02-29"), Some(951_782_400));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-04-31",
            "2026-11-28T25:00Z",
            "2026-11-28X",
            "2026-01-01T00:00+999999999999999999:00",
            "99999999999999999999-01-01",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn relative_phrases() {
        assert_eq!(relative(0, 30), "just now");
        assert_eq!(relative(0, 3 * 3600 + 300), "in 3 h 5 min");
        assert_eq!(relative(200_000, 0), "2 days ago");
    }
}
