//! How a damaged region a reader skipped is reported on standard error, by
//! every command that reads past damage (`cat --skip-damaged`, `tail -f`):
//! its file, offset (and in a compressed segment the frames holding it),
//! and the records lost.

use crate::paths;
use binlog::codec::{starts_with_zstd_frame, CompressedSegment};
use binlog::Damage;
use std::path::Path;

/// A damaged region skipped: where, and the records lost.
pub fn damage_message(file: &Path, d: &Damage) -> String {
    let lost = match d.to_seq > d.from_seq {
        true => format!("{} lost", records(d.from_seq, d.to_seq)),
        false => "no record is lost".to_string(),
    };
    let (at, resume) = (d.offset, d.resume_offset);
    let what = if at == 0 {
        format!("the header is damaged; records read from offset {resume}")
    } else if resume > at {
        let skipped = resume - at;
        format!("{skipped} damaged bytes skipped, up to offset {resume}")
    } else {
        "sequence numbers jump".to_string()
    };
    let frames = frames_holding(file, d).unwrap_or_default();
    format!("{}: offset {at}{frames}: {what}; {lost}", paths::show(file))
}

/// For a compressed segment, the frames that hold the damaged bytes and
/// where the first starts in the file: " (in compressed frame N), at
/// compressed offset C" or " (in compressed frames N..M), at compressed
/// offset C"; None for a plain segment (or a region of no bytes).
fn frames_holding(file: &Path, d: &Damage) -> Option<String> {
    let compressed = std::fs::File::open(file).is_ok_and(|f| starts_with_zstd_frame(&f));
    if !compressed || d.resume_offset <= d.offset {
        return None;
    }
    let (s, _) = CompressedSegment::open_frames_salvage(file).ok()?;
    let a = s.frame_index_at(d.offset)?;
    let b = s.frame_index_at(d.resume_offset - 1)?;
    let frames = match a == b {
        true => format!("frame {a}"),
        false => format!("frames {a}..{b}"),
    };
    let at = s.frames()[a].compressed_offset;
    let place = format!(" (in compressed {frames}), at compressed offset {at}");
    Some(place)
}

/// The records `from..to` (end exclusive), named inclusively: "record 5
/// is", "records 5..9 are".
fn records(from: u64, to: u64) -> String {
    if to == from + 1 {
        format!("record {from} is")
    } else {
        format!("records {from}..{} are", to - 1)
    }
}
