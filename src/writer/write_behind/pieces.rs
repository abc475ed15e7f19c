//! Whole writes or pieces. A pair (or any whole unit of 1 MiB or more)
//! goes to the OS in one write and lands in one large folio: what makes
//! reading a rare type through the index cheap (`pair`). But on a VM whose
//! free memory the host took back (free page reporting, a balloon), the
//! page cache's large folios come from that memory and cost a host fault
//! a page: there, 600 B appends ran at 0.37 GB/s in whole 2 MiB writes
//! and at 2.1 GB/s in 64 KiB pieces, whose small folios come from memory
//! the guest still holds; in memory touched just before, whole writes
//! made 3.4 GB/s and pieces 2.5 (docs/design/write-behind-pairing.md, "Fresh memory").
//!
//! So the thread times its writes (nanoseconds per byte, the median of
//! each kind's last few) and writes in pieces while pieces are clearly faster,
//! trying the kind not in use once in `TRY_EVERY` bytes. Only the folios
//! change, never the bytes or their order.

use crate::writer::job::{write_remainder, Failed, Job};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Duration;

/// The size of a piece: its folio is small enough to come from memory the
/// guest holds.
pub(super) const PIECE: usize = 64 << 10;
/// Pieces are used only when this much faster than whole writes: whole
/// writes' folios make reads by type faster.
const PIECES_WIN: f64 = 1.5;
/// Bytes written between two tries of the kind not in use.
const TRY_EVERY: u64 = 128 << 20;
/// Writes shorter than this are not timed (a flush's partial buffer says
/// little of the folios).
const TIMED_MIN: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Whole,
    Pieces,
}

/// The thread's record of how fast each kind of write went.
#[derive(Debug, Default)]
pub(super) struct Chooser {
    /// Indexed by `Kind`.
    times: [Times; 2],
    /// Bytes written since the kind not in use was last tried.
    since_try: u64,
}

/// Nanoseconds per byte of a kind's last `TIMES` writes (a ring).
#[derive(Debug, Default)]
struct Times {
    ns_per_byte: [f64; TIMES],
    count: usize,
}

/// Writes whose times are kept: a kind's time is their median, which a
/// write slowed once (the thread descheduled, a host fault) does not move.
const TIMES: usize = 8;

impl Times {
    fn median(&self) -> Option<f64> {
        let mut t = self.ns_per_byte;
        let t = &mut t[..self.count.min(TIMES)];
        t.sort_by(f64::total_cmp);
        t.get(t.len() / 2).copied()
    }

    fn add(&mut self, ns_per_byte: f64) {
        self.ns_per_byte[self.count % TIMES] = ns_per_byte;
        self.count += 1;
    }
}

impl Chooser {
    /// The kind of the next write.
    pub fn next(&self) -> Kind {
        let preferred = self.preferred();
        let other = match preferred {
            Kind::Whole => Kind::Pieces,
            Kind::Pieces => Kind::Whole,
        };
        // The other kind is tried once the preferred one has a time, and
        // again every `TRY_EVERY` bytes: the host may have given memory
        // back, or taken it.
        let untried = self.cost(other).is_none() && self.cost(preferred).is_some();
        match untried || self.since_try >= TRY_EVERY {
            true => other,
            false => preferred,
        }
    }

    /// Counts a write of `bytes` of kind `kind` that took `took`.
    pub fn wrote(&mut self, kind: Kind, bytes: usize, took: Duration) {
        // Untimed writes do not count towards a try: a writer whose writes
        // are all short never tries pieces.
        if bytes < TIMED_MIN {
            return;
        }
        self.since_try += bytes as u64;
        let in_use = kind == self.preferred();
        let times = &mut self.times[kind as usize];
        // A try of the kind not in use starts its times again: the old
        // ones may be from another state of the host's memory.
        if !in_use {
            *times = Times::default();
            self.since_try = 0;
        }
        times.add(took.as_nanos() as f64 / bytes as f64);
    }

    fn preferred(&self) -> Kind {
        match (self.cost(Kind::Whole), self.cost(Kind::Pieces)) {
            (Some(w), Some(p)) if p * PIECES_WIN < w => Kind::Pieces,
            _ => Kind::Whole,
        }
    }

    fn cost(&self, kind: Kind) -> Option<f64> {
        self.times[kind as usize].median()
    }
}

/// Writes `job` in pieces of `PIECE` bytes, each its own system call (and
/// so its own folio), then what is left as `write_remainder` does, which
/// also meets and reports a failure.
pub(super) fn write_in_pieces(file: &File, job: Job) -> Result<Vec<u8>, Failed> {
    let mut done = 0;
    while done < job.buf.len() {
        let end = (done + PIECE).min(job.buf.len());
        match file.write_at(&job.buf[done..end], job.offset + done as u64) {
            Ok(n) if n > 0 => done += n,
            _ => break,
        }
    }
    write_remainder(file, job, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;
    const MS: Duration = Duration::from_millis(1);

    /// Writes of 2 MiB as `chooser` picks them, whole ones taking `whole`
    /// and pieces `pieces`, until `bytes` are written: the kinds used.
    fn run(chooser: &mut Chooser, bytes: usize, whole: Duration, pieces: Duration) -> Vec<Kind> {
        (0..bytes / (2 * MIB))
            .map(|_| {
                let kind = chooser.next();
                let took = if kind == Kind::Whole { whole } else { pieces };
                chooser.wrote(kind, 2 * MIB, took);
                kind
            })
            .collect()
    }

    #[test]
    fn whole_writes_are_kept_unless_pieces_are_much_faster() {
        let mut c = Chooser::default();
        // Touched memory: whole 0.6 ms, pieces 0.8: pieces are tried once.
        let kinds = run(&mut c, 64 * MIB, MS * 6 / 10, MS * 8 / 10);
        assert_eq!(kinds[..2], [Kind::Whole, Kind::Pieces]);
        assert!(kinds[2..].iter().all(|&k| k == Kind::Whole), "{kinds:?}");
        // Pieces faster, but not 1.5 times: still whole.
        let kinds = run(&mut Chooser::default(), 64 * MIB, MS, MS * 8 / 10);
        assert_eq!(kinds.iter().filter(|&&k| k == Kind::Pieces).count(), 1);
    }

    #[test]
    fn pieces_are_used_while_whole_writes_are_slow_and_whole_tried_again() {
        let mut c = Chooser::default();
        // Fresh memory: whole 5.7 ms, pieces 1 ms.
        let kinds = run(&mut c, 512 * MIB, MS * 57 / 10, MS);
        assert_eq!(kinds[..3], [Kind::Whole, Kind::Pieces, Kind::Pieces]);
        let whole = kinds.iter().filter(|&&k| k == Kind::Whole).count();
        // The first, and one try in every 128 MiB.
        assert_eq!(whole, 1 + 512 / 128 - 1, "{kinds:?}");
        // The host gave the memory back: whole writes are fast again, and
        // the next try of them brings them back.
        let kinds = run(&mut c, 256 * MIB, MS * 6 / 10, MS);
        let back = kinds.iter().position(|&k| k == Kind::Whole).unwrap();
        assert!(kinds[back..].iter().filter(|&&k| k == Kind::Pieces).count() <= 1);
    }

    #[test]
    fn short_writes_are_not_timed() {
        let mut c = Chooser::default();
        c.wrote(Kind::Pieces, 4096, MS * 100);
        // 256 MiB of short writes: no try of pieces either.
        for _ in 0..(256 * MIB / 4096) {
            assert_eq!(c.next(), Kind::Whole);
            c.wrote(Kind::Whole, 4096, MS * 100);
        }
        assert_eq!(
            (c.times[0].count, c.times[1].count, c.next()),
            (0, 0, Kind::Whole)
        );
    }
}
