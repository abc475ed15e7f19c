//! A write call's records: appended in order, then indexed, or rolled back
//! from the first that did not reach the file.

use super::validate::Measure;
use super::{State, NO_RECORD};
use crate::error::{Error, Result};

/// One record to write.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The record's type's name.
    pub type_name: &'a str,
    /// Its string metadata, key/value pairs in order.
    pub meta: &'a [(&'a str, &'a str)],
    /// Nanoseconds since the Unix epoch; `None` takes the clock.
    pub timestamp_ns: Option<i64>,
    /// The payload, gathered from these parts in order.
    pub parts: &'a [&'a [u8]],
}

impl<'a> Entry<'a> {
    /// A record of `parts`, with no metadata and the clock's time.
    pub(crate) fn of(type_name: &'a str, parts: &'a [&'a [u8]]) -> Entry<'a> {
        Entry {
            type_name,
            meta: &[],
            timestamp_ns: None,
            parts,
        }
    }
}

/// A record encoded by the current call, to be indexed once the call
/// succeeds (or rolled back from, if it fails).
pub(super) struct Pending {
    pub type_id: u32,
    pub defines: bool,
    pub offset: u64,
    pub seq: u64,
    pub ts: i64,
    pub len: u64,
}

/// Records from this long on have the lines of the next one prefetched for
/// writing after a one-record call (see `crate::sys::prefetch`): that helps
/// long records, and after every short record it cost more than it saved
/// (docs/PERFORMANCE.md).
const PREFETCH_WRITE_FROM: u64 = 256;

/// After a one-record call with a shorter record, the line this far past
/// the buffer's end is prefetched for writing instead (one instruction).
/// Distances from 256 bytes to 4 KiB did about as well (docs/PERFORMANCE.md).
const PREFETCH_WRITE_AHEAD: usize = 1024;

impl State {
    /// Appends the records of one call and returns the first one's sequence
    /// number. With `write_through` the records are handed to the OS before
    /// returning. `checked`: a rolling log's part of a batch it validated
    /// whole (`validate` with `Measure::AsFirstOfType`), not validated again.
    pub fn append(
        &mut self,
        entries: &[Entry<'_>],
        now: i64,
        write_through: bool,
        checked: bool,
    ) -> Result<u64> {
        self.check_usable()?;
        if self.flusher_failed.is_some() {
            return Err(self.take_flusher_failure());
        }
        if self.ending {
            return Err(self.closed("the log rolled away from this segment"));
        }
        let first_seq = self.next_seq;
        let types_before = self.types.len();
        if let [e] = entries {
            // One record (the common call): no loop and no pending list to
            // set up (docs/PERFORMANCE.md).
            let mut one = None;
            let result = self
                .encode_one(e, now, &mut None, &mut |p| one = Some(p))
                .and_then(|()| self.write_through(write_through));
            if let (Ok(()), Some(p)) = (&result, &one) {
                self.index_record(p);
                // The next call's record is likely as long as this one.
                // Small records share lines the last store already took:
                // for them, one line some calls ahead.
                if p.len >= PREFETCH_WRITE_FROM {
                    crate::sys::prefetch::prefetch_write(&mut self.buf, p.len as usize);
                } else {
                    crate::sys::prefetch::prefetch_write_ahead(&mut self.buf, PREFETCH_WRITE_AHEAD);
                }
                return Ok(first_seq);
            }
            return self.index_or_roll_back(one.as_slice(), result, types_before, 1, first_seq);
        }
        self.append_batch(entries, now, write_through, checked)
    }

    /// `append` for a call of any other number of records than one. Out of
    /// line, compiled apart from the one-record path: both take fewer
    /// instructions a record so (docs/PERFORMANCE.md).
    #[inline(never)]
    fn append_batch(
        &mut self,
        entries: &[Entry<'_>],
        now: i64,
        write_through: bool,
        checked: bool,
    ) -> Result<u64> {
        let first_seq = self.next_seq;
        let types_before = self.types.len();
        // Every entry is checked before any is encoded: a batch refused
        // writes nothing and takes no sequence number (a record larger than
        // the buffer goes to the file as soon as it is encoded).
        if !checked {
            self.validate(entries, Measure::Exact)?;
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.clear();
        let result = self
            .encode_all(entries, now, &mut pending)
            .and_then(|()| self.write_through(write_through));
        let kept =
            self.index_or_roll_back(&pending, result, types_before, entries.len(), first_seq);
        self.pending = pending;
        kept
    }

    /// Takes the background flusher's failure to return it (out of the way
    /// of `append`, which only tests for one: no store a call).
    #[cold]
    #[inline(never)]
    fn take_flusher_failure(&mut self) -> Error {
        self.flusher_failed.take().expect("checked")
    }

    /// Adds a record that is kept to the segment's index.
    #[inline(always)]
    fn index_record(&mut self, p: &Pending) {
        self.index
            .add(p.type_id, p.offset, p.seq, p.ts, p.len, &self.dir);
    }

    fn write_through(&mut self, yes: bool) -> Result<()> {
        if yes {
            self.flush_buf()
        } else {
            Ok(())
        }
    }

    /// Indexes the records of a call that are kept: every one on success; on
    /// failure only those whole in the file. Records handed to the
    /// background writer count as written: if that write fails they stay
    /// pending, like any buffered record. The others are rolled back (their
    /// sequence numbers and type definitions reused).
    fn index_or_roll_back(
        &mut self,
        pending: &[Pending],
        result: Result<()>,
        types_before: usize,
        entries: usize,
        first_seq: u64,
    ) -> Result<u64> {
        if result.is_ok() {
            // Every record is kept (the common case, without the checks).
            for p in pending {
                self.index_record(p);
            }
            return Ok(first_seq);
        }
        // A record partly handed off is written with the next buffer.
        let written_end = self.file_len + self.in_flight_len + self.split_tail_len as u64;
        let mut kept = 0;
        let mut defined = 0;
        for p in pending {
            if p.offset + p.len > written_end {
                break;
            }
            self.index_record(p);
            defined += p.defines as usize;
            kept += 1;
        }
        if let Some(first_lost) = pending.get(kept) {
            self.next_seq = first_lost.seq;
            // Saturating: after a panic on the write-behind thread, the
            // file may end inside a record the failure did not account for
            // (the writer is poisoned then).
            self.buf.truncate(
                first_lost
                    .offset
                    .saturating_sub(self.file_len + self.in_flight_len) as usize,
            );
            self.unsealed_from = self.unsealed_from.min(self.buf.len());
            self.last_record_start = NO_RECORD;
            self.types.truncate(types_before + defined);
        }
        match result {
            // A write failed (a batch's entries were all checked first):
            // every record before it may be written, or none.
            Err(e) if entries > 1 || kept < pending.len() => Err(e.with_detail(|d| {
                format!("{d} ({kept} of {entries} records of this call were written)")
            })),
            result => result.map(|()| first_seq),
        }
    }

    fn encode_all(
        &mut self,
        entries: &[Entry<'_>],
        now: i64,
        pending: &mut Vec<Pending>,
    ) -> Result<()> {
        // A batch names its type with the same string again and again (the
        // C ABI passes one validated name per run of entries): the same
        // string as the last entry's is the same type, with no lookup. Only
        // within this call, where the strings cannot change.
        let mut last_type: Option<(&str, u32)> = None;
        for e in entries {
            self.encode_one(e, now, &mut last_type, &mut |p| pending.push(p))?;
        }
        Ok(())
    }
}
