//! The counts of `binlog stats`: records and bytes per type, in all and
//! per time bucket. Memory grows with the number of types and buckets,
//! never with the number of records.

use crate::time;
use binlog::Record;
use std::collections::{BTreeMap, HashMap};

#[derive(Default, Clone)]
pub(super) struct Bucket {
    pub(super) records: u64,
    pub(super) bytes: u64,
    /// By type index: (records, bytes).
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
    /// Type names by index, in order of first appearance.
    pub(super) names: Vec<String>,
    index: HashMap<String, usize>,
    pub(super) all: Bucket,
    /// By the start of each bucket.
    pub(super) buckets: BTreeMap<i64, Bucket>,
    pub(super) first_seq: Option<u64>,
    pub(super) last_seq: Option<u64>,
    pub(super) min_ts: i64,
    pub(super) max_ts: i64,
}

impl Tally {
    pub(super) fn new(width: Option<i64>) -> Tally {
        Tally {
            width,
            min_ts: i64::MAX,
            max_ts: i64::MIN,
            ..Tally::default()
        }
    }

    pub(super) fn add(&mut self, r: &Record<'_>) {
        let t = match self.index.get(r.type_name) {
            Some(&t) => t,
            None => {
                self.index.insert(r.type_name.to_string(), self.names.len());
                self.names.push(r.type_name.to_string());
                self.names.len() - 1
            }
        };
        self.all.add(t, r.frame_len);
        if let Some(w) = self.width {
            self.buckets
                .entry(time::floor(r.timestamp_ns, w))
                .or_default()
                .add(t, r.frame_len);
        }
        self.first_seq.get_or_insert(r.seq);
        self.last_seq = Some(r.seq);
        self.min_ts = self.min_ts.min(r.timestamp_ns);
        self.max_ts = self.max_ts.max(r.timestamp_ns);
    }

    /// The type indexes, busiest first.
    pub(super) fn busiest_first(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by_key(|&t| {
            (
                std::cmp::Reverse(self.all.types[t].0),
                self.names[t].clone(),
            )
        });
        order
    }
}
