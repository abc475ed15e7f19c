//! The seal against the records: the CRCs of its indexes, each index entry
//! as the walk meets the record it points at, and its summary (counts,
//! sequence and time ranges) once the walk is done. What it gets wrong is
//! reported as one issue.

use super::analysis::Analysis;
use binlog::format::seal::{SealDirectory, SparseEntry, SPARSE_ENTRY_LEN};

/// One of the seal's indexes (a type's offset array, or the sparse index),
/// checked entry by entry as the walk meets the records.
#[derive(Clone, Copy, Debug)]
struct IndexCheck {
    /// Where its entries start in the file.
    start: usize,
    entries: u64,
    /// Entries found to point at the records they should, in order.
    matched: u64,
    /// False once it failed its CRC or an entry disagreed (not checked on).
    usable: bool,
}

/// The checks of a segment's valid seal.
pub(super) struct SealCheck {
    type_arrays: Vec<IndexCheck>,
    sparse_index: IndexCheck,
    /// What the seal gets wrong so far.
    problems: Vec<String>,
    /// Largest timestamp of the records so far (the sparse index records
    /// it for each entry).
    max_ts_so_far: i64,
}

/// What the walk found in the records, to compare with the seal's summary.
pub(super) struct RecordsFound<'a> {
    pub(super) analysis: &'a Analysis,
    pub(super) first_ts: Option<i64>,
    pub(super) last_ts: Option<i64>,
    /// (records, bytes) by type id.
    pub(super) type_counts: &'a [(u64, u64)],
}

impl SealCheck {
    /// Checks the CRCs of the seal's indexes; the walk then compares their
    /// entries with the records as it meets them (`record`).
    pub(super) fn new(map: &[u8], d: &SealDirectory) -> SealCheck {
        let mut problems = Vec::new();
        let mut type_arrays = Vec::new();
        for t in &d.types {
            let start = t.array_offset as usize;
            let bytes = &map[start..start + 8 * t.count as usize];
            let usable = binlog::format::crc32(bytes) == t.array_crc;
            if !usable {
                problems.push(format!(
                    "the offset array of type {:?} (offset {start}) fails its CRC",
                    t.name
                ));
            }
            type_arrays.push(IndexCheck {
                start,
                entries: t.count,
                matched: 0,
                usable,
            });
        }
        let sp = d.sparse_offset as usize;
        let bytes = &map[sp..sp + SPARSE_ENTRY_LEN * d.sparse_count as usize];
        let usable = binlog::format::crc32(bytes) == d.sparse_crc;
        if !usable {
            problems.push(format!("the sparse index (offset {sp}) fails its CRC"));
        }
        SealCheck {
            type_arrays,
            sparse_index: IndexCheck {
                start: sp,
                entries: d.sparse_count,
                matched: 0,
                usable,
            },
            problems,
            max_ts_so_far: i64::MIN,
        }
    }

    /// Compares the seal's per-type array and sparse index entries with the
    /// record at `off` (sequence number `seq`, time `ts`, type id `id`,
    /// whose name `type_name` gives).
    pub(super) fn record(
        &mut self,
        map: &[u8],
        (off, seq, ts): (u64, u64, i64),
        id: usize,
        type_name: impl FnOnce() -> String,
    ) {
        if let Some(a) = self.type_arrays.get_mut(id) {
            if a.usable {
                let at = a.start + 8 * a.matched as usize;
                if a.matched < a.entries && read_u64(map, at) == off {
                    a.matched += 1;
                } else {
                    a.usable = false;
                    self.problems.push(format!(
                        "the offset array of type {:?} does not list the record at offset {off}",
                        type_name()
                    ));
                }
            }
        }
        self.sparse_entry(map, off, seq);
        self.max_ts_so_far = self.max_ts_so_far.max(ts);
    }

    /// Compares the next sparse index entry with the record at `off`.
    fn sparse_entry(&mut self, map: &[u8], off: u64, seq: u64) {
        let sp = &mut self.sparse_index;
        if !(sp.usable && sp.matched < sp.entries) {
            return;
        }
        let e = SparseEntry::decode(&map[sp.start + sp.matched as usize * SPARSE_ENTRY_LEN..])
            .expect("in range");
        if e.offset == off {
            sp.matched += 1;
            if e.seq != seq || e.max_ts_before != self.max_ts_so_far {
                sp.usable = false;
                self.problems.push(format!(
                    "the sparse index entry for offset {off} says seq {} / max earlier time {}, \
                     the records say {seq} / {}",
                    e.seq, e.max_ts_before, self.max_ts_so_far
                ));
            }
        } else if e.offset < off {
            sp.usable = false;
            self.problems.push(format!(
                "the sparse index points at offset {}, where no record starts",
                e.offset
            ));
        }
    }

    /// Compares the seal's summary with what the walk found: what the seal
    /// gets wrong, as one message, if anything.
    pub(super) fn finish(mut self, d: &SealDirectory, found: &RecordsFound<'_>) -> Option<String> {
        let mut problems = std::mem::take(&mut self.problems);
        summary_problems(d, found, &mut problems);
        self.type_problems(d, found, &mut problems);
        let sp = &self.sparse_index;
        if sp.usable && sp.matched != sp.entries {
            problems.push(format!(
                "{} of the {} sparse index entries point at no record",
                sp.entries - sp.matched,
                sp.entries
            ));
        }
        (!problems.is_empty()).then(|| {
            format!(
                "{}; the records are intact and `binlog repair` rewrites the seal",
                problems.join("; ")
            )
        })
    }

    /// Where the seal's counts and offset arrays per type differ from the
    /// records'.
    fn type_problems(
        &self,
        d: &SealDirectory,
        found: &RecordsFound<'_>,
        problems: &mut Vec<String>,
    ) {
        for (i, t) in d.types.iter().enumerate() {
            let (count, bytes) = found.type_counts.get(i).copied().unwrap_or((0, 0));
            if t.count != count || t.bytes != bytes {
                problems.push(format!(
                    "type {:?}: the seal counts {} records of {} bytes, the segment holds {count} of {bytes}",
                    t.name, t.count, t.bytes
                ));
            }
            if let Some(arr) = self.type_arrays.get(i) {
                if arr.usable && arr.matched != arr.entries {
                    problems.push(format!(
                        "the offset array of type {:?} lists {} records, {} of them found",
                        t.name, arr.entries, arr.matched
                    ));
                }
            }
        }
    }
}

/// Where the seal's record count, sequence range and times differ from the
/// records'.
fn summary_problems(d: &SealDirectory, found: &RecordsFound<'_>, problems: &mut Vec<String>) {
    let a = found.analysis;
    if d.record_count != a.records {
        problems.push(format!(
            "the seal counts {} records, the segment holds {}",
            d.record_count, a.records
        ));
    }
    if a.records == 0 {
        return;
    }
    if Some(d.first_seq) != a.first_seq || Some(d.last_seq) != a.last_seq {
        problems.push(format!(
            "the seal says seq {}..{}, the records are {}..{}",
            d.first_seq,
            d.last_seq,
            a.first_seq.unwrap_or(0),
            a.last_seq.unwrap_or(0)
        ));
    }
    if Some(d.min_ts) != a.min_ts
        || Some(d.max_ts) != a.max_ts
        || Some(d.first_ts) != found.first_ts
        || Some(d.last_ts) != found.last_ts
    {
        problems.push("the seal's timestamps differ from the records'".to_string());
    }
}

fn read_u64(map: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(map[at..at + 8].try_into().expect("8 bytes"))
}
