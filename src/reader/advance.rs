//! Finding and checking the next record, one step at a time: what to do at
//! an end already met, where the next frame is (the type filter's index
//! cursor, or the position), reading and checking the frame, deciding on a
//! frame that is not a record, checking the record's body, and taking it.
//!
//! This is the read path of every record: every step is
//! `#[inline(always)]`, so that `advance` compiles to one loop that keeps
//! the steps' values in registers. Even a rare step kept out of line costs
//! the common path: what it is passed must be kept in memory.

use super::frame_check::FrameCheck;
use super::pager::{Pager, PREAD_MAX};
use super::record::{BytesIn, LOST_TYPE};
use super::{Found, Reader, Tail};
use crate::error::Result;
use crate::format::frame::{self, RecordBody};
use crate::format::FRAME_HEADER_LEN;
use crate::sys::prefetch::thread_page_faults;

/// Where the next frame is, and how the reader got there.
struct NextFrame {
    pos: usize,
    /// For a read through the per-type index: the filter cursor the offset
    /// came from.
    index_cursor: Option<usize>,
    /// Where the reader stood before it jumped to an indexed offset (after
    /// the last record returned, with the sequence number expected there),
    /// for `stop_using_index`.
    scan_from: (usize, u64),
}

/// Why a record frame whose CRC holds is not taken.
enum Rejected {
    /// Its contents are wrong (malformed, or out of sequence or type
    /// order): damage.
    Invalid(String),
    /// The per-type index pointed at it, and it is not an intact record of
    /// that type where the index can put it.
    NotWhereIndexSays,
}

/// A record whose body passed its checks: where its parts are, owned so
/// the reader may change afterwards.
struct Checked {
    found: Found,
    /// A name the record gives its type that the type table lacks: a new
    /// type, or one lost in a damaged region skipped.
    new_type_name: Option<Box<str>>,
    /// The type is used with its definition lost in a damaged region
    /// skipped (only with `skip_damaged`): it is to be named.
    lost_type: bool,
}

impl Reader {
    /// Finds and checks the next record; returns where its parts are.
    #[inline(always)]
    pub(super) fn advance(&mut self, verify: bool) -> Result<Option<Found>> {
        loop {
            if self.tail != Tail::Reading && !self.look_past_end_met()? {
                return Ok(None);
            }
            let Some(next) = self.locate_next_frame()? else {
                return Ok(None);
            };
            let (check, bytes_in) = self.read_frame(&next, verify)?;
            let pos = next.pos;
            let read_on = match check {
                FrameCheck::Record(total) => {
                    // Read through the index: the next pread reads that
                    // many bytes first, and the prefetch covers them.
                    if next.index_cursor.is_some() && total <= PREAD_MAX {
                        self.indexed.first_pread_len = total;
                    }
                    match self.check_record(&next, total, bytes_in) {
                        Ok(rec) => match self.take_record(&next, rec) {
                            Some(found) => return Ok(Some(found)),
                            // Of a type the filter does not want.
                            None => true,
                        },
                        Err(rejected) => self.on_rejected_record(&next, rejected)?,
                    }
                }
                // Through the index, the index points at no intact record:
                // damage, or an array that lies, which a scan tells apart.
                _ if next.index_cursor.is_some() => {
                    self.stop_using_index(next.scan_from);
                    true
                }
                // A seal marker: in a segment opened unsealed, its records
                // may end there (see `seal_reached`); in a sealed one, damage.
                FrameCheck::SealBegin(count) if !self.sealed() => self.seal_reached(pos, count)?,
                FrameCheck::SealBegin(_) => {
                    self.bad_frame(pos, "seal marker inside the record region")?
                }
                // A frame that fails its checks: in an unsealed segment that
                // changed since it was mapped, it is looked at again.
                FrameCheck::Bad(_) if !self.sealed() && self.remap_if_len_changed()? => true,
                FrameCheck::Bad(why) => self.bad_frame(pos, why)?,
            };
            if !read_on {
                return Ok(None);
            }
        }
    }

    /// At an end met before (`tail` is not `Reading`): whether there may be
    /// records after it now. A sealed segment stays ended; an unsealed one,
    /// or one whose seal was half written, is looked at again from the
    /// position if the file changed since.
    #[inline(always)]
    fn look_past_end_met(&mut self) -> Result<bool> {
        let may_grow = matches!(
            self.tail,
            Tail::SealDamaged { .. } | Tail::Unsealed | Tail::Torn { .. }
        );
        // Records written into zeros prepared ahead do not change the
        // file's length (see `ends`).
        if !(may_grow && (self.remap_if_len_changed()? || self.written_past_end()?)) {
            return Ok(false);
        }
        self.tail = Tail::Reading;
        Ok(true)
    }

    /// Where the next frame is: the next offset of the type filter's index,
    /// if it reads through one, else the position. At the end of the
    /// records (`None`), the tail says how the segment ends.
    #[inline(always)]
    fn locate_next_frame(&mut self) -> Result<Option<NextFrame>> {
        loop {
            let scan_from = (self.pos, self.next_seq);
            let mut index_cursor = None;
            if let Some(f) = self.filter.as_mut().filter(|f| f.cursors.is_some()) {
                match f.next_indexed() {
                    Some((off, i)) => {
                        // Entries are at or after the position (the filter
                        // seeks its cursors there): one before it would
                        // point into a record already read.
                        if off < self.pos as u64 || off >= self.end as u64 {
                            self.stop_using_index(scan_from);
                            continue;
                        }
                        self.pos = off as usize;
                        index_cursor = Some(i);
                    }
                    None => {
                        self.index_exhausted();
                        return Ok(None);
                    }
                }
            }
            if self.pos >= self.end {
                if !self.sealed() && self.remap_if_len_changed()? {
                    continue;
                }
                self.check_frame_at_end()?;
                self.settle_seal()?;
                if !self.bound_holds()? {
                    continue;
                }
                // Not growing (compressed) yet not sealed: its seal is lost.
                self.tail = if self.sealed() || !self.source.may_grow() {
                    self.damaged_end_tail(self.end)
                } else {
                    Tail::Unsealed
                };
                return Ok(None);
            }
            return Ok(Some(NextFrame {
                pos: self.pos,
                index_cursor,
                scan_from,
            }));
        }
    }

    /// The per-type index has no entry left: every record is behind. The
    /// position is the end, and so is the sequence number (a seek from here
    /// must know it passed them all).
    #[inline(always)]
    fn index_exhausted(&mut self) {
        if let Some(d) = self.seals.usable.as_ref().filter(|d| d.record_count > 0) {
            self.next_seq = self.next_seq.max(d.last_seq.wrapping_add(1));
        }
        self.pos = self.end;
        self.tail = Tail::Sealed;
    }

    /// Reads and checks the frame at `next.pos`: through the mapping, or
    /// in a copy (an indexed read with pread, see `IndexedRead`; an
    /// unsealed segment, see `check_unsealed`). Returns what it is and
    /// where its bytes are.
    #[inline(always)]
    fn read_frame(&mut self, next: &NextFrame, verify: bool) -> Result<(FrameCheck, BytesIn)> {
        let pos = next.pos;
        if let Pager::Frames(_) = self.source {
            return self.read_decoded_frame(pos, verify, next.index_cursor);
        }
        let indexed = next.index_cursor.is_some() && verify;
        if indexed {
            self.indexed.start(thread_page_faults);
        }
        let copied = if indexed && !self.indexed.via_map() {
            self.read_indexed(pos)?
        } else {
            if let Some(i) = next.index_cursor {
                self.prefetch_ahead(i);
            }
            None
        };
        let read = match copied {
            Some(check) => (check, BytesIn::FrameCopy),
            None if !self.sealed() && !self.nothing_can_cut_file => {
                self.read_unsealed_frame(pos, verify)?
            }
            None => {
                let check = FrameCheck::of(frame::frame_at(&self.map[..self.end], pos, verify));
                (check, BytesIn::Mapping)
            }
        };
        if indexed {
            self.indexed.done(thread_page_faults);
        }
        Ok(read)
    }

    /// Checks the body of the record frame at `next.pos` (`total` bytes, in
    /// `bytes_in`): it decodes, its metadata is UTF-8, its sequence number
    /// and type are the ones expected there.
    #[inline(always)]
    fn check_record(
        &self,
        next: &NextFrame,
        total: usize,
        bytes_in: BytesIn,
    ) -> std::result::Result<Checked, Rejected> {
        let (data, at) = self.frame_in(bytes_in, next.pos);
        let body = &data[at + FRAME_HEADER_LEN..at + total];
        let decoded = frame::decode_record(body);
        let invalid = self.body_problem(decoded.as_ref(), next.index_cursor.is_none());
        match (decoded, invalid) {
            (Some(rec), None) => match next.index_cursor {
                Some(i) if misnumbered(&rec, next) || !self.of_cursor_type(&rec, i) => {
                    Err(Rejected::NotWhereIndexSays)
                }
                _ => Ok(self.checked(&rec, next.pos, (at, total), bytes_in)),
            },
            _ if next.index_cursor.is_some() => Err(Rejected::NotWhereIndexSays),
            (_, why) => Err(Rejected::Invalid(
                why.expect("a record that does not decode is invalid"),
            )),
        }
    }

    /// What is wrong with a record body whose frame's CRC holds, if
    /// anything (`decoded` is `None` if it does not decode). Its sequence
    /// number is checked in a scan (`scanning`): the next one expected, or
    /// with `skip_damaged` any later one (the records between are lost).
    #[inline(always)]
    fn body_problem(&self, decoded: Option<&RecordBody<'_>>, scanning: bool) -> Option<String> {
        let next = self.next_seq;
        match decoded {
            None => Some("malformed record body".to_string()),
            Some(rec) if !valid_meta(rec.meta) => Some("metadata is not UTF-8".to_string()),
            Some(rec) if scanning && (rec.seq < next || (rec.seq > next && !self.damage.skip)) => {
                let seq = rec.seq;
                Some(format!("sequence number {seq} where {next} was expected"))
            }
            Some(rec) => self.type_problem(rec),
        }
    }

    /// Whether a record the index cursor `i` points at is of the cursor's
    /// type. The seal's table names every type: the array must list
    /// records of its own (checked before the table changes).
    #[inline(always)]
    fn of_cursor_type(&self, rec: &RecordBody<'_>, i: usize) -> bool {
        let Some(f) = self.filter.as_ref() else {
            return true;
        };
        let cursors = f.cursors.as_ref().expect("indexed");
        self.types
            .get(rec.type_id as usize)
            .is_some_and(|t| **t == *cursors[i].type_name)
    }

    /// A record that passed its checks, whose frame of `total` bytes is at
    /// `pos` in the segment and at `at` in the bytes read (`bytes_in`).
    #[inline(always)]
    fn checked(
        &self,
        rec: &RecordBody<'_>,
        pos: usize,
        (at, total): (usize, usize),
        bytes_in: BytesIn,
    ) -> Checked {
        let id = rec.type_id as usize;
        let known = self.types.len();
        let new_type_name = match rec.defines {
            Some(name) if id >= known || self.types[id].starts_with(LOST_TYPE) => {
                Some(std::str::from_utf8(name).expect("checked").into())
            }
            Some(_) | None => None,
        };
        // The payload is the body's tail and the metadata sits right
        // before it (see frame::decode_record).
        let frame_end = at + total;
        let payload_start = frame_end - rec.payload.len();
        let meta_start = payload_start - rec.meta.len();
        Checked {
            found: Found {
                seq: rec.seq,
                timestamp_ns: rec.timestamp_ns,
                type_id: rec.type_id,
                offset: pos,
                frame_len: total,
                meta_count: rec.meta_count,
                meta: (meta_start, payload_start),
                payload: (payload_start, frame_end),
                bytes_in,
            },
            new_type_name,
            // Only with skip_damaged: the definition was in a skipped region.
            lost_type: rec.defines.is_none() && id >= known,
        }
    }

    /// A record that failed its checks; returns whether to read on. Through
    /// the index, the scan takes over; otherwise it is damage: an error, or
    /// with `skip_damaged` a region skipped.
    #[inline(always)]
    fn on_rejected_record(&mut self, next: &NextFrame, rejected: Rejected) -> Result<bool> {
        match rejected {
            Rejected::NotWhereIndexSays => {
                self.stop_using_index(next.scan_from);
                Ok(true)
            }
            Rejected::Invalid(why) if !self.damage.skip => Err(self.corrupt(next.pos, why)),
            Rejected::Invalid(why) => self.wrong_record(next.pos, &why),
        }
    }

    /// Takes the checked record at `next.pos`: learns its type, moves past
    /// it, and returns where its parts are, unless the type filter does not
    /// want it.
    #[inline(always)]
    fn take_record(&mut self, next: &NextFrame, rec: Checked) -> Option<Found> {
        let (pos, found) = (next.pos, rec.found);
        if next.index_cursor.is_none() && found.seq > self.next_seq {
            // Records missing with no damaged bytes to show for it.
            self.log_damage(pos, pos, found.seq, None);
        }
        let id = found.type_id as usize;
        if rec.lost_type || rec.new_type_name.is_some() {
            // The types below it whose definitions were lost (and it, if
            // its own was), named from the seal if it can be, else by id.
            while self.types.len() < id + usize::from(rec.lost_type) {
                let name = self.lost_type_name(self.types.len());
                self.types.push(name);
            }
        }
        if let Some(name) = rec.new_type_name {
            if id == self.types.len() {
                self.types.push(name);
            } else {
                self.types[id] = name;
            }
        }
        self.pos = pos + found.frame_len;
        self.next_seq = found.seq.wrapping_add(1);
        let wanted = self
            .filter
            .as_ref()
            .is_none_or(|f| f.wants(&self.types[id]));
        wanted.then_some(found)
    }
}

/// Through the index, the records skipped since `next.scan_from` (each at
/// least the smallest frame) bound the sequence number.
#[inline(always)]
fn misnumbered(rec: &RecordBody<'_>, next: &NextFrame) -> bool {
    let (from, seq) = next.scan_from;
    let skipped = (next.pos - from.min(next.pos)) / frame::MIN_RECORD_FRAME;
    rec.seq < seq || rec.seq - seq > skipped as u64
}

#[inline(always)]
fn valid_meta(meta: &[u8]) -> bool {
    frame::MetaIter::new(meta)
        .all(|(k, v)| std::str::from_utf8(k).is_ok() && std::str::from_utf8(v).is_ok())
}
