//! Sizes the long tests take from the environment. `cargo test` (and so
//! `make test`) runs them at a short size that still asserts everything;
//! `make torture` sets the full size (Makefile, docs/RELIABILITY.md). Each
//! value a test uses is printed, so that its output says what it did.

use std::ops::Range;
use std::sync::OnceLock;

/// The number in the environment variable `name`, else `short`.
pub fn knob(name: &str, short: u64) -> u64 {
    let v = match std::env::var(name) {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("{name}={s} is not a number")),
        Err(_) => short,
    };
    eprintln!("{name}={v} (set {name} to change it)");
    v
}

/// The loops over every position of a small file (every bit flipped, a
/// cut at every offset) visit one position in `BINLOG_STRIDE` (default 7,
/// prime to 8: a loop over bits still flips a bit of every byte), and
/// always the first and the last; `make torture` sets 1, every position.
pub fn stride() -> u64 {
    static STRIDE: OnceLock<u64> = OnceLock::new();
    *STRIDE.get_or_init(|| knob("BINLOG_STRIDE", 7).max(1))
}

/// The positions of `range` an exhaustive loop visits (see [`stride`]).
pub fn positions(range: Range<u64>) -> Vec<u64> {
    let mut v: Vec<u64> = range.clone().step_by(stride() as usize).collect();
    if let Some(&last) = v.last() {
        if last + 1 < range.end {
            v.push(range.end - 1);
        }
    }
    v
}
