//! What a log reader could not return, whatever the tier: which segment or
//! object, which sequence numbers, and why. Its `Display` is the one
//! wording of a gap (docs/FORMAT.md section 18.2a).

use crate::error::{Error, ErrorKind};
use crate::format::header::{SegmentHeader, FIRST_SEQ_OFFSET};
use crate::format::naming;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why records could not be returned: a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GapReason {
    /// A listed segment of a log directory gone before it could be
    /// opened, or segments missing with no older listed file left
    /// (retention removes the oldest first).
    Retention,
    /// A segment or object that should be there and is not.
    Missing,
    /// Bytes lost to damage: at `Gap::offset` (a torn tail with a later
    /// segment after it), or (no offset) before a file salvaged from the
    /// segment.
    Damage,
    /// Consecutive segments (no segment number skipped) whose sequence
    /// numbers do not continue each other.
    SeqJump,
}

impl GapReason {
    /// Its name, as the tool's JSON and the bindings spell it.
    pub fn name(self) -> &'static str {
        match self {
            GapReason::Retention => "retention",
            GapReason::Missing => "missing",
            GapReason::Damage => "damage",
            GapReason::SeqJump => "seq-jump",
        }
    }
}

/// Records a log reader could not return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// Why the records are missing.
    pub reason: GapReason,
    /// The segment file, or object (`s3://bucket/key`; a missing one by its
    /// plain key), the records were lost from when its name is known; else
    /// the segment after the gap (a `SeqJump`; a local segment missing).
    pub path: PathBuf,
    /// Where in `path` the bytes are lost (`Damage` only).
    pub offset: Option<u64>,
    /// First sequence number missing (when known).
    pub from_seq: Option<u64>,
    /// First sequence number present after the gap (when known): the
    /// records lost are `from_seq..to_seq`.
    pub to_seq: Option<u64>,
}

/// Where one segment ended, for `gap_between`.
#[derive(Clone, Copy, Debug)]
pub struct SegmentEnd {
    /// Its segment number.
    pub segment_no: u64,
    /// The sequence number after its last record.
    pub next_seq: u64,
}

/// The segment at `path` starts at `first`, before `exp`, where the
/// segment before it (at `previous`) ends: their sequence numbers overlap,
/// a `Corrupt` error at the header's `first_seq` field.
pub fn overlap(path: &Path, first: u64, previous: &Path, exp: u64) -> Error {
    let what = format!(
        "the segment starts at sequence number {first}, but the previous segment {} ends \
         before {exp}: their sequence numbers overlap",
        previous.display()
    );
    Error::at(ErrorKind::Corrupt, path, FIRST_SEQ_OFFSET, what)
}

/// The gap between segment `prev` and the segment at `next` (segment
/// `segment_no`, first record `first_seq`), if records are missing
/// between them: `Missing` if segment numbers skip one, `Damage` when
/// `next` is a file salvaged from `prev`'s segment, else `SeqJump`. `None`
/// if `next` continues `prev` (or overlaps it: the caller's error).
pub fn gap_between(prev: SegmentEnd, next: &Path, segment_no: u64, first_seq: u64) -> Option<Gap> {
    gap_after(prev, None, next, segment_no, first_seq)
}

/// `gap_between`, knowing where the segment before is (`prev_path`): a
/// segment missing after an object, before a local file, was an object
/// too (the shipper uploads in segment order), and is named by its URL.
pub fn gap_after(
    prev: SegmentEnd,
    prev_path: Option<&Path>,
    next: &Path,
    segment_no: u64,
    first_seq: u64,
) -> Option<Gap> {
    if first_seq <= prev.next_seq {
        return None;
    }
    let skipped = prev.segment_no.checked_add(1).filter(|&n| n < segment_no);
    let (reason, path) = match skipped {
        Some(n) => (
            GapReason::Missing,
            missing_segment(prev_path, next, n, prev.next_seq),
        ),
        // `next` was salvaged from the segment before.
        None if segment_no == prev.segment_no => {
            (GapReason::Damage, salvaged_from(prev_path, next))
        }
        None => (GapReason::SeqJump, next.to_path_buf()),
    };
    let gap = Gap::new(reason, &path, Some(prev.next_seq), Some(first_seq));
    Some(gap)
}

/// How a gap names segment `segment_no`, starting at `first_seq`, missing
/// between `prev` and `next`: an object (either of them is one) by its
/// key, a local file by the segment after it.
fn missing_segment(prev: Option<&Path>, next: &Path, segment_no: u64, first_seq: u64) -> PathBuf {
    let url = |p: &Path| naming::missing_object_url(p, segment_no, first_seq);
    url(next)
        .or_else(|| prev.and_then(url))
        .unwrap_or_else(|| next.to_path_buf())
}

/// The segment the file `next` was salvaged from: `prev`, the file before
/// it, when that is the segment itself, else the segment's name beside it.
fn salvaged_from(prev: Option<&Path>, next: &Path) -> PathBuf {
    let origin = |p: &Path| {
        let name = p.file_name()?.to_str()?;
        naming::split_salvaged(name).map(|(origin, _)| p.with_file_name(origin))
    };
    match prev {
        Some(p) if origin(p).is_none() => p.to_path_buf(),
        _ => origin(next).unwrap_or_else(|| next.to_path_buf()),
    }
}

impl Gap {
    /// A gap of `reason` at `path` (at no offset in it), of the records
    /// `from_seq..to_seq`.
    pub(crate) fn new(reason: GapReason, path: &Path, from: Option<u64>, to: Option<u64>) -> Gap {
        Gap {
            reason,
            path: path.to_path_buf(),
            offset: None,
            from_seq: from,
            to_seq: to,
        }
    }

    /// The records lost, inclusively: `record 5 is`, `records 5..9 are`,
    /// `records from 5 are`, or `records are` when not known.
    fn records(&self) -> String {
        match (self.from_seq, self.to_seq) {
            (Some(f), Some(t)) if t == f + 1 => format!("record {f} is"),
            (Some(f), Some(t)) if t > f => format!("records {f}..{} are", t - 1),
            (Some(f), _) => format!("records from {f} are"),
            (None, Some(t)) => format!("records before {t} are"),
            (None, None) => "records are".to_string(),
        }
    }

    /// Why, in words.
    fn why(&self) -> &'static str {
        match (self.reason, naming::is_object(&self.path)) {
            (GapReason::Retention, _) => {
                "the segment was removed by retention before it could be read"
            }
            (GapReason::Missing, true) => {
                "the object (plain or compressed, .zst) is not in the bucket"
            }
            (GapReason::Missing, false) => "a segment of the log before this one is missing",
            (GapReason::Damage, _) => "they were in bytes lost to damage",
            (GapReason::SeqJump, _) => "the sequence numbers jump from the segment before this one",
        }
    }
}

/// `PATH[: offset N]: RECORDS missing: WHY`.
impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(offset) = self.offset {
            write!(f, ": offset {offset}")?;
        }
        write!(f, ": {} missing: {}", self.records(), self.why())
    }
}

/// Whether a read met records it could not return: one of `gaps`, whatever
/// its reason (retention, a segment or object missing, damage, a jump), or
/// of `damaged_regions`, the damaged regions it met. The one rule that
/// tells a read which went on past them from a whole one, whoever reads (a
/// log's reader, which leaves out the gaps its log accepted first:
/// [`LogReader::records_missing`](crate::LogReader::records_missing); a
/// merged reader; a fetch): the `binlog` tool's commands end in exit
/// status 1 for it (docs/CLI.md, "Exit status").
pub fn records_missing<'a>(
    gaps: impl IntoIterator<Item = &'a Gap>,
    damaged_regions: usize,
) -> bool {
    damaged_regions > 0 || gaps.into_iter().next().is_some()
}

/// What a log's readers need of a file to judge it when it starts before
/// the end of the file read before it.
#[derive(Clone, Copy, Debug)]
pub struct FileShape {
    /// Its header's first sequence number.
    pub first_seq: u64,
    /// Its seal's record count, if it is sealed.
    pub sealed_count: Option<u64>,
    /// Its length.
    pub len: u64,
    /// Where its records start (after its header).
    pub data_start: u64,
    /// Whether its header says it is a salvaged file.
    pub salvaged: bool,
}

impl FileShape {
    /// The shape of a file of header `h`, sealed with `sealed_count`
    /// records (`None`: unsealed), `len` bytes long, its records from
    /// `data_start`.
    pub fn new(h: &SegmentHeader, sealed_count: Option<u64>, len: u64, data_start: u64) -> Self {
        FileShape {
            first_seq: h.first_seq,
            sealed_count,
            len,
            data_start,
            // A salvaged file's header names the segment it came from.
            salvaged: (h.params.iter()).any(|(k, _)| k == crate::writer::salvage::SALVAGED_FROM),
        }
    }

    /// The shape of the file `r` reads.
    pub fn of(r: &crate::reader::Reader) -> FileShape {
        let sealed_count = r.seal().map(|d| d.record_count);
        FileShape::new(r.header(), sealed_count, r.file_len(), r.data_start())
    }
}

/// What a file of a log that starts before `exp` (where the file read
/// before it ended) is, for every log reader and `binlog verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behind {
    /// It holds no record: a failed roll's leftover. Skipped.
    FailedRollLeftover,
    /// A sealed salvaged file each of whose records lies below `exp`,
    /// already returned from the segment before it, read past its damage
    /// (docs/FORMAT.md section 12). Skipped.
    SalvagedAlreadyRead,

    /// Records numbered again: the log's damage (`overlap`).
    Overlap,
}

/// How a log's readers take the file `f` that starts before `exp`; None
/// when it does not (`f.first_seq >= exp`).
pub fn starts_behind(f: &FileShape, exp: u64) -> Option<Behind> {
    if f.first_seq >= exp {
        return None;
    }
    // No record in it, as a log's readers judge a failed roll's leftover:
    // its seal counts none, or, unsealed, nothing follows its header.
    if f.sealed_count.map_or(f.len == f.data_start, |n| n == 0) {
        return Some(Behind::FailedRollLeftover);
    }
    let read = |n: u64| f.first_seq.saturating_add(n) <= exp;
    Some(match f.sealed_count {
        Some(n) if f.salvaged && read(n) => Behind::SalvagedAlreadyRead,
        _ => Behind::Overlap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(segment_no: u64, next_seq: u64) -> SegmentEnd {
        SegmentEnd {
            segment_no,
            next_seq,
        }
    }

    #[test]
    fn a_skipped_segment_number_is_missing_and_consecutive_ones_jump() {
        let next = Path::new("d/g-00000000000000000002-20261122T125039Z.binlog");
        let g = gap_between(end(0, 5), next, 2, 10).expect("a gap");
        assert_eq!(g.reason, GapReason::Missing);
        assert_eq!((g.from_seq, g.to_seq), (Some(5), Some(10)));
        assert_eq!(g.path, next);
        assert_eq!(
            g.to_string(),
            format!(
                "{}: records 5..9 are missing: a segment of the log before this one is missing",
                next.display()
            )
        );
        let g = gap_between(end(1, 5), next, 2, 6).expect("a gap");
        assert_eq!(g.reason, GapReason::SeqJump);
        assert!(
            g.to_string()
                .contains(": record 5 is missing: the sequence numbers jump"),
            "{g}"
        );
        assert_eq!(gap_between(end(1, 5), next, 2, 5), None);
        assert_eq!(gap_between(end(1, 5), next, 2, 4), None);
    }

    #[test]
    fn records_missing_before_a_file_salvaged_from_the_segment_are_damage_in_it() {
        let seg = Path::new("d/g-00000000000000000002-20261122T125039Z.binlog");
        let copy = Path::new("d/g-00000000000000000002-20261122T125039Z.salvaged-278.binlog");
        for g in [
            gap_after(end(2, 14), Some(seg), copy, 2, 15).expect("a gap"),
            gap_between(end(2, 14), copy, 2, 15).expect("a gap"),
        ] {
            assert_eq!(
                (g.reason, g.path.as_path(), g.offset),
                (GapReason::Damage, seg, None)
            );
            assert_eq!(
                g.to_string(),
                format!(
                    "{}: record 14 is missing: they were in bytes lost to damage",
                    seg.display()
                )
            );
        }
    }

    #[cfg(feature = "s3")]
    #[test]
    fn a_segment_missing_between_an_object_and_a_local_file_is_named_by_its_object_url() {
        let prev = Path::new("s3://b/p/g/00000000000000000000-00000000000000000001.binlog");
        let next = Path::new("d/g-00000000000000000002-20261122T125039Z.binlog");
        let g = gap_after(end(0, 5), Some(prev), next, 2, 9).expect("a gap");
        assert_eq!(g.reason, GapReason::Missing);
        assert_eq!(
            g.path,
            Path::new("s3://b/p/g/00000000000000000001-00000000000000000005.binlog")
        );
        assert_eq!((g.from_seq, g.to_seq), (Some(5), Some(9)));
        // Between two local files: the segment after it.
        let local = Path::new("d/g-00000000000000000000-20261122T125039Z.binlog");
        let g = gap_after(end(0, 5), Some(local), next, 2, 9).expect("a gap");
        assert_eq!(g.path, next);
    }
}
