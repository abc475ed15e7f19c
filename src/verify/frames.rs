//! A compressed segment's own frames verified (feature `compression`):
//! each frame decompressed once more, as the compressed module checks it
//! (docs/FORMAT.md section 17.1), so that a frame that does not decompress
//! is named with its index and compressed offset, whether a read needs it
//! or not (a type's offset array), and a seek table lost is named where
//! the file ends. The records such a frame held are the reader's finding.

use super::{Finding, FindingKind, RepairAction, SegmentReport};
use crate::compressed::CompressedSegment;
use crate::error::{Error, ErrorKind};

/// `rep`, the report of a local file, with a finding for each frame that
/// does not decompress and for a lost seek table if it is a compressed
/// segment.
pub(super) fn with_frame_findings(mut rep: SegmentReport) -> SegmentReport {
    if rep.compressed {
        frame_findings(&mut rep);
        // In file order (those of no place last).
        rep.findings.sort_by_key(|f| f.offset.unwrap_or(u64::MAX));
    }
    rep
}

fn frame_findings(rep: &mut SegmentReport) {
    let Ok((mut seg, table_lost)) = CompressedSegment::open_frames_salvage(&rep.location) else {
        // Not opened: the reader's finding says why.
        return;
    };
    if let Some(e) = table_lost {
        // The table's offset is one in the compressed file: the finding is
        // where the segment's bytes end, in the reader's seal finding.
        let (end, f) = (rep.file_len, frame_finding(rep, &e, None, 0));
        name_in_region(rep, end, 1, &e, f);
    }
    let mut frame = Vec::new();
    for i in 0..seg.frames().len() {
        let entry = seg.frames()[i];
        if let Err(e) = seg.frame_into(i, &mut frame) {
            let (at, len) = (entry.offset, u64::from(entry.size));
            let f = frame_finding(rep, &e, Some(at), len);
            name_in_region(rep, at, len, &e, f);
        }
    }
}

/// Names the frame error `e` of the frame holding the original bytes from
/// `at`, `len` of them, in the reader's finding of the damaged region it is
/// part of, if there is one (one finding per region); else adds `f`, its
/// own finding.
fn name_in_region(rep: &mut SegmentReport, at: u64, len: u64, e: &Error, f: Finding) {
    let region = rep.findings.iter_mut().find(|f| {
        // A frame that fails where every record it holds passes its checks
        // is met by the reader where it leaves the frame: a region of no
        // bytes (FORMAT.md 17.3a), which the reader reports as a jump.
        let kinds = [
            FindingKind::Corrupt,
            FindingKind::CorruptHeader,
            FindingKind::SealDamaged,
            FindingKind::SequenceJump,
        ];
        kinds.contains(&f.kind) && f.offset.is_some_and(|o| o <= at + len && at <= o + f.len)
    });
    match region {
        Some(r) => r.message = format!("{}; {}", r.message, e.message()),
        None => rep.push(f),
    }
}

/// The finding of a frame error `e` at original `offset`: what a reseal
/// replaces if it is past the records, else part of their damage.
fn frame_finding(rep: &SegmentReport, e: &Error, offset: Option<u64>, len: u64) -> Finding {
    use {FindingKind as K, RepairAction as R};
    let in_seal = offset.is_none_or(|o| o >= rep.records_end);
    let kind = match e.kind() {
        ErrorKind::Io => K::Unreadable,
        _ => K::CorruptFrame,
    };
    let repair = if in_seal { R::Reseal } else { R::Salvage };
    let f = Finding::new(kind, &rep.location, offset, e.message().to_string());
    Finding { len, repair, ..f }
}
