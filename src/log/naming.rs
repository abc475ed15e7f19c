//! Segment file names: `<log>-<segment number, 20 digits>-<UTC start>.binlog`,
//! e.g. `orders-00000000000000000042-20261121T053000Z.binlog`. The zero-padded
//! segment number comes first, so names sort in write order whatever the
//! clock or the rolling period did; the UTC time after it is for people.
//!
//! Public: these are the names of a log's files that docs/FORMAT.md
//! section 14a specifies (segments, `<log>.manifest`, `<log>.lock`), and
//! the UTC stamp and calendar they are written with, for tools that find,
//! check or make a log's files beside the library (the `binlog` tool does).

use std::path::Path;

/// How every segment file name ends.
pub const SUFFIX: &str = ".binlog";
const SEGNO_DIGITS: usize = 20;

/// The file name of segment `segno` of log `log`, started at `start_ns`.
pub fn segment_name(log: &str, segno: u64, start_ns: i64) -> String {
    format!(
        "{log}-{segno:0SEGNO_DIGITS$}-{}{SUFFIX}",
        utc_stamp(start_ns)
    )
}

/// The segment number if `file_name` names a segment of log `log`.
pub fn parse_segment_name(log: &str, file_name: &str) -> Option<u64> {
    let rest = file_name
        .strip_prefix(log)?
        .strip_prefix('-')?
        .strip_suffix(SUFFIX)?;
    let (num, stamp) = rest.split_once('-')?;
    if num.len() != SEGNO_DIGITS || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if stamp.len() != 16 || !stamp.ends_with('Z') || stamp.as_bytes()[8] != b'T' {
        return None;
    }
    num.parse().ok()
}

/// The manifest of log `log` in `dir`.
pub fn manifest_path(dir: &Path, log: &str) -> std::path::PathBuf {
    dir.join(format!("{log}.manifest"))
}

/// The lock file of log `log` in `dir`: its writer holds an exclusive flock
/// on it while open, so that a second writer is refused even while the
/// first is between segments (in a roll, no segment is locked).
pub fn lock_path(dir: &Path, log: &str) -> std::path::PathBuf {
    dir.join(format!("{log}.lock"))
}

/// `YYYYMMDDTHHMMSSZ` for a time in ns since the epoch (UTC).
pub fn utc_stamp(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard
/// Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort_by_number() {
        let a = segment_name("orders", 9, 1_795_239_462_000_000_000);
        assert_eq!(a, "orders-00000000000000000009-20261121T053742Z.binlog");
        assert_eq!(parse_segment_name("orders", &a), Some(9));
        // a later segment started at an earlier clock still sorts after
        let b = segment_name("orders", 10, 0);
        assert!(b > a);
        assert_eq!(parse_segment_name("order", &a), None);
        assert_eq!(parse_segment_name("orders", "orders.manifest"), None);
        assert_eq!(
            parse_segment_name("orders", &format!("{a}.corrupt-12")),
            None
        );
    }

    #[test]
    fn utc_stamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400_000_000_000), "20000229T000000Z");
        assert_eq!(utc_stamp(-1_000_000_000), "19691231T235959Z");
    }
}
