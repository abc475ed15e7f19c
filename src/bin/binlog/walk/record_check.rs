//! The checks of one record whose frame is valid: its body, its sequence
//! number, its type (defined in order, or lost in damaged bytes), and what
//! it adds to the counts and to the seal's checks.

use super::analysis::IssueKind;
use super::walker::Walker;
use binlog::format::frame::{self, MetaIter, RecordBody};

impl Walker {
    /// Checks a record whose frame is valid; Err(why) if it cannot be used.
    pub(super) fn record(
        &mut self,
        map: &[u8],
        p: usize,
        body: &[u8],
        total: usize,
        next_seq: &mut u64,
    ) -> Result<(), String> {
        let Some(r) = frame::decode_record(body) else {
            return Err("malformed record body (its CRC matches)".to_string());
        };
        if !MetaIter::new(r.meta)
            .all(|(k, v)| std::str::from_utf8(k).is_ok() && std::str::from_utf8(v).is_ok())
        {
            return Err("metadata is not UTF-8 (its CRC matches)".to_string());
        }
        // A record whose CRC holds but whose contents are wrong is damage,
        // as the library's reader finds it (docs/FORMAT.md section 10).
        if r.seq < *next_seq {
            return Err(format!(
                "sequence number {} where {} was expected: goes backwards (its CRC matches)",
                r.seq, *next_seq
            ));
        }
        let off = p as u64;
        let id = r.type_id as usize;
        if !self.plausible_type(id, r.defines.is_some()) {
            // Tables by id are not grown to a hostile id (up to 2^32).
            let most = self.analysis.types.len() + self.lost_type_count();
            return Err(format!(
                "type id {id} is impossible here: the bytes before offset {off} can \
                 define at most {most} types (its CRC matches)"
            ));
        }
        if let Some(why) = r.defines.and_then(|name| self.definition_problem(id, name)) {
            return Err(why);
        }
        if r.seq != *next_seq {
            self.sequence_jump(off, total, r.seq, *next_seq);
        }
        let at = RecordAt {
            off,
            total,
            seq: r.seq,
        };
        match r.defines {
            Some(name) => self.definition(id, name),
            None => self.use_of_type(at, id),
        }
        *next_seq = r.seq.wrapping_add(1);
        self.count(map, &r, at);
        Ok(())
    }

    /// What is wrong with a definition of type `id` as `name`, if anything:
    /// an id known under another name (unless its name was lost), or one
    /// above the next id when no damaged bytes before could have defined
    /// the ids between (`plausible_type` bounds how many).
    fn definition_problem(&self, id: usize, name: &[u8]) -> Option<String> {
        let name = std::str::from_utf8(name).expect("decode_record checks UTF-8");
        match self.analysis.types.get(id) {
            Some(Some(n)) if n != name => Some(format!(
                "type id {id} defined as {name:?}, but it is {n:?} (its CRC matches)"
            )),
            _ => None,
        }
    }

    /// A record whose sequence number `seq` does not continue the sequence
    /// (`expected`): it starts a run of its own.
    fn sequence_jump(&mut self, off: u64, total: usize, seq: u64, expected: u64) {
        let msg = if seq > expected {
            format!(
                "sequence number {seq} where {expected} was expected: {} records missing",
                seq - expected
            )
        } else {
            format!("sequence number {seq} where {expected} was expected (goes backwards)")
        };
        self.issue(IssueKind::Sequence, off, total as u64, Some(off), msg);
        self.start_run(off, seq);
    }

    /// A record that defines type `id` as `bytes` (its name), checked by
    /// `definition_problem`. Ids between the known ones and `id` were
    /// defined in damaged bytes (`plausible_type` allowed them).
    fn definition(&mut self, id: usize, bytes: &[u8]) {
        let name = std::str::from_utf8(bytes).expect("decode_record checks UTF-8");
        let types = &mut self.analysis.types;
        if id >= types.len() {
            types.resize(id, None);
            types.push(Some(name.to_string()));
        } else {
            types[id] = Some(name.to_string());
        }
        self.lost_types.define(id, bytes, true);
    }

    /// A record of type `id` that does not define it. A type no intact
    /// record defined was defined in damaged bytes: it is named from the
    /// seal if one gives the name (as with a valid seal before), else
    /// reported once (the records after it use it too).
    fn use_of_type(&mut self, at: RecordAt, id: usize) {
        if !self.lost_types.undecided(id) {
            return;
        }
        let name = self.lost_types.decide(id);
        let types = &mut self.analysis.types;
        if types.len() <= id {
            types.resize(id + 1, None);
        }
        let unnamed = name.is_none();
        types[id] = name;
        if unnamed {
            let what = format!(
                "type id {id} used but not defined (its definition may be in damaged bytes)"
            );
            self.type_issue(at, what);
        }
    }

    /// Counts an intact record, adds it to the current run and checks the
    /// seal's indexes against it.
    fn count(&mut self, map: &[u8], r: &RecordBody<'_>, at: RecordAt) {
        let a = &mut self.analysis;
        a.records += 1;
        a.first_seq.get_or_insert(r.seq);
        a.last_seq = Some(r.seq);
        let ts = r.timestamp_ns;
        a.min_ts = Some(a.min_ts.map_or(ts, |m| m.min(ts)));
        a.max_ts = Some(a.max_ts.map_or(ts, |m| m.max(ts)));
        self.first_ts.get_or_insert(ts);
        self.last_ts = Some(ts);
        let id = r.type_id as usize;
        if self.type_counts.len() <= id {
            self.type_counts.resize(id + 1, (0, 0));
        }
        self.type_counts[id].0 += 1;
        self.type_counts[id].1 += at.total as u64;
        if self.run.count == 0 {
            self.run.start = at.off;
            self.run.first_seq = r.seq;
        }
        self.run.count += 1;
        self.run.end = at.off + at.total as u64;
        if let Some(check) = &mut self.seal_check {
            let analysis = &self.analysis;
            check.record(map, (at.off, r.seq, ts), id, || {
                analysis.type_name(id as u32)
            });
        }
    }

    /// Types the damaged bytes met so far could have defined: one per
    /// smallest record frame.
    fn lost_type_count(&self) -> usize {
        usize::try_from(self.damaged_bytes / frame::MIN_RECORD_FRAME as u64).unwrap_or(usize::MAX)
    }

    /// Whether a record may use (or, `defines`, define) type id `id`: one
    /// the records before it defined, or could have in damaged bytes. The
    /// walk keeps tables by id, so a larger id must not size them.
    fn plausible_type(&self, id: usize, defines: bool) -> bool {
        let known = self.analysis.types.len().max(self.type_counts.len());
        id < known || id - known < self.lost_type_count() + usize::from(defines)
    }

    fn type_issue(&mut self, at: RecordAt, msg: String) {
        // The record itself is intact (after damage, its type's definition
        // may have been lost). As the first damage of the segment it starts
        // a run of its own, so that a salvage cut before it copies it.
        let first_damage = !self.analysis.has_mid_file_damage();
        self.issue(IssueKind::Type, at.off, at.total as u64, Some(at.off), msg);
        if first_damage && self.run.count > 0 && self.run.end == at.off {
            self.start_run(at.off, at.seq);
        }
    }
}

/// Where a record is: its offset, its frame's length and its sequence
/// number.
#[derive(Clone, Copy)]
struct RecordAt {
    off: u64,
    total: usize,
    seq: u64,
}
