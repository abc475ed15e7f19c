//! Times as people read and type them: UTC RFC 3339 with nanoseconds for
//! output, and for `--since`/`--until` either RFC 3339 (any offset, optional
//! fraction, or a bare date) or a time relative to now (`10m`, `1h30m`,
//! `2d`, `now`). Written here rather than pulled from a date crate: the tool
//! needs only UTC, and the calendar conversion is the library's own
//! (`binlog::log::naming::civil_from_days`).

use binlog::log::naming::civil_from_days;
use std::fmt::Write;

const NS: i64 = 1_000_000_000;

/// `2026-11-21T05:37:42.123456789Z` (always nine fraction digits, so the
/// strings sort like the times).
pub fn rfc3339(ns: i64) -> String {
    let mut s = String::with_capacity(30);
    push_rfc3339(&mut s, ns);
    s
}

/// Appends `rfc3339(ns)` to `out`.
pub fn push_rfc3339(out: &mut String, ns: i64) {
    let secs = ns.div_euclid(NS);
    let frac = ns.rem_euclid(NS);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
}

/// A shorter form for buckets and summaries: `2026-11-21T05:37:42Z` when
/// the fraction is zero.
pub fn rfc3339_short(ns: i64) -> String {
    if ns.rem_euclid(NS) == 0 {
        let mut s = rfc3339(ns);
        s.replace_range(19..29, "");
        s
    } else {
        rfc3339(ns)
    }
}

/// Now, in ns since the epoch.
pub fn now_ns() -> i64 {
    binlog::clock::now_ns()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`, the inverse of the library's `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `--since`/`--until` values: RFC 3339, a bare date (UTC midnight),
/// `now`, a duration before now (`10m`, `1h30m`, `2d`, `500ms`, with an
/// optional ` ago`), or `@<seconds since the epoch>`.
pub fn parse_time(s: &str, now: i64) -> Result<i64, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(epoch) = t.strip_prefix('@') {
        return parse_epoch(epoch).ok_or_else(|| bad_time(s));
    }
    let rel = t.strip_suffix(" ago").unwrap_or(t).trim();
    if let Some(d) = parse_duration(rel) {
        return Ok(now.saturating_sub(d));
    }
    parse_rfc3339(t).ok_or_else(|| bad_time(s))
}

fn bad_time(s: &str) -> String {
    format!(
        "cannot read time {s:?}: use RFC 3339 (2026-11-21T05:30:00Z, 2026-11-21T07:30:00+02:00, \
         2026-11-21), a time before now (30s, 10m, 1h30m, 2d), `now`, or @<epoch seconds>"
    )
}

fn parse_epoch(s: &str) -> Option<i64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let secs: i64 = int.parse().ok()?;
    let f = parse_fraction(frac)?;
    // By the sign as typed: `-0.5` has whole seconds 0.
    secs.checked_mul(NS)?
        .checked_add(if int.starts_with('-') { -f } else { f })
}

/// Nanoseconds of a fraction's digits (`"5"` is 500 ms); at most 9 digits.
fn parse_fraction(f: &str) -> Option<i64> {
    if f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if f.is_empty() {
        return Some(0);
    }
    let v: i64 = f.parse().ok()?;
    Some(v * 10i64.pow(9 - f.len() as u32))
}

/// A duration like `90s`, `10m`, `1h30m`, `2d`, `1w`, `250ms`, `5us`, `7ns`;
/// a bare number is seconds. Returns nanoseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(NS);
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" | "sec" | "secs" => NS,
            "m" | "min" | "mins" => 60 * NS,
            "h" | "hour" | "hours" => 3600 * NS,
            "d" | "day" | "days" => 86_400 * NS,
            "w" | "week" | "weeks" => 7 * 86_400 * NS,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    Some(total)
}

/// RFC 3339 (`T`, `t` or a space between date and time; `Z` or `±HH:MM`;
/// optional fraction up to nanoseconds; seconds optional) or a bare date.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (digits(s, 0, 4)?, digits(s, 5, 2)?, digits(s, 8, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    // A day the month does not have (February 30th) lands in the next
    // month: a date exists when it comes back from its day number as it was.
    if civil_from_days(days) != (y, mo as u32, d as u32) {
        return None;
    }
    if b.len() == 10 {
        return days.checked_mul(86_400 * NS);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (h, mi) = (digits(s, 11, 2)?, digits(s, 14, 2)?);
    let mut i = 16;
    let mut sec = 0;
    let mut frac = 0;
    if b.get(i) == Some(&b':') {
        sec = digits(s, i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            let f = &s[i + 1..i + 1 + n];
            // More than nanosecond precision: ignore the extra digits.
            frac = parse_fraction(&f[..f.len().min(9)])?;
            i += 1 + n;
        }
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let offset = parse_utc_offset(s, i)?;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    secs.checked_mul(NS)?.checked_add(frac)?.checked_sub(offset)
}

/// The number written with the `len` ASCII digits at `from` of `s`.
fn digits(s: &str, from: usize, len: usize) -> Option<i64> {
    let part = s.get(from..from + len)?;
    if !part.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// The UTC offset that ends an RFC 3339 time from byte `i` of `s` (`Z`,
/// nothing, or `±HH:MM`), in ns.
fn parse_utc_offset(s: &str, i: usize) -> Option<i64> {
    let tz = &s[i..];
    if matches!(tz, "Z" | "z" | "") {
        return Some(0);
    }
    let tb = tz.as_bytes();
    if tb.len() != 6 || !matches!(tb[0], b'+' | b'-') || tb[3] != b':' {
        return None;
    }
    let (oh, om) = (digits(s, i + 1, 2)?, digits(s, i + 4, 2)?);
    if oh > 23 || om > 59 {
        return None;
    }
    let o = (oh * 3600 + om * 60) * NS;
    Some(if tb[0] == b'-' { -o } else { o })
}

/// Floors `ns` to the start of its `bucket` (ns long). The first bucket of
/// the range starts before `i64::MIN`: it is taken to start there.
pub fn floor(ns: i64, bucket: i64) -> i64 {
    ns.checked_sub(ns.rem_euclid(bucket)).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339(1_700_000_000_000_001_000),
            "2023-11-14T22:13:20.000001000Z"
        );
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(rfc3339_short(1_700_000_000 * NS), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn parses_rfc3339_and_relative() {
        let t = 1_700_000_000 * NS;
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(t));
        assert_eq!(parse_rfc3339("2023-11-15T00:13:20+02:00"), Some(t));
        assert_eq!(parse_rfc3339("2023-11-14 22:13:20.5Z"), Some(t + NS / 2));
        assert_eq!(parse_rfc3339("2023-11-14T22:13Z"), Some(t - 20 * NS));
        assert_eq!(parse_rfc3339("1970-01-02"), Some(86_400 * NS));
        assert_eq!(
            parse_rfc3339(&rfc3339(-123_456_789_012)),
            Some(-123_456_789_012)
        );
        assert_eq!(parse_rfc3339("2023-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2023-02-29"), None);
        assert_eq!(parse_rfc3339("2023-04-31"), None);
        assert_eq!(parse_rfc3339("2024-02-29"), Some(19_782 * 86_400 * NS));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20+-1:00"), None);
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20+24:00"), None);
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20+00:60"), None);
        assert_eq!(parse_time("10m", t), Ok(t - 600 * NS));
        assert_eq!(parse_time("1h30m ago", t), Ok(t - 5400 * NS));
        assert_eq!(parse_time("now", t), Ok(t));
        assert_eq!(parse_time("@1700000000", 0), Ok(t));
        assert!(parse_time("yesterday", t).is_err());
    }

    #[test]
    fn floors_at_the_start_of_the_range() {
        let hour = 3600 * NS;
        assert_eq!(floor(i64::MIN, hour), i64::MIN);
        assert_eq!(floor(i64::MIN + 1, 60 * NS), i64::MIN);
        assert_eq!(floor(-1, hour), -hour);
        assert_eq!(
            floor(i64::MAX, 86_400 * NS),
            i64::MAX - i64::MAX % (86_400 * NS)
        );
    }

    /// `@<seconds>` before the epoch: the fraction goes the way of the sign,
    /// also when the whole seconds are zero.
    #[test]
    fn parses_epoch_seconds_before_1970() {
        assert_eq!(parse_time("@-1.5", 0), Ok(-3 * NS / 2));
        assert_eq!(parse_time("@-0.5", 0), Ok(-NS / 2));
        assert_eq!(parse_time("@0.25", 0), Ok(NS / 4));
    }
}
