//! The counts of `binlog stats`: the library's `Summary` of the records,
//! and records and bytes per type in each time bucket. Memory grows with
//! the number of types and buckets, never with the number of records.

use crate::time;
use binlog::{Record, Summary};
use std::collections::BTreeMap;

#[derive(Default, Clone)]
pub(super) struct Bucket {
    pub(super) records: u64,
    pub(super) bytes: u64,
    /// By the type's place in the summary's types: (records, bytes).
    pub(super) types: Vec<(u64, u64)>,
}

impl Bucket {
    fn add(&mut self, t: usize, bytes: u64) {
        self.records += 1;
        self.bytes += bytes;
        if self.types.len() <= t {
            self.types.resize(t + 1, (0, 0));
        }
        self.types[t].0 += 1;
        self.types[t].1 += bytes;
    }
}

/// What the records counted hold.
#[derive(Default)]
pub(super) struct Tally {
    /// Bucket width in ns (None: no time buckets).
    width: Option<i64>,
    pub(super) summary: Summary,
    /// By the start of each bucket.
    pub(super) buckets: BTreeMap<i64, Bucket>,
}

impl Tally {
    pub(super) fn new(width: Option<i64>) -> Tally {
        Tally {
            width,
            ..Tally::default()
        }
    }

    pub(super) fn add(&mut self, r: &Record<'_>) {
        let t = self.summary.add(r);
        if let Some(w) = self.width {
            let bucket = self.buckets.entry(time::floor(r.timestamp_ns, w));
            bucket.or_default().add(t, r.frame_len);
        }
    }

    /// The type indexes, busiest first.
    pub(super) fn busiest_first(&self) -> Vec<usize> {
        let types = &self.summary.types;
        let mut order: Vec<usize> = (0..types.len()).collect();
        order.sort_by_key(|&t| (std::cmp::Reverse(types[t].records), &types[t].name));
        order
    }
}
