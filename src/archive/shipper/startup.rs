//! The startup scan: the log's identity (taken back from the bucket if
//! lost), the journal compared with the local segments and a listing of
//! the bucket, and rebuilt from them.

use super::pipeline::{conflict, journal_entry};
use super::Shipper;
use crate::archive::digest::{Digest, Hasher};
use crate::archive::identity::{self, Identity};
use crate::archive::journal::{Entry, Journal, State};
use crate::archive::local::{self, LocalLog, SealedSegment};
use crate::archive::metadata::ObjectMetadata;
use crate::archive::object_name::{claim_key, parse_object_key};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming::ReadOrder;
use crate::log::position::Position;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

impl Shipper {
    /// The log's identity: the one kept beside its manifest, or a new one
    /// for a log never shipped. A log whose identity was lost while its
    /// prefix is claimed is taken for the claimant only if one of its
    /// local segments is in the bucket byte for byte.
    pub(super) fn identity(&mut self) -> Result<Identity> {
        let path = identity::identity_path(&self.dir, &self.log);
        if let Some(id) = identity::load(&path)? {
            return Ok(id);
        }
        let id = match identity::owner(&self.remote, &self.log)? {
            Some(owner) if self.matches_bucket()? => owner,
            Some(owner) => {
                let at = self.remote.location();
                let url = at.url_of(&claim_key(&at.prefix, &self.log));
                let me = Identity::new_random(&self.log)?;
                let here = path.display();
                let why = format!("no {here} here, and no local segment is in the bucket");
                let refused = identity::refused(&url, &owner, &me);
                return Err(refused.with_detail(|d| format!("{d} ({why})")));
            }
            None => Identity::new_random(&self.log)?,
        };
        identity::store(&path, &id)?;
        Ok(id)
    }

    /// Whether some local sealed segment has a copy in the bucket.
    fn matches_bucket(&self) -> Result<bool> {
        let remote = self.remote_segments()?;
        for s in local::scan(&self.dir, &self.log)?.sealed {
            if let Some((name, _)) = remote.get(&s.order()) {
                if self.verify_copy(&s, name)?.is_ok() {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The startup scan: the journal checked against the local segments
    /// and a listing of the bucket, and rebuilt from them where it is
    /// missing, damaged, of another destination, or wrong.
    pub(super) fn startup_scan(&mut self) -> Result<()> {
        let to = self.remote.location().to_string();
        let stored = Journal::load(&self.journal_path)?;
        let old = stored
            .clone()
            .filter(|j| j.log == self.log && j.to == to)
            .unwrap_or_else(|| Journal::new(&self.log, &to));
        let remote = self.remote_segments()?;
        let local = local::scan(&self.dir, &self.log)?;
        let next = local
            .sealed
            .iter()
            .find(|s| !remote.contains_key(&s.order()));
        self.abort_unfinished_uploads(&old, next)?;
        let mut fresh = Journal::new(&self.log, &to);
        fresh.through = old.through;
        // The first copy found bad: reported once the journal no longer
        // says it is uploaded (retention of a shipped log reads it).
        let mut bad_copy = None;
        for s in &local.sealed {
            let Some((name, size)) = remote.get(&s.order()) else {
                continue; // SEALED: not in the bucket (an UPLOADING that never arrived)
            };
            // A journal line naming the object listed, of its size, is
            // trusted (the upload was checked by a HEAD; the copy is read
            // back before the local segment goes, see removal.rs); any
            // other is checked by a HEAD and read back.
            let recorded = old
                .entry_of(s.order())
                .filter(|e| e.object == *name && e.bytes == *size && e.state == State::Uploaded);
            let entry = match recorded {
                Some(e) => Ok(e.clone()),
                None => self.verify_copy(s, name)?,
            };
            match entry {
                Ok(e) => fresh.set(e),
                Err(e) => bad_copy = bad_copy.or(Some(e)),
            }
        }
        // Segments (and salvaged files) in the bucket and no longer local.
        for (&order, (name, _)) in &remote {
            let local_now = local.all.contains(&order);
            if !local_now && fresh.through.is_none_or(|t| order.segment_no > t) {
                let known = old.entry_of(order).map(|e| (e.bytes, e.sha256.clone()));
                let (bytes, sha256) = known.unwrap_or_default();
                fresh.set(Entry {
                    segment_no: order.segment_no,
                    salvaged: order.salvaged,
                    state: State::LocalDeleted,
                    object: name.clone(),
                    bytes,
                    sha256,
                });
            }
        }
        fresh.fold();
        let found = match position_after_removed(&fresh, &local, &remote) {
            AfterRemoved::Unknown => None,
            AfterRemoved::At(p) => Some(p),
            AfterRemoved::LastRemoved(after) => self.position_after_last(&remote, after)?,
        };
        fresh.next = old.next.into_iter().chain(found).reduce(Position::max);
        // Stored unless the file says so already (or, absent, would say
        // nothing).
        let unchanged = match &stored {
            Some(j) => *j == fresh,
            None => fresh == Journal::new(&self.log, &to) && !self.journal_path.exists(),
        };
        self.journal = fresh;
        if !unchanged {
            self.journal.store(&self.journal_path)?;
        }
        bad_copy.map_or(Ok(()), Err)
    }

    /// The position past the newest removed segment, none known after it
    /// (`--keep-local 0` removed them all), `after` the segment number
    /// after it: from the last object in the bucket below `after`, its
    /// key's first sequence number plus the record count its metadata
    /// gives (the last object may be a file salvaged from the last
    /// segment: its records are numbered above the segment's). `None` if
    /// there is none, or no metadata of this log's segment (an object this
    /// shipper did not write).
    fn position_after_last(
        &self,
        remote: &BTreeMap<ReadOrder, (String, u64)>,
        after: u64,
    ) -> Result<Option<Position>> {
        // Segment `after`'s place in read order is before its salvaged files'.
        let next = ReadOrder::new(after, None);
        let Some((&at, (name, _))) = remote.range(..next).next_back() else {
            return Ok(None);
        };
        let Some(k) = parse_object_key(name) else {
            return Ok(None);
        };
        let Some((_, Some(m))) = self.remote.head(&self.object_key(name))? else {
            return Ok(None);
        };
        let ours = m.log == self.log && m.segment_no == at.segment_no && m.first_seq == k.first_seq;
        Ok(ours.then(|| Position::new(after, k.first_seq.saturating_add(m.records))))
    }

    /// The log's segment objects (and salvaged files' objects) in the
    /// bucket, in read order: their names under `<prefix>/<log>/` and
    /// sizes.
    fn remote_segments(&self) -> Result<BTreeMap<ReadOrder, (String, u64)>> {
        let prefix_len = self.log_prefix().len();
        let mut out = BTreeMap::new();
        for s in self.remote_log()?.segments()? {
            let (k, name) = (&s.key, s.object_key[prefix_len..].to_string());
            if let Some((other, _)) = out.insert(k.order(), (name, s.size)) {
                let of = match k.salvaged {
                    None => format!("segment {}", k.segment_no),
                    Some((offset, copy)) => format!(
                        "the file salvaged from segment {} at {offset} (copy {copy})",
                        k.segment_no
                    ),
                };
                let what = format!("a second object of {of} (the other: {other})");
                let conflict = ErrorKind::RemoteConflict;
                return Err(self.remote.object_error(&s.object_key, conflict, what));
            }
        }
        Ok(out)
    }

    /// Whether the object `name` of the bucket is a copy of the local
    /// segment `s` (the same plain segment, even if one of them is
    /// compressed): its journal entry if so, a `RemoteConflict` (or
    /// `NotFound`) in the inner result if not; the outer one is a failure
    /// to find out.
    fn verify_copy(&self, s: &SealedSegment, name: &str) -> Result<Result<Entry>> {
        let key = self.object_key(name);
        let url = self.remote.location().url_of(&key);
        let mine = local::describe(&self.log, s)?;
        let Some((size, theirs)) = self.remote.head(&key)? else {
            return Ok(Err(self.gone(&key)));
        };
        let same_name = parse_object_key(name)
            .is_some_and(|k| k.first_seq == s.first_seq && k.salvaged == s.salvaged);
        match theirs {
            // Our segment by its metadata: the bytes read back decide
            // (a copy truncated since its upload is damage, not another's).
            Some(m) if same_name && self.same_segment(s, &mine, &key, &m)? => {
                let e = journal_entry(s, State::Uploaded, name, &m);
                Ok(self.read_back(s, &e)?.map(|()| e))
            }
            m => Ok(Err(conflict(&url, size, m.as_ref(), &mine))),
        }
    }

    /// Whether the object at `key`, described by `theirs`, holds the same
    /// plain segment as the local `s` (described by `mine`): the same
    /// bytes, or, one of them compressed since the upload, the same
    /// decompressed bytes (the local segment decompressed, or the object
    /// read and decompressed if its metadata lacks their hash).
    fn same_segment(
        &self,
        s: &SealedSegment,
        mine: &ObjectMetadata,
        key: &str,
        theirs: &ObjectMetadata,
    ) -> Result<bool> {
        if (theirs.bytes, &theirs.sha256) == (mine.bytes, &mine.sha256) {
            return Ok(true);
        }
        let mine_plain = local::plain_sha256(s, mine)?;
        let theirs_plain = match &theirs.segment_sha256 {
            Some(h) => Some(h.clone()),
            None => self.remote_plain_digest(key)?.map(|d| d.sha256),
        };
        Ok(theirs_plain == Some(mine_plain))
    }

    /// The digest of what the compressed object at `key` decompresses
    /// to, read with ranged GETs; `None` if it is missing or does not
    /// decompress.
    fn remote_plain_digest(&self, key: &str) -> Result<Option<Digest>> {
        let url = self.remote.location().url_of(key);
        let undecodable = |e| Error::io(Path::new(&url), "decompress", e);
        // The seek table, a skippable frame, decompresses to nothing.
        let mut h = zstd::stream::write::Decoder::new(Hasher::default()).map_err(undecodable)?;
        let found = self
            .remote
            .for_each_part(key, |part| h.write_all(part).map_err(undecodable));
        match found {
            Ok(Some(_)) => Ok(h.flush().ok().map(|()| h.into_inner().finish())),
            Ok(None) => Ok(None),
            Err(e) if e.kind() == ErrorKind::Io => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The position past the segments journal `j` says were removed locally,
/// from the first segment after them, local or in the bucket: its first
/// sequence number is where they ended (or later, past a segment lost
/// before it was shipped).
fn position_after_removed(
    j: &Journal,
    local: &LocalLog,
    remote: &BTreeMap<ReadOrder, (String, u64)>,
) -> AfterRemoved {
    let deleted = j.entries.iter().filter(|e| e.state == State::LocalDeleted);
    let removed = deleted.map(|e| e.segment_no).chain(j.through).max();
    let Some(removed) = removed else {
        return AfterRemoved::Unknown;
    };
    let after = removed.saturating_add(1);
    // The first segment after them: a salvaged file starts after its
    // segment's first records, not where the segment does.
    let sealed = local.sealed.iter().filter(|s| s.salvaged.is_none());
    let blocked = local
        .blocked_by
        .iter()
        .filter(|b| b.salvaged_offset.is_none());
    let here = sealed
        .map(|s| (s.segment_no, Some(s.first_seq)))
        .chain(blocked.map(|b| (b.segment_no, b.first_seq)))
        .find(|(no, _)| *no >= after);
    // From segment `after`'s place in read order, before its salvaged files'.
    let there = remote
        .range(ReadOrder::new(after, None)..)
        .find(|(o, _)| o.salvaged.is_none())
        .map(|(o, (name, _))| (o.segment_no, parse_object_key(name).map(|k| k.first_seq)));
    let Some((_, first_seq)) = here.into_iter().chain(there).min_by_key(|(no, _)| *no) else {
        return AfterRemoved::LastRemoved(after);
    };
    first_seq.map_or(AfterRemoved::Unknown, |seq| {
        AfterRemoved::At(Position::new(after, seq))
    })
}

/// What the local segments and the bucket's listing say of the position
/// past the segments a journal says were removed locally.
enum AfterRemoved {
    /// None was removed, or the first segment after them does not say
    /// where it starts: only a journal's `next` line, or the manifest, says.
    Unknown,
    At(Position),
    /// No segment is known after them (`--keep-local 0` removed them all):
    /// the last object in the bucket says (`position_after_last`); the
    /// number is the segment number after the last removed one.
    LastRemoved(u64),
}
