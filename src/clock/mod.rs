//! Wall-clock time in nanoseconds since the Unix epoch (UTC).

#[cfg(target_arch = "x86_64")]
mod extrapolate;
#[cfg(target_arch = "x86_64")]
mod tsc;

/// CLOCK_REALTIME, the clock of every record without an explicit timestamp.
/// On x86_64 with a TSC the kernel trusts, extrapolated from a real reading
/// at most 100 us old (see `tsc`); otherwise read directly, not through
/// `SystemTime::now().duration_since(..)`, whose checks and conversions
/// cost more than the read (docs/PERFORMANCE.md).
#[inline]
pub fn now_ns() -> i64 {
    #[cfg(target_arch = "x86_64")]
    return tsc::now_ns();
    #[cfg(not(target_arch = "x86_64"))]
    return crate::sys::realtime_ns();
}

/// Decides, once a process, whether the clock may read the TSC (it reads
/// two small system files), so that opening a writer does it rather than
/// the first write.
pub fn prepare() {
    #[cfg(target_arch = "x86_64")]
    tsc::prepare();
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn agrees_with_system_time() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        let t = super::now_ns();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        // Within the 1 us the TSC clock is allowed (see tsc.rs).
        assert!(
            before - 1_000 <= t && t <= after + 1_000,
            "{before} <= {t} <= {after}"
        );
    }
}
