//! Wall-clock time in nanoseconds since the Unix epoch (UTC).

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ns() -> i64 {
    // Seconds and nanoseconds apart: cheaper than u128 nanoseconds, and it
    // is on the write path of every record without an explicit timestamp.
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64)
            .saturating_mul(1_000_000_000)
            .saturating_add(d.subsec_nanos() as i64),
        Err(e) => {
            let d = e.duration();
            (d.as_secs() as i64)
                .saturating_mul(-1_000_000_000)
                .saturating_sub(d.subsec_nanos() as i64)
        }
    }
}
