//! Times as people read and type them: UTC RFC 3339 with nanoseconds for
//! output, and for `--since`/`--until` either RFC 3339 (any offset, optional
//! fraction or seconds, or a bare date) or a time relative to now (`10m`,
//! `1h30m`, `2d`, `now`). Dates are chrono's (its RFC 3339 parser and
//! printer; a protobuf Timestamp's text is written here, from chrono's
//! date), durations humantime's.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike};

const NS: i64 = 1_000_000_000;

/// `2026-11-21T05:37:42.123456789Z` (always nine fraction digits, so the
/// strings sort like the times).
pub fn rfc3339(ns: i64) -> String {
    DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A shorter form for buckets and summaries: `2026-11-21T05:37:42Z` when
/// the fraction is zero.
pub fn rfc3339_short(ns: i64) -> String {
    let digits = [SecondsFormat::Nanos, SecondsFormat::Secs][usize::from(ns % NS == 0)];
    DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(digits, true)
}

/// Appends a protobuf Timestamp's JSON form, quoted:
/// `"2026-11-21T05:37:42.120Z"`, with as many of 0, 3, 6 or 9 fraction
/// digits as its nanoseconds need. A time of the years 1 to 9999, `nanos`
/// below 10^9 (else a panic). Written digit by digit: chrono's writer
/// (a `String`, `fmt`) made a Timestamp cost as much to decode as the
/// nine other fields of `make bench-export`'s records together.
pub fn push_rfc3339_proto(out: &mut Vec<u8>, seconds: i64, nanos: u32) {
    let t = DateTime::from_timestamp(seconds, nanos).expect("a time of the years 1 to 9999");
    let s = t.num_seconds_from_midnight();
    let date = (t.year() as u32 * 100 + t.month()) * 100 + t.day();
    let hms = s / 3600 * 10_000 + s / 60 % 60 * 100 + s % 60;
    let mut text = *PROTO_TIME;
    // YYYYMMDD, hhmmss and the nanoseconds, each written from its last digit.
    for (mut n, at, end) in [(date, 1, 11), (hms, 12, 20), (nanos, 21, 30)] {
        for i in (at..end).rev().filter(|&i| PROTO_TIME[i].is_ascii_digit()) {
            (text[i], n) = (b'0' + (n % 10) as u8, n / 10);
        }
    }
    let zeros = (1..=3).filter(|&k| nanos % 1_000u32.pow(k) == 0).count();
    out.extend_from_slice(&text[..30 - 3 * zeros - usize::from(nanos == 0)]);
    out.extend_from_slice(b"Z\"");
}

/// The places of `push_rfc3339_proto`'s digits.
const PROTO_TIME: &[u8; 32] = b"\"0000-00-00T00:00:00.000000000Z\"";

/// Now, in ns since the epoch (the wall clock, as a writer stamps records).
pub fn now_ns() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Parses `--since`/`--until` values: RFC 3339 (`parse_rfc3339`), `now`, a
/// duration before now (humantime's: `10m`, `1h30m`, `1h 30m`, `1.5h`,
/// `2d`, `500ms`, with an optional ` ago`), or `@<seconds since the epoch>`.
pub fn parse_time(s: &str, now: i64) -> Result<i64, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(epoch) = t.strip_prefix('@') {
        return parse_epoch(epoch).ok_or_else(|| bad_time(s));
    }
    let rel = t.strip_suffix(" ago").unwrap_or(t).trim();
    let ago = humantime::parse_duration(rel).ok();
    if let Some(d) = ago.and_then(|d| i64::try_from(d.as_nanos()).ok()) {
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
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    (frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit())).then_some(())?;
    let secs: i64 = int.parse().ok()?;
    let f = format!("{frac:0<9}").parse::<i64>().ok()?;
    // By the sign as typed: `-0.5` has whole seconds 0.
    secs.checked_mul(NS)?
        .checked_add(if int.starts_with('-') { -f } else { f })
}

/// RFC 3339 as chrono reads it (`T`, `t` or a space between date and time;
/// `Z` or `±HH:MM` up to 23:59; a fraction of any length, cut to
/// nanoseconds), also without seconds (`2026-11-21 05:30Z`), or a bare
/// date (UTC midnight). The offset is required.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let no_seconds = s.get(16..).is_some_and(|z| !z.starts_with([':', '.']));
    let full = match (s.len(), no_seconds) {
        (10, _) => format!("{s}T00:00:00Z"),
        (_, true) => format!("{}:00{}", &s[..16], &s[16..]),
        _ => s.to_string(),
    };
    let time = DateTime::parse_from_rfc3339(&full).ok()?;
    time.timestamp_nanos_opt()
}

/// Floors `ns` to the start of its `bucket` (ns long). The first bucket of
/// the range starts before `i64::MIN`: it is taken to start there.
pub fn floor(ns: i64, bucket: i64) -> i64 {
    ns.checked_sub(ns.rem_euclid(bucket)).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A protobuf Timestamp prints as prost prints it (what prost-reflect
    /// prints), from the year 1 to 9999, with 0, 3, 6 and 9 fraction digits.
    #[test]
    fn protobuf_timestamps_print_as_prost_prints_them() {
        let (first, last) = (-62_135_596_800, 253_402_300_799);
        let days = (first..=last)
            .step_by(86_400 * 97 + 3_661)
            .chain([first, last, -1, 0]);
        for seconds in days {
            for nanos in [0, 5_000_000, 120_000, 1, 999_999_999] {
                let mut out = Vec::new();
                push_rfc3339_proto(&mut out, seconds, nanos);
                let prost = prost_reflect::prost_types::Timestamp {
                    seconds,
                    nanos: nanos as i32,
                };
                assert_eq!(String::from_utf8(out).unwrap(), format!("\"{prost}\""));
            }
        }
    }

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

    /// What chrono's RFC 3339 parser takes beside the forms above: any
    /// offset to ±23:59, a leap second, a fraction longer than nanoseconds
    /// (cut); and what it refuses: no offset, a fraction on the minutes.
    #[test]
    fn parses_offsets_and_fractions() {
        let t = 1_700_000_000 * NS;
        assert_eq!(parse_rfc3339("2023-11-14t22:13:20z"), Some(t));
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20-00:30"),
            Some(t + 1800 * NS)
        );
        assert_eq!(parse_rfc3339("2023-11-15T22:12:20+23:59"), Some(t));
        assert_eq!(parse_rfc3339("2023-11-15 00:13+02:00"), Some(t - 20 * NS));
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.123456789999Z"),
            Some(t + 123_456_789)
        );
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.000001Z"), Some(t + 1000));
        assert_eq!(
            parse_rfc3339("2016-12-31T23:59:60Z"),
            parse_rfc3339("2017-01-01")
        );
        for bad in [
            "2023-11-14T22:13:20",
            "2023-11-14T22:13",
            "2023-11-14T22:13.5Z",
            "2023-11-14T22:13:20,5Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:20+0200",
            "2023-1-14",
            "20231114",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    /// Durations are humantime's: units run together or apart, fractions,
    /// months and years; a number needs its unit.
    #[test]
    fn parses_durations_before_now() {
        let t = 1_700_000_000 * NS;
        assert_eq!(parse_time("1h30m", t), Ok(t - 5400 * NS));
        assert_eq!(parse_time("1h 30m", t), Ok(t - 5400 * NS));
        assert_eq!(parse_time("1.5h ago", t), Ok(t - 5400 * NS));
        assert_eq!(parse_time("250ms", t), Ok(t - NS / 4));
        assert_eq!(parse_time("7ns", t), Ok(t - 7));
        assert_eq!(parse_time("2d", t), Ok(t - 2 * 86_400 * NS));
        assert_eq!(parse_time("1w", t), Ok(t - 7 * 86_400 * NS));
        assert_eq!(parse_time("1y", t), Ok(t - 31_557_600 * NS));
        assert_eq!(parse_time("250y", 0), Ok(-250 * 31_557_600 * NS));
        assert!(parse_time("300y", 0).is_err(), "past i64 nanoseconds");
        let err = parse_time("90", t).unwrap_err();
        assert!(
            err.starts_with("cannot read time \"90\": use RFC 3339"),
            "{err}"
        );
        assert!(parse_time("10 parsecs", t).is_err());
        assert!(parse_time("-5m", t).is_err());
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
