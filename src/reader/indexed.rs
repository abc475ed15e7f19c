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
//! gets what readahead made. So the reader measures: the first `PROBE`
//! indexed records go through the mapping, the next `PROBE` through pread,
//! and the faster way reads on, measured again every `CYCLE` records as the
//! reader moves through the file.

use std::time::{Duration, Instant};

/// Records read each way before choosing.
const PROBE: u32 = 16;
/// Indexed records between two measurements (the first `2 * PROBE` of
/// each cycle measure).
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
            n if n < PROBE => true,
            n if n < 2 * PROBE => false,
            _ => self.via_map,
        }
    }

    /// The start of a read to time, while measuring.
    pub fn start(&self) -> Option<Instant> {
        (self.n < 2 * PROBE).then(Instant::now)
    }

    /// Counts one indexed record read, `started` by `start`.
    pub fn done(&mut self, started: Option<Instant>) {
        if let Some(t) = started {
            if self.n < PROBE {
                self.map += t.elapsed();
            } else {
                self.pread += t.elapsed();
            }
        }
        self.n += 1;
        if self.n == 2 * PROBE {
            self.via_map = self.map <= self.pread;
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
        self.n = 2 * PROBE;
        self.via_map = via_map;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_each_way_then_keeps_the_faster_and_measures_again() {
        let mut r = IndexedRead::new();
        let mut ways = Vec::new();
        for i in 0..2 * CYCLE {
            ways.push(r.via_map());
            let t = r.start();
            assert_eq!(t.is_some(), i % CYCLE < 2 * PROBE);
            if !r.via_map() {
                // pread is made to look slower.
                std::thread::sleep(Duration::from_micros(50));
            }
            r.done(t);
        }
        let n = |from: u32, to: u32, map: bool| {
            ways[from as usize..to as usize]
                .iter()
                .filter(|&&w| w == map)
                .count()
        };
        assert_eq!(n(0, PROBE, true), PROBE as usize);
        assert_eq!(n(PROBE, 2 * PROBE, false), PROBE as usize);
        assert_eq!(n(2 * PROBE, CYCLE, true), (CYCLE - 2 * PROBE) as usize);
        // The second cycle measures again.
        assert_eq!(n(CYCLE + PROBE, CYCLE + 2 * PROBE, false), PROBE as usize);
    }

    #[test]
    fn pread_wins_when_the_mapping_is_slower() {
        let mut r = IndexedRead::new();
        for _ in 0..2 * PROBE {
            let t = r.start();
            if r.via_map() {
                std::thread::sleep(Duration::from_micros(50));
            }
            r.done(t);
        }
        assert!(!r.via_map());
    }
}
