//! A log's position: the segment number and the sequence number it goes
//! on at. It never goes back (docs/FORMAT.md section 14a, "A log's
//! position"): the writer's open takes the highest of what the segment
//! files say and what the manifest and the ship journal record
//! (`recorded`), and a shipper makes the manifest record a position past
//! each segment, durably, before it removes it (`record_before_removal`).

use crate::error::Result;
use crate::log::manifest::{Manifest, SealedEntry};
use crate::log::naming;
use std::path::Path;

/// Every segment number below `segment_no` and every sequence number below
/// `seq` may have been given out: a log goes on at this position or later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub segment_no: u64,
    pub seq: u64,
}

impl Position {
    /// The position right after sealed segment `e`.
    pub fn after(e: &SealedEntry) -> Position {
        Position {
            segment_no: e.segment_no.saturating_add(1),
            seq: e.first_seq.saturating_add(e.record_count),
        }
    }

    /// Each number the higher of the two: both are lower bounds.
    pub fn max(self, other: Position) -> Position {
        Position {
            segment_no: self.segment_no.max(other.segment_no),
            seq: self.seq.max(other.seq),
        }
    }
}

impl Manifest {
    /// The position this manifest records: the highest of its `next`
    /// line, the position after each sealed segment it lists, and its
    /// current segment's number (a manifest written before the `next`
    /// line existed records its position in these).
    pub fn position(&self) -> Position {
        let current = self.current.as_ref().map(|(no, _)| Position {
            segment_no: *no,
            seq: 0,
        });
        self.sealed
            .iter()
            .map(Position::after)
            .chain(self.next)
            .chain(current)
            .fold(Position::default(), Position::max)
    }
}

/// The manifest of log `name` in `dir`, if it is there, whole (its CRC
/// matches) and names this log.
fn load(dir: &Path, name: &str) -> Option<Manifest> {
    Manifest::load(&naming::manifest_path(dir, name))
        .ok()
        .filter(|m| m.log == name)
}

/// The position log `name`'s records in `dir` hold: the higher of what
/// its manifest and its ship journal (`<log>.ship`, with the feature
/// `s3`) record; the lowest there is (a new log's) where neither is there,
/// whole and of this log.
pub fn recorded(dir: &Path, name: &str) -> Position {
    let manifest = load(dir, name).map_or(Position::default(), |m| m.position());
    manifest.max(shipped(dir, name))
}

/// The position log `name`'s ship journal in `dir` records past the
/// segments its shipper removed (`Journal::next`).
fn shipped(dir: &Path, name: &str) -> Position {
    #[cfg(feature = "s3")]
    {
        use crate::archive::journal::{journal_path, Journal};
        Journal::load(&journal_path(dir, name))
            .ok()
            .flatten()
            .filter(|j| j.log == name)
            .and_then(|j| j.next)
            .unwrap_or_default()
    }
    #[cfg(not(feature = "s3"))]
    {
        let _ = (dir, name);
        Position::default()
    }
}

/// Makes log `name`'s manifest in `dir` record position `pos` (or a later
/// one), durably, before a segment that `pos` is past is removed by
/// another than the log's writer (the shipper). Taken without the log's
/// lock, so that a writer opening meanwhile never waits for it: the
/// writer's open lists the segment files before it reads the manifest, so
/// it sees the segment or this record. Its temporary file is the
/// manifest's name + `.position.tmp`, never the writer's. The manifest's
/// other lines are kept; the sealed line of a segment `pos` is past is
/// dropped only for `removed`, the one about to go.
pub fn record_before_removal(dir: &Path, name: &str, pos: Position, removed: u64) -> Result<()> {
    let mut m = load(dir, name).unwrap_or_else(|| Manifest {
        log: name.to_string(),
        ..Manifest::default()
    });
    m.next = Some(m.position().max(pos));
    m.sealed.retain(|e| e.segment_no != removed);
    m.store_durably(&naming::manifest_path(dir, name), ".position.tmp")
}

#[cfg(test)]
mod tests {
    use super::*;

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
