//! Segment file names: `<log>-<segment number, 20 digits>-<UTC start>.binlog`,
//! e.g. `orders-00000000000000000042-20261121T053000Z.binlog`. The zero-padded
//! segment number comes first, so names sort in write order whatever the
//! clock or the rolling period did; the UTC time after it is for people.
//!
//! Public (as `binlog::log::naming`): the names docs/FORMAT.md section 14a
//! specifies (segments, `<log>.manifest`, `<log>.lock`) and the UTC stamp
//! they are written with, for tools that find, check or make a log's files
//! beside the library. In the format, as the reader and the segment writer
//! need them as much as the log.

use std::path::Path;

/// How every segment file name ends.
pub const SUFFIX: &str = ".binlog";
/// How a compressed segment's file name ends: its segment's name and
/// `.zst` (docs/FORMAT.md section 17). It is the same segment, numbered
/// and read in the same place.
pub const COMPRESSED_SUFFIX: &str = ".binlog.zst";
const SEGNO_DIGITS: usize = 20;

/// The file name of segment `segno` of log `log`, started at `start_ns`.
pub fn segment_name(log: &str, segno: u64, start_ns: i64) -> String {
    format!(
        "{log}-{segno:0SEGNO_DIGITS$}-{}{SUFFIX}",
        utc_stamp(start_ns)
    )
}

/// The segment number if `file_name` names a segment of log `log`
/// (docs/FORMAT.md section 14a): exactly `<log>-<20 digits>-<stamp>.binlog`,
/// the digits a number no larger than `u64::MAX`, the stamp a real UTC
/// time (`YYYYMMDDTHHMMSSZ`: a month 01 to 12, a day that month has, an
/// hour below 24, minutes and seconds below 60). Anything else, such as a
/// name starting with '.' (no log name does), is not a segment.
pub fn parse_segment_name(log: &str, file_name: &str) -> Option<u64> {
    let rest = file_name
        .strip_prefix(log)?
        .strip_prefix('-')?
        .strip_suffix(SUFFIX)?;
    let (num, stamp) = rest.split_once('-')?;
    let numbered = num.len() == SEGNO_DIGITS && all_digits(num) && is_utc_stamp(stamp);
    (numbered && !file_name.starts_with('.')).then_some(())?;
    num.parse().ok()
}

/// Whether `s` is a non-empty run of ASCII digits.
fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is a `YYYYMMDDTHHMMSSZ` stamp of a time that exists.
fn is_utc_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    let shaped = b.len() == 16 && b[8] == b'T' && b[15] == b'Z';
    if !shaped || !all_digits(&s[..8]) || !all_digits(&s[9..15]) {
        return false;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(u32::MAX);
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    let (hh, mm, ss) = (n(9..11), n(11..13), n(13..15));
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m) && hh < 24 && mm < 60 && ss < 60
}

fn days_in_month(y: u32, m: u32) -> u32 {
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Where a file of a log stands in the log's read order: segments by
/// number, each followed by the files salvaged from it by offset (see
/// `salvaged_name`). The derived order is that read order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReadOrder {
    /// The segment's number; for a salvaged file, its origin's.
    pub segment_no: u64,
    /// For a salvaged file: the offset in its origin where the records
    /// it holds were, and which copy of that offset it is (0 for the
    /// first, n for a name ending `.<n>.binlog`).
    pub salvaged: Option<(u64, u64)>,
}

impl ReadOrder {
    /// The place of segment `segment_no`, or of the file salvaged from it
    /// that `salvaged` names.
    pub fn new(segment_no: u64, salvaged: Option<(u64, u64)>) -> ReadOrder {
        ReadOrder {
            segment_no,
            salvaged,
        }
    }
}

/// The infix of a salvaged file's name (see `salvaged_name`).
const SALVAGED: &str = ".salvaged-";

/// The name of the file `binlog repair --salvage` copies the records at
/// `offset` of segment file `segment_file_name` into:
/// `<stem>.salvaged-<offset>.binlog` (`stem`: of a compressed segment, its
/// plain segment's), or for its `copy`-th other file (`copy` > 0)
/// `<stem>.salvaged-<offset>.<copy>.binlog`.
pub fn salvaged_name(segment_file_name: &str, offset: u64, copy: u64) -> String {
    let (stem, copy) = (stem(segment_file_name), copy_suffix(copy));
    format!("{stem}{SALVAGED}{offset}{copy}{SUFFIX}")
}

/// What names the `copy`-th other file of a name (`copy` > 0): `.<copy>`;
/// nothing for the first.
fn copy_suffix(copy: u64) -> String {
    match copy {
        0 => String::new(),
        n => format!(".{n}"),
    }
}

const BACKUP: &str = ".corrupt-";

/// The backup a recovery keeps of segment file `segment`'s bytes from
/// `offset` on before it cuts them: `<segment>.corrupt-<offset>`, or for
/// its `copy`-th other backup there (`copy` > 0)
/// `<segment>.corrupt-<offset>.<copy>`.
pub fn backup_path(segment: &Path, offset: u64, copy: u64) -> std::path::PathBuf {
    let suffix = format!("{BACKUP}{offset}{}", copy_suffix(copy));
    crate::sys::with_suffix(segment, &suffix)
}

/// The segment file name that `file_name` is a backup of (`backup_name`),
/// if it has a backup's form (`backup_path`).
pub fn backed_up_file(file_name: &str) -> Option<&str> {
    let (file, at) = file_name.rsplit_once(BACKUP)?;
    let (offset, copy) = at.split_once('.').unwrap_or((at, "0"));
    (all_digits(offset) && all_digits(copy)).then_some(file)
}

/// For a `.binlog` path that does not exist (any more): its compressed
/// copy `<path>.zst`, if that exists (a log compresses sealed segments in
/// the background, so a path it handed out may lead to the `.zst` only).
pub fn compressed_copy_of(path: &Path) -> Option<std::path::PathBuf> {
    let name = path.file_name()?.to_str()?;
    if !name.ends_with(SUFFIX) {
        return None;
    }
    let zst = crate::sys::with_suffix(path, ".zst");
    zst.exists().then_some(zst)
}

/// A segment's file name without `.binlog` (or `.binlog.zst`).
pub fn stem(file_name: &str) -> &str {
    let plain = plain_name(file_name);
    plain.strip_suffix(SUFFIX).unwrap_or(plain)
}

/// Whether `file_name` is a compressed segment's (ends in `.binlog.zst`).
pub fn is_compressed_name(file_name: &str) -> bool {
    file_name.ends_with(COMPRESSED_SUFFIX)
}

/// Whether `path` names a compressed segment (`is_compressed_name`).
pub fn is_compressed_path(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_compressed_name)
}

/// `file_name` without the `.zst` of a compressed segment: the name of the
/// segment it holds.
pub fn plain_name(file_name: &str) -> &str {
    let stem = file_name.strip_suffix(COMPRESSED_SUFFIX);
    stem.map_or(file_name, |s| &file_name[..s.len() + SUFFIX.len()])
}

/// Where `file_name` stands in log `log`'s read order, if it names a
/// segment of the log (plain or compressed: `.binlog.zst`) or a file
/// salvaged from one.
pub fn parse_log_file_name(log: &str, file_name: &str) -> Option<ReadOrder> {
    if let Some(segment_no) = parse_segment_name(log, plain_name(file_name)) {
        return Some(ReadOrder::new(segment_no, None));
    }
    let (origin, at) = split_salvaged(file_name)?;
    Some(ReadOrder::new(parse_segment_name(log, &origin)?, Some(at)))
}

/// The log that `file_name` is a file of, and where it stands in it:
/// the log name is what precedes the segment number.
pub fn log_of_file_name(file_name: &str) -> Option<(String, ReadOrder)> {
    let (origin, _) = split_salvaged(file_name).unwrap_or((file_name.to_string(), (0, 0)));
    let stem = plain_name(&origin).strip_suffix(SUFFIX)?;
    // Before the segment number and the stamp.
    let log = stem.rsplitn(3, '-').nth(2)?;
    Some((log.to_string(), parse_log_file_name(log, file_name)?))
}

/// A salvaged file's name split into its origin's file name and (offset,
/// copy), if it has a salvaged file's form.
pub(crate) fn split_salvaged(file_name: &str) -> Option<(String, (u64, u64))> {
    let (stem, at) = file_name.strip_suffix(SUFFIX)?.rsplit_once(SALVAGED)?;
    let (offset, copy) = match at.split_once('.') {
        None => (at, 0),
        Some((o, c)) if all_digits(c) && !c.starts_with('0') => (o, c.parse().ok()?),
        Some(_) => return None,
    };
    all_digits(offset).then_some(())?;
    let at = (offset.parse().ok()?, copy);
    Some((format!("{stem}{SUFFIX}"), at))
}

/// The manifest of log `log` in `dir`.
pub fn manifest_path(dir: &Path, log: &str) -> std::path::PathBuf {
    dir.join(format!("{log}.manifest"))
}

/// The lock file of log `log` in `dir`: its writer holds an exclusive
/// flock on it while open, refusing a second writer even between segments.
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

/// Digits of each number in a shipped segment's object name.
const OBJECT_DIGITS: usize = 20;

/// The part of a segment's key after `<prefix>/<log>/`.
pub fn segment_object_name(segment_no: u64, first_seq: u64, compressed: bool) -> String {
    let suffix = if compressed {
        COMPRESSED_SUFFIX
    } else {
        SUFFIX
    };
    format!("{segment_no:0OBJECT_DIGITS$}-{first_seq:0OBJECT_DIGITS$}{suffix}")
}

/// The part after `<prefix>/<log>/` of the key of a file salvaged from
/// segment `segment_no` (`salvaged_name`'s `offset` and `copy`), whose
/// first record is `first_seq`: `<segment no>-<first
/// seq>.salvaged-<offset>.<copy>.binlog`, each number 20 digits. It sorts
/// after its segment's object and before the next segment's, and is no
/// segment key to a reader that knows only those. Never compressed.
#[cfg(feature = "s3")]
pub fn salvaged_object_name(segment_no: u64, first_seq: u64, offset: u64, copy: u64) -> String {
    format!(
        "{segment_no:0OBJECT_DIGITS$}-{first_seq:0OBJECT_DIGITS$}{SALVAGED}\
         {offset:0OBJECT_DIGITS$}.{copy:0OBJECT_DIGITS$}{SUFFIX}"
    )
}

/// A segment's key, or a salvaged file's, as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentKey {
    pub segment_no: u64,
    /// The object's first record's sequence number (a salvaged file's own,
    /// not its segment's).
    pub first_seq: u64,
    pub compressed: bool,
    /// For a salvaged file's object: the offset and copy of the file's
    /// name (`salvaged_name`).
    pub salvaged: Option<(u64, u64)>,
}

impl SegmentKey {
    /// Where the object stands in its log's read order: a salvaged file's
    /// right after its segment, as the local file's does.
    pub fn order(&self) -> ReadOrder {
        ReadOrder::new(self.segment_no, self.salvaged)
    }
}

/// The object names of a log other than its segments' (FORMAT.md
/// section 18): its identity, its prune marker, what a pruner's claim's
/// name starts with (its generation, 20 digits, follows), what a
/// shipped signed head's starts with (its segment and end follow) and
/// what ends the name of a head put once its segment was in the bucket.
#[cfg(feature = "s3")]
pub const CLAIM_OBJECT: &str = "claim";
#[cfg(feature = "s3")]
pub const PRUNE_MARKER_OBJECT: &str = "pruned";
#[cfg(feature = "s3")]
pub const PRUNE_CLAIM_OBJECT: &str = "prune-claim-";
#[cfg(feature = "s3")]
pub const HEAD_OBJECT: &str = "head-";
#[cfg(feature = "s3")]
pub const HEAD_SHIPPED: &str = "-shipped";

/// What an object of a log is, by the part of its key after
/// `<prefix>/<log>/` (FORMAT.md section 18): the one reading of those
/// names, for every lister of a bucket.
#[cfg(feature = "s3")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogObject {
    /// A segment's object, or a salvaged file's (`parse_object_key`).
    Segment(SegmentKey),
    /// The log's identity (`claim`).
    Claim,
    /// The prune marker (`pruned`).
    PruneMarker,
    /// A pruner's claim, of this generation.
    PruneClaim(u64),
    /// A signed head the shipper put (`head-<segment no>-<end>`, each 20
    /// digits, then `-shipped` if its segment was in the bucket): the
    /// segment it names and the bytes of it it covers.
    Head(u64, u64),
    /// Any other name: no object of a log.
    Foreign,
}

#[cfg(feature = "s3")]
impl LogObject {
    /// What the object named `name` (under `<prefix>/<log>/`) is.
    pub fn of(name: &str) -> LogObject {
        let head = || {
            let name = name.strip_suffix(HEAD_SHIPPED).unwrap_or(name);
            let (no, end) = name.strip_prefix(HEAD_OBJECT)?.split_once('-')?;
            Some(LogObject::Head(object_number(no)?, object_number(end)?))
        };
        let claim = || object_number(name.strip_prefix(PRUNE_CLAIM_OBJECT)?);
        match name {
            CLAIM_OBJECT => LogObject::Claim,
            PRUNE_MARKER_OBJECT => LogObject::PruneMarker,
            _ => (parse_object_key(name).map(LogObject::Segment))
                .or_else(head)
                .or_else(|| claim().map(LogObject::PruneClaim))
                .unwrap_or(LogObject::Foreign),
        }
    }
}

/// A number of an object's name: exactly `OBJECT_DIGITS` digits.
fn object_number(s: &str) -> Option<u64> {
    let digits = s.len() == OBJECT_DIGITS && all_digits(s);
    digits.then(|| s.parse().ok()).flatten()
}

/// What the part of a key after `<prefix>/<log>/` says, if it names a
/// segment (`LogObject::Segment`: exactly `<20 digits>-<20 digits>.binlog` or `.binlog.zst`)
/// or a file salvaged from one (exactly `<20 digits>-<20
/// digits>.salvaged-<20 digits>.<20 digits>.binlog`).
pub fn parse_object_key(name: &str) -> Option<SegmentKey> {
    let (stem, compressed) = match name.strip_suffix(COMPRESSED_SUFFIX) {
        Some(stem) => (stem, true),
        None => (name.strip_suffix(SUFFIX)?, false),
    };
    let (stem, salvaged) = match stem.split_once(SALVAGED) {
        None => (stem, None),
        Some(_) if compressed => return None,
        Some((stem, at)) => {
            let (offset, copy) = at.split_once('.')?;
            (stem, Some((object_number(offset)?, object_number(copy)?)))
        }
    };
    let (segno, first) = stem.split_once('-')?;
    Some(SegmentKey {
        segment_no: object_number(segno)?,
        first_seq: object_number(first)?,
        compressed,
        salvaged,
    })
}

/// The key of the object at `path`, if it is an `s3://` URL of a
/// segment's or a salvaged file's key (without feature "s3", no path
/// names an object: a log's files are local).
pub(crate) fn remote_key(path: &Path) -> Option<SegmentKey> {
    if !cfg!(feature = "s3") || !is_object(path) {
        return None;
    }
    parse_object_key(path.file_name()?.to_str()?)
}

/// Whether `path` names an object (`s3://`), not a local file.
pub(crate) fn is_object(path: &Path) -> bool {
    path.as_os_str().as_encoded_bytes().starts_with(b"s3://")
}

/// The read order of the object at `path`, if it is an `s3://` URL of a
/// segment's (or salvaged file's) key.
pub(crate) fn remote_order(path: &Path) -> Option<ReadOrder> {
    remote_key(path).map(|k| k.order())
}

/// The URL of segment object `segment_no`, whose first record is
/// `first_seq`, missing before the object at `next` (an `s3://` URL of a
/// segment key): its plain key in the same place (whether it was shipped
/// compressed is not known). `None` if `next` is no such URL.
pub(crate) fn missing_object_url(
    next: &Path,
    segment_no: u64,
    first_seq: u64,
) -> Option<std::path::PathBuf> {
    remote_order(next)?;
    Some(next.with_file_name(segment_object_name(segment_no, first_seq, false)))
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
    fn names_that_look_like_segments_but_are_not() {
        let ok = "orders-00000000000000000009-20240229T235959Z.binlog";
        assert_eq!(parse_segment_name("orders", ok), Some(9));
        for bad in [
            // above u64::MAX (18446744073709551615)
            "orders-18446744073709551616-20261121T053742Z.binlog",
            "orders-99999999999999999999-20261121T053742Z.binlog",
            // impossible dates and times
            "orders-00000000000000000009-20230229T000000Z.binlog",
            "orders-00000000000000000009-20261321T053742Z.binlog",
            "orders-00000000000000000009-20261100T053742Z.binlog",
            "orders-00000000000000000009-20260431T053742Z.binlog",
            "orders-00000000000000000009-20261121T243742Z.binlog",
            "orders-00000000000000000009-20261121T056042Z.binlog",
            "orders-00000000000000000009-20261121T053760Z.binlog",
            "orders-00000000000000000009-2026112xT053742Z.binlog",
            "orders-00000000000000000009-20261121T05374+Z.binlog",
            "orders-0000000000000000000+-20261121T053742Z.binlog",
        ] {
            assert_eq!(parse_segment_name("orders", bad), None, "{bad}");
            assert_eq!(log_of_file_name(bad), None, "{bad}");
        }
        assert_eq!(
            parse_segment_name(
                "orders",
                "orders-18446744073709551615-20261121T053742Z.binlog"
            ),
            Some(u64::MAX)
        );
        // A name starting with '.' is no log's (no log name starts so).
        assert_eq!(log_of_file_name(&format!(".{ok}")), None);
        assert_eq!(parse_segment_name(".orders", &format!(".{ok}")), None);
    }

    #[test]
    fn salvaged_files_sort_right_after_their_segment_by_offset() {
        let seg = segment_name("my-log", 7, 0);
        let at = |off, copy| parse_log_file_name("my-log", &salvaged_name(&seg, off, copy));
        let of = |segment_no, salvaged| Some(ReadOrder::new(segment_no, salvaged));
        assert_eq!(at(964, 0), of(7, Some((964, 0))));
        assert_eq!(at(964, 2), of(7, Some((964, 2))));
        assert_eq!(parse_log_file_name("my-log", &seg), of(7, None));
        // By number, not by name: offset 10060 after 964.
        let mut v = [
            at(10060, 0),
            at(964, 1),
            at(964, 0),
            of(8, None),
            of(7, None),
        ];
        v.sort();
        assert_eq!(
            v,
            [
                of(7, None),
                at(964, 0),
                at(964, 1),
                at(10060, 0),
                of(8, None)
            ]
        );
        assert_eq!(
            log_of_file_name(&salvaged_name(&seg, 964, 0)),
            Some((
                "my-log".into(),
                ReadOrder {
                    segment_no: 7,
                    salvaged: Some((964, 0))
                }
            ))
        );
        for bad in [
            "x.salvaged-.binlog",
            "x.salvaged-12a.binlog",
            "x.salvaged-12.0.binlog",
        ] {
            let name = format!("{}{}", seg.strip_suffix(SUFFIX).unwrap(), &bad[1..]);
            assert_eq!(parse_log_file_name("my-log", &name), None, "{name}");
        }
    }

    #[test]
    fn log_names_from_file_names() {
        let f = segment_name("my-log.v2", 42, 0);
        let at = ReadOrder::new;
        assert_eq!(
            log_of_file_name(&f),
            Some(("my-log.v2".into(), at(42, None)))
        );
        assert_eq!(
            log_of_file_name(&salvaged_name(&f, 9, 0)),
            Some(("my-log.v2".into(), at(42, Some((9, 0)))))
        );
        assert_eq!(log_of_file_name("quickstart.binlog"), None);
        assert_eq!(log_of_file_name(&format!("{f}.corrupt-7")), None);
    }

    #[test]
    fn a_compressed_segment_is_its_segment_in_the_same_place() {
        let seg = segment_name("my-log", 7, 0);
        let zst = format!("{seg}.zst");
        assert!(is_compressed_name(&zst) && !is_compressed_name(&seg));
        assert_eq!(plain_name(&zst), seg);
        assert_eq!(plain_name(&seg), seg);
        let order = parse_log_file_name("my-log", &seg);
        assert!(order.is_some());
        assert_eq!(parse_log_file_name("my-log", &zst), order);
        assert_eq!(
            log_of_file_name(&zst),
            Some(("my-log".into(), order.unwrap()))
        );
        // Leftovers of a compression, and a salvaged file's name with
        // .zst, are no files of the log.
        for not in [
            format!("{zst}.tmp"),
            format!("{seg}.tmp"),
            format!("{seg}.zst.zst"),
            format!("{}.zst", salvaged_name(&seg, 964, 0)),
        ] {
            assert_eq!(parse_log_file_name("my-log", &not), None, "{not}");
            assert_eq!(log_of_file_name(&not), None, "{not}");
        }
    }

    #[test]
    fn utc_stamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400_000_000_000), "20000229T000000Z");
        assert_eq!(utc_stamp(-1_000_000_000), "19691231T235959Z");
    }
}
