//! One segment verified: opened as a salvaging reader opens it, read to
//! its end skipping damage, and what the reader found (its damaged
//! regions, how it ended, a writer holding it) turned into findings. No
//! rule of the format is applied here: the reader applied them.

use super::continuity::next_seq_after;
use super::{Finding, FindingKind, RepairAction, SegmentReport};
use crate::error::{Error, ErrorKind};
use crate::reader::{Damage, Reader, Tail};
use std::path::Path;

/// Verifies the segment at `path`, plain or compressed. Never fails: a
/// file that cannot be opened as a segment gives a report with one
/// finding, its kind from the reader's error (`NotABinlog`, `Truncated`,
/// ...), and no tail.
pub fn segment(path: impl AsRef<Path>) -> SegmentReport {
    segment_held(path.as_ref(), false)
}

/// `segment`; with `held`, a writer is known to hold the segment (its
/// log's lock is held) even if the segment's own lock is not.
pub(super) fn segment_held(path: &Path, held: bool) -> SegmentReport {
    let rep = Reader::open_salvage(path).map_or_else(|e| unopened(path, &e), |r| scan(r, held));
    #[cfg(feature = "compression")]
    let rep = super::frames::with_frame_findings(rep);
    rep
}

/// Verifies the segment `r` reads from where it stands (a reader just
/// opened: from its first record), skipping damage. For a remote object,
/// open it with `RemoteLog::open_reader(key, true)`.
pub fn segment_of_reader(r: Reader) -> SegmentReport {
    scan(r, false)
}

/// `segment_of_reader`; `held` as for `segment_held`.
fn scan(mut r: Reader, held: bool) -> SegmentReport {
    r.skip_damaged(true);
    let mut rep = empty_report(r.path());
    rep.header = Some(r.header().clone());
    rep.data_start = r.data_start();
    rep.compressed = r.is_compressed();
    let failed = loop {
        // `next`, not `next_header`: every record's CRC is checked.
        match r.next() {
            Ok(Some(h)) => rep.count(h.seq, h.timestamp_ns),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    rep.file_len = r.file_len();
    rep.seal = r.seal().cloned();
    #[cfg(feature = "sign")]
    super::chain::check_digest(&r, &mut rep);
    rep.types = r.types().to_vec();
    rep.writer_holds = held || r.has_writer().unwrap_or(false);
    rep.next_seq = next_seq_after(&r, failed.is_none());
    if r.damages().first().is_some_and(|d| d.offset == 0) {
        // A salvaged header's fields are placeholders.
        rep.header = None;
    }
    let tail = r.tail();
    rep.records_end = records_end(&r, tail);
    let cut = r.cut_short_at();
    for d in r.damages() {
        let mut f = damage_finding(&rep, d, tail, r.damage_reason(d.offset));
        if cut == Some(d.offset) {
            // An object cut short (the reader's verdict): its records and
            // seal from there are lost; an object is never cut or resealed.
            (f.kind, f.repair) = (FindingKind::Corrupt, RepairAction::Nothing);
        }
        rep.push(f);
    }
    // Parts of a usable seal only a seek or a type filter reads.
    for (at, what) in r.unusable_seal_parts() {
        let repair = RepairAction::Reseal;
        let f = rep.finding_at(FindingKind::SealIndexDamaged, at, what);
        rep.push(Finding { repair, ..f });
    }
    match failed {
        // Not damage the reader could skip: an I/O error, a remote read
        // that failed.
        Some(e) => rep.push_error(FindingKind::Unreadable, &e),
        None => {
            rep.tail = Some(tail);
            // An object's end cut short is reported above, as damage.
            if cut.is_none() {
                tail_findings(&mut rep, &r, tail);
            }
        }
    }
    rep
}

impl SegmentReport {
    fn count(&mut self, seq: u64, ts: i64) {
        self.records += 1;
        self.first_seq.get_or_insert(seq);
        self.last_seq = Some(seq);
        self.min_ts = Some(self.min_ts.map_or(ts, |m| m.min(ts)));
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
    }
}

pub(super) fn empty_report(location: &Path) -> SegmentReport {
    SegmentReport {
        location: location.to_path_buf(),
        ..SegmentReport::default()
    }
}

/// Where the records read end: where a reseal cuts.
fn records_end(r: &Reader, tail: Tail) -> u64 {
    match tail {
        Tail::Torn { offset, .. } | Tail::SealDamaged { offset } => offset,
        Tail::Sealed => r.seal().map_or(r.position(), |d| d.records_end),
        Tail::Unsealed | Tail::Reading => r.position(),
    }
}

/// The report of a file the reader could not open, from its error.
pub(super) fn unopened(path: &Path, e: &Error) -> SegmentReport {
    let mut rep = empty_report(path);
    rep.file_len = std::fs::metadata(path).map_or(0, |m| m.len());
    let kind = match e.kind() {
        ErrorKind::NotABinlog => FindingKind::NotABinlog,
        ErrorKind::Truncated => FindingKind::Truncated,
        ErrorKind::UnsupportedVersion => FindingKind::UnsupportedVersion,
        ErrorKind::CorruptHeader => FindingKind::CorruptHeader,
        ErrorKind::CorruptSeal => FindingKind::SealDamaged,
        ErrorKind::WrongLog => FindingKind::WrongLog,
        ErrorKind::Corrupt
        | ErrorKind::CompressedTruncated
        | ErrorKind::CorruptFrame
        | ErrorKind::CorruptSeekTable
        | ErrorKind::FrameSizeMismatch => FindingKind::Corrupt,
        _ => FindingKind::Unreadable,
    };
    rep.push_error(kind, e);
    rep
}

/// A damaged region the reader skipped. One at offset 0 is the header;
/// one that loses no byte is a jump in sequence numbers; one at or after
/// a damaged seal's start is part of that seal (a compressed segment's
/// seal frame lost): a reseal replaces it. Any other loses the records it
/// names, and only a salvage keeps the records around it.
fn damage_finding(rep: &SegmentReport, d: &Damage, tail: Tail, why: Option<&str>) -> Finding {
    use {FindingKind as K, RepairAction as R};
    let in_seal = matches!(tail, Tail::SealDamaged { offset } if d.offset >= offset);
    let (kind, what, repair) = if d.offset == 0 {
        (K::CorruptHeader, "damaged header", R::Salvage)
    } else if d.offset == d.resume_offset {
        (K::SequenceJump, "records missing", R::Salvage)
    } else if in_seal {
        (K::SealDamaged, "damaged seal", R::Reseal)
    } else {
        (K::Corrupt, "corruption", R::Salvage)
    };
    let len = d.resume_offset - d.offset;
    let lost = match d.to_seq.checked_sub(d.from_seq) {
        Some(0) | None => "no record known lost".to_string(),
        Some(1) => format!("record {} lost", d.from_seq),
        Some(_) => format!("records {}..{} lost", d.from_seq, d.to_seq - 1),
    };
    let resume = if d.resume_offset >= rep.records_end.max(rep.data_start) && d.offset != 0 {
        "no valid record after it".to_string()
    } else {
        format!("valid records resume at offset {}", d.resume_offset)
    };
    let what = format!("{} ({len} bytes); {resume}; {lost}", why.unwrap_or(what));
    Finding {
        len,
        from_seq: Some(d.from_seq),
        to_seq: Some(d.to_seq),
        repair,
        ..rep.finding_at(kind, d.offset, what)
    }
}

/// What the end of the records says: a torn tail, a damaged seal, the
/// zeros of prepared space, no seal; each a writer at work when one holds
/// the segment.
fn tail_findings(rep: &mut SegmentReport, r: &Reader, tail: Tail) {
    use {FindingKind as K, RepairAction as R};
    let (live, file_len) = (rep.writer_holds, rep.file_len);
    let mut push = |kind, offset: u64, len, repair, what: &str| {
        let f = Finding {
            len,
            from_seq: rep.next_seq,
            to_seq: rep.next_seq,
            repair,
            ..rep.finding_at(kind, offset, what)
        };
        rep.push(f);
    };
    match tail {
        Tail::Torn { offset, len } if live => {
            let what =
                format!("{len} bytes of a record being written (a writer has the segment open)");
            push(K::BeingWritten, offset, len, R::Nothing, &what);
        }
        Tail::Torn { offset, len } => {
            let what = format!(
                "torn tail of {len} bytes: the last record is cut off and nothing valid follows; \
                 whether records followed it cannot be known from the segment (a log's verify \
                 compares its manifest)"
            );
            push(K::TornTail, offset, len, R::CutTornTail, &what);
        }
        Tail::SealDamaged { offset } if live => {
            let what = "ending: its records are closed and a writer is writing its seal";
            push(K::BeingWritten, offset, 0, R::Nothing, what);
        }
        Tail::SealDamaged { offset } => {
            let what = "the seal is incomplete or damaged (the records before it are complete)";
            let len = file_len.saturating_sub(offset);
            push(K::SealDamaged, offset, len, R::Reseal, what);
        }
        Tail::Unsealed => {
            let end = r.position();
            let repair = if live { R::Nothing } else { R::Reseal };
            if end < file_len {
                let len = file_len - end;
                let what = format!(
                    "{len} zero bytes after the records: a durable writer's prepared space"
                );
                push(K::ZeroTail, end, len, repair, &what);
            }
            let what = if live {
                "unsealed: a writer has it open"
            } else {
                "unsealed: its writer stopped without closing it (every record is intact)"
            };
            push(K::Unsealed, end, 0, repair, what);
        }
        Tail::Sealed | Tail::Reading => {}
    }
}
