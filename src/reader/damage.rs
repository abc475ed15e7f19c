//! Frames and records that fail their checks: corruption in the middle (an
//! error, or with `skip_damaged` a damaged region skipped), a torn tail, and
//! the types whose defining record a skipped region took with it.

use super::frame_check::{resume_in, resume_in_growing};
use super::pager::CHECK_CHUNK;
use super::record::LOST_TYPE;
use super::{Damage, Reader, Record, SealTypes, Tail};
use crate::error::{Error, ErrorKind, Result};
use crate::format::frame;

/// After a bad frame in an unsealed segment, up to this many bytes that
/// follow are copied with pread to search for valid records (a torn tail
/// is at most one write); beyond, the search reads through the mapping.
const RESUME_COPY_MAX: usize = 64 << 20;

/// The damaged regions whose reason a reader keeps (`damage_reason`).
pub(super) const MAX_REASONS: usize = 1000;

impl Reader {
    /// Handles a frame that fails its checks. A valid record after it (or a
    /// sealed segment) makes it corruption in the middle: an error, or with
    /// `skip_damaged` a damaged region skipped (returns `true`: read on).
    /// Nothing valid after it in an unsealed segment is a torn tail, up to
    /// the last byte that is not zero; zeros from the frame on to the end of
    /// the file are the records' end so far (see `ends`).
    pub(super) fn bad_frame(&mut self, pos: usize, why: &str) -> Result<bool> {
        if self.at_zero_tail(pos)? {
            return Ok(false);
        }
        let next = self.resume_after(pos)?;
        if self.frame_became_valid(pos)? {
            return Ok(true);
        }
        if self.damage.skip {
            if let Some((next, seq)) = next {
                self.source.forget_checked();
                self.log_damage(pos, next, seq, Some(why));
                (self.pos, self.next_seq) = (next, seq);
                return Ok(true);
            }
            if self.sealed() || self.is_compressed() {
                let to_seq = self.lost_to_end(pos);
                self.log_damage(pos, self.end, to_seq, Some(why));
                (self.pos, self.next_seq) = (self.end, to_seq);
                self.tail = self.damaged_end_tail(pos);
                return Ok(false);
            }
        }
        let what = match next {
            Some((next, _)) => format!("{why}; the next valid record starts at offset {next}"),
            None if self.sealed() => format!("{why} inside a sealed segment"),
            None if self.is_compressed() => format!("{why} inside a compressed segment"),
            None => {
                self.tail = self.torn_tail_at(pos)?;
                return Ok(false);
            }
        };
        Err(self.corrupt(pos, what))
    }

    /// Skipping damage, a record at `pos` whose CRC is right but whose
    /// contents are wrong (docs/FORMAT.md section 10.1 item 2). Its writer
    /// wrote it whole, so it is corruption, never a torn tail: with no valid
    /// record after it in an unsealed segment, its bytes up to the last
    /// non-zero one are a damaged region that loses no sequence number.
    /// A reader that does not skip fails with `Corrupt` at `pos`.
    pub(super) fn wrong_record(&mut self, pos: usize, why: &str) -> Result<bool> {
        if self.sealed() || self.is_compressed() || self.resume_after(pos)?.is_some() {
            return self.bad_frame(pos, why);
        }
        let end = self.nonzero_end(pos)?.max(pos + 1);
        self.source.forget_checked();
        self.log_damage(pos, end, self.next_seq, Some(why));
        self.pos = end;
        Ok(true)
    }

    /// How a segment ends whose records from `pos` to the end are damaged:
    /// as its seal says, if it is sealed (`Sealed` if its seal is usable,
    /// `SealDamaged` at its `records_end` if it only bounds them). A
    /// compressed segment is always sealed (it never grows, nothing is
    /// torn), but one whose seal's frames are lost ends with its seal
    /// damaged, from `pos` on.
    pub(super) fn damaged_end_tail(&self, pos: usize) -> Tail {
        let offset = match &self.seals.bounding {
            Some(d) if self.seals.usable.is_none() => d.records_end,
            _ if self.sealed() => return Tail::Sealed,
            _ => pos as u64,
        };
        Tail::SealDamaged { offset }
    }

    /// Where the records lost to damage from `pos` to the end of a sealed
    /// segment's records end (docs/FORMAT.md section 10): after the
    /// directory's `last_seq`, if its count agrees with its sequence numbers
    /// and that many records fit the bytes (one per 26), else after the last
    /// record read (no number is known lost).
    fn lost_to_end(&self, pos: usize) -> u64 {
        let Some(d) = self.seals.usable.as_ref().or(self.seals.bounding.as_ref()) else {
            return self.next_seq;
        };
        let room = ((self.end - pos) / frame::MIN_RECORD_FRAME) as u64;
        let counted =
            d.record_count > 0 && d.last_seq.checked_sub(d.first_seq) == Some(d.record_count - 1);
        match d.last_seq.checked_add(1) {
            Some(to) if counted && to >= self.next_seq && to - self.next_seq <= room => to,
            _ => self.next_seq,
        }
    }

    /// Logs the damaged region from `pos` up to `resume` (where the record
    /// numbered `to_seq` starts), its records from the one expected next,
    /// and `why` it was skipped if given.
    pub(super) fn log_damage(&mut self, pos: usize, resume: usize, to_seq: u64, why: Option<&str>) {
        self.damage.add(Damage {
            offset: pos as u64,
            resume_offset: resume as u64,
            from_seq: self.next_seq,
            to_seq,
        });
        // Why, kept once, and for the first `MAX_REASONS` regions only:
        // memory stays bounded.
        let at = pos as u64;
        let kept = &mut self.damage.why;
        let new = kept.len() < MAX_REASONS && kept.iter().all(|(o, _)| *o != at);
        if let Some(why) = why.filter(|_| new) {
            kept.push((at, why.into()));
        }
    }

    /// Where valid records resume after the bad frame at `pos`, and the
    /// sequence number there (see `frame::find_resume`). In an unsealed
    /// segment the bytes searched may be cut at any moment: up to
    /// `RESUME_COPY_MAX` of them are searched in a copy read with pread.
    pub(super) fn resume_after(&mut self, pos: usize) -> Result<Option<(usize, u64)>> {
        if self.source.frames().is_some() {
            return self.resume_after_decoded(pos);
        }
        let len = self.end.saturating_sub(pos);
        if !self.sealed() && !self.nothing_can_cut_file && len <= RESUME_COPY_MAX {
            let copy = |want, buf: &mut Vec<u8>| self.pread(buf, pos, want);
            let found = resume_in_growing(len, CHECK_CHUNK, self.next_seq, false, copy)?;
            return Ok(found.map(|(q, seq)| (pos + q, seq)));
        }
        Ok(resume_in(&self.map[..self.end], pos, self.next_seq))
    }

    /// What is wrong with a record's type reference, if anything.
    #[inline]
    pub(super) fn type_problem(&self, rec: &frame::RecordBody<'_>) -> Option<String> {
        let id = rec.type_id as usize;
        match rec.defines {
            Some(_) if id == self.types.len() => None,
            Some(name) if id < self.types.len() => {
                let t = &self.types[id];
                (*t.as_bytes() != *name && !t.starts_with(LOST_TYPE))
                    .then(|| format!("type id {id} defined out of order"))
            }
            // Skipping damage: the types between may have been defined in
            // a damaged region (within the same bound as below). An intact
            // record that defines its own type is never damage.
            Some(_) if self.damage.skip && id - self.types.len() <= self.lost_type_budget() => None,
            Some(_) => Some(format!("type id {id} defined out of order")),
            None if id < self.types.len() => None,
            // Skipping damage: the definition may have been in a damaged
            // region, which could define one type per smallest record it
            // held, no more. A larger id is damage itself (and naming every
            // id below it would fill memory: ids go up to 2^32).
            None if self.damage.skip && id - self.types.len() < self.lost_type_budget() => None,
            None => Some(format!("type id {id} used before it is defined")),
        }
    }

    /// The name of type `id`, whose defining record was in a skipped
    /// damaged region: the one a seal's type table gives it (see
    /// `SealTypes`), else `<lost type N>`. The table is read once.
    pub(super) fn lost_type_name(&mut self, id: usize) -> Box<str> {
        if self.damage.seal_types.is_none() {
            self.damage.seal_types = Some(SealTypes::find(self.original(), self.data_start));
        }
        let table = self.damage.seal_types.as_mut().and_then(Option::as_mut);
        let named = table.and_then(|table| {
            let mut types = self.types.iter().enumerate();
            if !types.all(|(i, t)| t.starts_with(LOST_TYPE) || table.agrees(i, t.as_bytes())) {
                return None;
            }
            for d in &self.damage.regions {
                table.damaged(d.offset, d.resume_offset);
            }
            table.lost_name(id).map(Box::from)
        });
        named.unwrap_or_else(|| Record::lost_type_name(id as u32).into())
    }

    /// How many types the damaged regions skipped so far could have
    /// defined (one per smallest record frame they held).
    fn lost_type_budget(&self) -> usize {
        let bytes: u64 = (self.damage.regions)
            .iter()
            .map(|d| d.resume_offset.saturating_sub(d.offset))
            .fold(0, u64::saturating_add);
        usize::try_from(bytes / frame::MIN_RECORD_FRAME as u64).unwrap_or(usize::MAX)
    }

    pub(super) fn corrupt(&self, pos: usize, what: impl std::fmt::Display) -> Error {
        Error::at(ErrorKind::Corrupt, &self.path, pos as u64, what)
    }
}

/// The damage a reader met: whether it skips damaged regions, the
/// regions it skipped and why, and the seal's type table that names the
/// types whose definitions they took. Kept once, above the sources.
#[derive(Default)]
pub(super) struct DamageLog {
    /// Skip damaged regions instead of stopping (see `skip_damaged`).
    pub(super) skip: bool,
    /// Damaged regions skipped so far, in file order.
    pub(super) regions: Vec<Damage>,
    /// Why each damaged region skipped at a bad frame was skipped, by its
    /// offset (see `damage_reason`); at most `MAX_REASONS`.
    pub(super) why: Vec<(u64, Box<str>)>,
    /// The type table of a seal that could not be trusted whole, to name
    /// types whose defining record was in a skipped damaged region
    /// (`lost_type_name`): None until first needed, then what was found.
    pub(super) seal_types: Option<Option<SealTypes>>,
}

impl DamageLog {
    /// Records a damaged region skipped, in file order, once: a reader
    /// that reads it again (a seek back, or one that scans over it) meets
    /// the same region, not another one.
    pub(super) fn add(&mut self, d: Damage) {
        let damages = &mut self.regions;
        let key = |x: &Damage| (x.offset, x.resume_offset);
        let at = damages.partition_point(|x| key(x) <= key(&d));
        // Sorted: an equal region is among those just before `at` (not a
        // search of the whole list, which a file damaged in many places makes
        // long).
        let seen = damages[..at]
            .iter()
            .rev()
            .take_while(|x| key(x) == key(&d))
            .any(|x| *x == d);
        if !seen {
            damages.insert(at, d);
        }
    }
}
