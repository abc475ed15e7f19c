//! The records read from the input, gathered into batches and written.

use super::destination::Destination;
use crate::error::CliResult;
use binlog::codec::{max_frame_len, MAX_TYPE_NAME_LEN};
use binlog::{Entry, Options};

/// One record read from the input, owned until its batch is written.
pub(super) struct InputRecord {
    pub(super) type_name: String,
    pub(super) meta: Vec<(String, String)>,
    pub(super) ts: Option<i64>,
    pub(super) payload: Vec<u8>,
}

/// Records per batch, and bytes.
const BATCH_RECORDS: usize = 1024;
const BATCH_BYTES: usize = 4 << 20;

#[derive(Default)]
pub(super) struct Batch {
    pending: Vec<InputRecord>,
    bytes: usize,
    /// Records the library took, in all.
    pub(super) written: u64,
    /// The sequence number of the first record written.
    pub(super) first_seq: Option<u64>,
    pub(super) max_record_size: u64,
    /// Records were written since the last hand-off to the OS.
    unflushed: bool,
}

impl Batch {
    /// An empty batch for records of at most `max_record_size` bytes (the
    /// writer's default if not given).
    pub(super) fn new(max_record_size: Option<u64>) -> Batch {
        let max_record_size = max_record_size.unwrap_or(Options::default().max_record_size);
        Batch {
            max_record_size,
            ..Batch::default()
        }
    }

    /// Adds a record read from the input (`what` names it: line or JSON
    /// object number), writing the batch when it is full. A record the
    /// library might refuse (too large, or a type name too long) is written
    /// alone, after the records before it, so that a refusal names it and
    /// loses none of them: a batch the library refuses part of keeps only
    /// the records already handed to the OS.
    pub(super) fn add(
        &mut self,
        dest: &Destination,
        r: InputRecord,
        what: impl FnOnce() -> String,
    ) -> CliResult<()> {
        // The library could refuse it when its type name is too long, or
        // its encoding could exceed the maximum record size (`max_frame_len`
        // is an upper bound: it counts the type's name, which only the
        // type's first record in a segment carries).
        let len = max_frame_len(&r.type_name, &meta_refs(&r.meta), r.payload.len() as u64);
        if r.type_name.len() > MAX_TYPE_NAME_LEN || len > self.max_record_size {
            self.flush(dest)?;
            self.pending.push(r);
            return self.flush(dest).map_err(|e| e.prefixed(&what()));
        }
        self.bytes += r.payload.len();
        self.pending.push(r);
        if self.pending.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES {
            self.flush(dest)?;
        }
        Ok(())
    }

    /// Writes the pending records. If the library fails part way, the
    /// records it kept are counted and the rest are dropped (not retried:
    /// the error says what happened).
    pub(super) fn flush(&mut self, dest: &Destination) -> CliResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let before = dest.next_seq();
        // In one batch: the first one's sequence number.
        let records = &self.pending;
        let metas: Vec<Vec<(&str, &str)>> = records.iter().map(|r| meta_refs(&r.meta)).collect();
        let payloads: Vec<&[u8]> = records.iter().map(|r| r.payload.as_slice()).collect();
        let entry = |i: usize| Entry {
            type_name: &records[i].type_name,
            meta: &metas[i],
            timestamp_ns: records[i].ts,
            parts: std::slice::from_ref(&payloads[i]),
        };
        let entries: Vec<Entry<'_>> = (0..records.len()).map(entry).collect();
        let result = dest.writer().write_batch(&entries);
        let count = self.pending.len() as u64;
        self.pending.clear();
        self.bytes = 0;
        // The first record the library kept, and how many it kept.
        let kept = match &result {
            Ok(first) => Some((*first, count)),
            Err(_) => (before.zip(dest.next_seq()))
                .map(|(first, next)| (first, next.saturating_sub(first))),
        };
        if let Some((first, n)) = kept.filter(|&(_, n)| n > 0) {
            self.first_seq.get_or_insert(first);
            self.written += n;
            self.unflushed = true;
        }
        result.map(drop).map_err(Into::into)
    }

    /// Writes the pending records and hands every record written to the
    /// OS: the input is waiting for its producer. Durability is unchanged:
    /// the records are synced at the end, as before.
    pub(super) fn flush_to_os(&mut self, dest: &Destination) -> CliResult<()> {
        self.flush(dest)?;
        if self.unflushed {
            dest.writer().flush()?;
            self.unflushed = false;
        }
        Ok(())
    }
}

/// Metadata as the library takes it.
fn meta_refs(meta: &[(String, String)]) -> Vec<(&str, &str)> {
    meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
