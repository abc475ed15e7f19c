//! Wall-clock time in nanoseconds since the Unix epoch (UTC).

/// Reads CLOCK_REALTIME directly: `SystemTime::now().duration_since(..)`
/// cost about 10 ns more per call (its checks and conversions), on the
/// write path of every record without an explicit timestamp.
#[allow(clippy::useless_conversion)]
pub fn now_ns() -> i64 {
    let (secs, nanos) = crate::sys::realtime();
    // time_t and c_long are i64 on the 64-bit Linux targets we build for.
    i64::from(secs)
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(nanos))
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
        assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
    }
}
