//! The clock age retention measures segments' ages by: the wall clock read
//! once, when the log opens, then advanced by CLOCK_BOOTTIME (which also
//! counts time suspended), so that a step of the wall clock neither
//! deletes every sealed segment at once nor keeps them all. Segments
//! sealed before the log opened carry their file's modification time. A
//! clock injected through `LogOptions::clock` (tests) is taken as is.

use super::options::Clock;

pub(super) enum AgeClock {
    /// The system's: the wall clock at `base_wall`, then elapsed time.
    System {
        base_wall: i64,
        base_boot: i64,
    },
    Injected(Clock),
}

impl AgeClock {
    pub fn new(clock: &Clock, system: bool) -> AgeClock {
        if system {
            AgeClock::System {
                base_wall: clock(),
                base_boot: crate::sys::boottime_ns(),
            }
        } else {
            AgeClock::Injected(clock.clone())
        }
    }

    /// Now, in ns since the epoch, for comparing with seal times.
    pub fn now(&self) -> i64 {
        match self {
            AgeClock::System {
                base_wall,
                base_boot,
            } => since(*base_wall, *base_boot, crate::sys::boottime_ns()),
            AgeClock::Injected(clock) => clock(),
        }
    }
}

/// `base_wall`, moved on by the elapsed time from `base_boot` to `boot`.
fn since(base_wall: i64, base_boot: i64, boot: i64) -> i64 {
    base_wall.saturating_add(boot.saturating_sub(base_boot).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    #[test]
    // Miri's CLOCK_BOOTTIME does not move while a thread sleeps (the test
    // measures real elapsed time; the arithmetic test below runs there).
    #[cfg_attr(miri, ignore)]
    fn system_clock_reads_the_wall_clock_once_then_counts_elapsed_time() {
        let wall = Arc::new(AtomicI64::new(1_700_000_000_000_000_000));
        let w = wall.clone();
        let clock: Clock = Arc::new(move || w.load(Ordering::SeqCst));
        let c = AgeClock::new(&clock, true);
        let t0 = c.now();
        assert!(
            (t0 - 1_700_000_000_000_000_000).abs() < 1_000_000_000,
            "{t0}"
        );
        // The wall clock steps a year forward: ages do not jump.
        wall.fetch_add(365 * 86_400 * 1_000_000_000, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let t1 = c.now();
        assert!(
            t1 - t0 >= 20_000_000 && t1 - t0 < 5_000_000_000,
            "{}",
            t1 - t0
        );
        // An injected clock is followed, steps included.
        let i = AgeClock::new(&clock, false);
        assert_eq!(i.now(), wall.load(Ordering::SeqCst));
    }

    #[test]
    fn elapsed_time_never_runs_backwards_or_overflows() {
        assert_eq!(since(100, 50, 40), 100);
        assert_eq!(since(100, 50, 75), 125);
        assert_eq!(since(i64::MAX - 1, 0, 10), i64::MAX);
    }
}
