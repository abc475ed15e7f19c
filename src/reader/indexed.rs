//! How a reader reads the scattered records the per-type index points at:
//! through its mapping of the file, or with one pread each into a buffer.
//!
//! Which is cheaper depends on how the page cache holds the file, which the
//! reader cannot ask. A read through the mapping faults in the page-table
//! entries around the record: cheap when the file sits in 2 MiB folios
//! (one entry maps 2 MiB, so a rare type's records 60 KB apart cost 88 ns
//! each on the benchmark VM), dear in 4 KiB pages (fault-around maps 16
//! pages per record, unmapped again later: 1.3-1.9 us against 0.65-0.87 us
//! for a pread). The writer's aligned writes (see `State::hand_off`) give
//! recently written segments large folios; a segment read back from disk
//! gets what readahead made. So the reader measures: after `WARM` records,
//! `PROBE` indexed records go through the mapping and `PROBE` through
//! pread, and the mapping reads on if it was clearly faster (its pages are
//! unmapped later, at a cost the measurement does not see), pread
//! otherwise; measured again every `CYCLE` records as the reader moves
//! through the file. Measured on the benchmark VM (per record, mapping
//! against pread): 2 MiB folios 0.3-0.6 against 0.8 us (then about 0.1 us
//! a record once mapped), 1 MiB folios 0.7 against 0.83, 256 KiB folios
//! 0.97 against 0.84.

use std::time::{Duration, Instant};

/// Records read before measuring (the first ones pay for warming up).
const WARM: u32 = 8;
/// Records read each way, measured, before choosing.
const PROBE: u32 = 64;
/// Indexed records between two measurements (records `WARM..WARM + 2 *
/// PROBE` of each cycle measure).
const CYCLE: u32 = 4096;

pub(super) struct IndexedRead {
    /// Indexed records read in this cycle.
    n: u32,
    map: Duration,
    pread: Duration,
    via_map: bool,
}

impl IndexedRead {
    pub fn new() -> IndexedRead {
        IndexedRead {
            n: 0,
            map: Duration::ZERO,
            pread: Duration::ZERO,
            via_map: true,
        }
    }

    /// Whether the next indexed record is read through the mapping.
    pub fn via_map(&self) -> bool {
        match self.n {
            n if n < WARM + PROBE => true,
            n if n < WARM + 2 * PROBE => false,
            _ => self.via_map,
        }
    }

    /// The start of a read to time, while measuring.
    pub fn start(&self) -> Option<Instant> {
        (WARM..WARM + 2 * PROBE)
            .contains(&self.n)
            .then(Instant::now)
    }

    /// Counts one indexed record read, `started` by `start`.
    pub fn done(&mut self, started: Option<Instant>) {
        if let Some(t) = started {
            if self.n < WARM + PROBE {
                self.map += t.elapsed();
            } else {
                self.pread += t.elapsed();
            }
        }
        self.n += 1;
        if self.n == WARM + 2 * PROBE {
            // The mapping's cost is paid again when its pages are unmapped,
            // which the measurement does not see: it must win clearly.
            self.via_map = self.map * 5 <= self.pread * 4;
        } else if self.n == CYCLE {
            *self = IndexedRead {
                via_map: self.via_map,
                ..IndexedRead::new()
            };
        }
    }

    /// Forces one way (tests read every indexed record both ways).
    #[cfg(test)]
    pub fn force(&mut self, via_map: bool) {
        self.n = WARM + 2 * PROBE;
        self.via_map = via_map;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `records` indexed records, the pread ones (or the mapping
    /// ones) made slower; returns the way each was read.
    fn run(r: &mut IndexedRead, records: u32, slow_map: bool) -> Vec<bool> {
        (0..records)
            .map(|_| {
                let way = r.via_map();
                let t = r.start();
                if way == slow_map {
                    std::thread::sleep(Duration::from_micros(30));
                }
                r.done(t);
                way
            })
            .collect()
    }

    #[test]
    fn measures_each_way_then_keeps_the_faster_and_measures_again() {
        let mut r = IndexedRead::new();
        let ways = run(&mut r, 2 * CYCLE, false);
        let count = |from: u32, to: u32, map: bool| {
            ways[from as usize..to as usize]
                .iter()
                .filter(|&&w| w == map)
                .count() as u32
        };
        let probe_end = WARM + 2 * PROBE;
        assert_eq!(count(0, WARM + PROBE, true), WARM + PROBE);
        assert_eq!(count(WARM + PROBE, probe_end, false), PROBE);
        assert_eq!(count(probe_end, CYCLE, true), CYCLE - probe_end);
        // The second cycle measures again.
        assert_eq!(count(CYCLE + WARM + PROBE, CYCLE + probe_end, false), PROBE);
        assert_eq!(count(CYCLE + probe_end, 2 * CYCLE, true), CYCLE - probe_end);
    }

    #[test]
    fn pread_wins_when_the_mapping_is_slower() {
        let mut r = IndexedRead::new();
        run(&mut r, WARM + 2 * PROBE, true);
        assert!(!r.via_map());
    }

    #[test]
    fn only_timed_while_measuring() {
        let mut r = IndexedRead::new();
        for n in 0..CYCLE + WARM + 1 {
            let t = r.start();
            assert_eq!(
                t.is_some(),
                (WARM..WARM + 2 * PROBE).contains(&(n % CYCLE)),
                "record {n}"
            );
            r.done(t);
        }
    }
}
