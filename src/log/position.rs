//! A log's position: the segment number and the sequence number it goes
//! on at. It never goes back (docs/FORMAT.md section 14a, "A log's
//! position"): the writer's open takes the highest of what the segment
//! files say and what the manifest and the ship journal record
//! (`recorded`), and a shipper makes the manifest record a position past
//! each segment, durably, before it removes it (`record_before_removal`).

use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
pub use crate::log::manifest::Position;
use crate::log::manifest::{Manifest, SealedEntry};
use std::path::Path;

impl Manifest {
    /// The position this manifest records: the highest of its `next`
    /// line, the position after each sealed segment it lists, and its
    /// current segment's number.
    pub fn position(&self) -> Position {
        let current = self.current.as_ref().map(|(no, _)| Position::new(*no, 0));
        self.sealed
            .iter()
            .map(Position::after)
            .chain(self.next)
            .chain(current)
            .fold(Position::default(), Position::max)
    }
}

/// The manifest of log `name` in `dir`: `None` if it is not there or
/// names another log; its error if it cannot be read or fails its check
/// (`Corrupt`: CRC or a line that does not parse, naming the file).
fn load(dir: &Path, name: &str) -> Result<Option<Manifest>> {
    match Manifest::load(&naming::manifest_path(dir, name)) {
        Ok(m) => Ok(Some(m).filter(|m| m.log == name)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The position log `name`'s records in `dir` hold: the higher of what
/// its manifest and its ship journal record (a new log's where neither is
/// there). `files_left`: whether a segment file of the log is left. A
/// manifest that cannot be read or fails its check is passed over only
/// where another record holds the position (a segment file, or the
/// journal's position); else its error (docs/FORMAT.md section 14a,
/// "Without the record").
pub fn recorded(dir: &Path, name: &str, files_left: bool) -> Result<Position> {
    let journal = shipped(dir, name);
    let manifest = match load(dir, name) {
        Ok(m) => m.map_or(Position::default(), |m| m.position()),
        Err(_) if files_left || journal != Position::default() => Position::default(),
        Err(e) => return Err(only_record_unreadable(e)),
    };
    Ok(manifest.max(journal))
}

/// The newest segment log `name`'s manifest in `dir` lists as sealed
/// (the highest end): proof that the log held every record of it, which
/// the manifest's `next` line and current segment are not (numbers given
/// out, records perhaps never written). `None` without a manifest of the
/// log that reads, or without a sealed line.
pub fn sealed_through(dir: &Path, name: &str) -> Option<SealedEntry> {
    let m = load(dir, name).ok()??;
    m.sealed
        .into_iter()
        .filter(|e| e.record_count > 0)
        .max_by_key(|e| e.first_seq.saturating_add(e.record_count))
}

/// Whether log `name`'s position in `dir` is known: `Ok` unless its
/// manifest cannot be read or fails its check and is the only record of
/// the position (see `recorded`), which a writer's open then refuses.
pub fn check(dir: &Path, name: &str) -> Result<()> {
    let files_left = !crate::log::segments::list(dir, name)?.is_empty();
    recorded(dir, name, files_left).map(|_| ())
}

/// The manifest's error `e`, said to be the only record of the position.
fn only_record_unreadable(e: Error) -> Error {
    e.with_detail(|d| {
        format!(
            "{d}; it is the only record of the log's position (no segment file of the \
             log is left, no ship journal position): the log is not opened, so that \
             no sequence number is given twice (docs/FORMAT.md section 14a, \
             \"Without the record\")"
        )
    })
}

/// The position log `name`'s ship journal in `dir` records past the
/// segments its shipper removed (`Journal::next`).
fn shipped(dir: &Path, name: &str) -> Position {
    #[cfg(feature = "s3")]
    {
        let journal = super::ship_journal::Journal::of_log(dir, name);
        journal.and_then(|j| j.next).unwrap_or_default()
    }
    #[cfg(not(feature = "s3"))]
    {
        let _ = (dir, name);
        Position::default()
    }
}

/// Makes log `name`'s manifest in `dir` record position `pos` (or a later
/// one), durably, before a segment that `pos` is past is removed by the
/// shipper. Taken without the log's lock: the writer's open lists the
/// segment files before it reads the manifest, so it sees the segment or
/// this record (its temporary file is never the writer's). The sealed
/// line of segment `removed` is dropped (`None` for a salvaged file); a
/// manifest that cannot be read is replaced (the file about to go holds
/// the position meanwhile). The writer's open makes it record a position
/// so before it seals a segment whose recovery cut bytes holding numbers
/// above its records (docs/FORMAT.md section 12).
pub fn record_before_removal(
    dir: &Path,
    name: &str,
    pos: Position,
    removed: Option<u64>,
) -> Result<()> {
    let mut m = load(dir, name).ok().flatten().unwrap_or_else(|| Manifest {
        log: name.to_string(),
        ..Manifest::default()
    });
    m.next = Some(m.position().max(pos));
    m.sealed.retain(|e| Some(e.segment_no) != removed);
    m.store(&naming::manifest_path(dir, name), Some(".position.tmp"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::manifest::SealedEntry;

    fn sealed(segment_no: u64, first_seq: u64, record_count: u64) -> SealedEntry {
        SealedEntry {
            segment_no,
            file: format!("orders-{segment_no:020}-20261121T053000Z.binlog"),
            first_seq,
            record_count,
            bytes: 4096,
        }
    }

    #[test]
    fn a_manifest_records_the_highest_of_its_next_line_sealed_lines_and_current_segment() {
        let at = |segment_no, seq| Position { segment_no, seq };
        // Written before the `next` line: its sealed lines and current.
        let old = Manifest {
            log: "orders".into(),
            current: Some((7, "orders-7".into())),
            sealed: vec![sealed(5, 100, 20), sealed(6, 120, 30)],
            next: None,
        };
        assert_eq!(old.position(), at(7, 150));
        // Each number at its highest, wherever it comes from.
        let next = Manifest {
            next: Some(at(9, 140)),
            ..old.clone()
        };
        assert_eq!(next.position(), at(9, 150));
        assert_eq!(Manifest::default().position(), at(0, 0));
    }
}
