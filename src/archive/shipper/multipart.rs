//! A large segment's multipart upload, and the aborting at startup of the
//! ones a crash interrupted.
//!
//! Order, each step durable before the next: a HEAD finds no object at
//! the key; the upload is created (with the object's metadata); its id
//! is stored in the journal; the parts go up; the upload is completed
//! with `If-None-Match: *` (the HEAD after it decides, as for a PUT). A
//! shipper killed between the creation and the journal's store leaves an
//! upload only a listing finds; killed later, one the journal names: the
//! next startup scan aborts both before anything else is sent. Within one
//! shipper, an upload a failed pass could not abort is aborted before the
//! next is created, and one whose creation's answer was lost (its retry
//! made a second) is found by listing the key, and aborted.

use super::{Shipper, Step};
use crate::archive::journal::Journal;
use crate::archive::local::SealedSegment;
use crate::archive::metadata::ObjectMetadata;
use crate::archive::multipart::{Part, Upload};
use crate::archive::remote::Created;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;

impl Shipper {
    /// A multipart upload of the large segment `s` to `key`, part by part
    /// from its file, after a HEAD found no object there. `release` gets
    /// the journal once the upload id is stored in it (or at once if there
    /// is nothing to upload): the journal the next segment's UPLOADING is
    /// added to, so that it keeps the id. What the server then holds is
    /// verified by the caller's HEAD (pipeline.rs), whatever this returns.
    pub(super) fn put_large(
        &mut self,
        key: &str,
        s: &SealedSegment,
        meta: &ObjectMetadata,
        release: &mut dyn FnMut(&Journal),
    ) -> Result<Created> {
        if self.remote.head(key)?.is_some() {
            release(&self.journal);
            return Ok(Created::AlreadyExists);
        }
        // Invariant kept: the journal names at most one upload a file, so
        // the one a failed pass left is aborted first; a failed creation
        // may still have made one (its answer lost), which a listing finds
        // and aborts.
        if let Some(left) = self.journal.multipart.get(&s.order()) {
            self.remote.abort_multipart_if_allowed(key, left)?;
        }
        let id = (self.remote.create_multipart(key, meta))
            .inspect(|_| self.stepped(s.segment_no, Step::MultipartCreated))
            .inspect_err(|_| {
                let _ = self.abort_uploads_of(key, None);
            })?;
        // The id stored in the journal, durably, before any part is sent:
        // from then on a crash leaves an upload the next startup scan finds
        // by the journal. If it cannot be stored, the upload is aborted
        // (best effort) and the error returned.
        let stored = (self.journal.set_multipart(s.order(), &id))
            .map_err(|e| e.in_file(&self.journal_path))
            .and_then(|()| self.journal.store(&self.journal_path));
        stored.inspect_err(|_| {
            let _ = self.remote.abort_multipart(key, &id);
        })?;
        self.journal_unstored = false;
        // Only now may the next segment's UPLOADING be stored: the journal
        // it is added to holds this id.
        release(&self.journal);
        self.stepped(s.segment_no, Step::UploadIdStored);
        // Best effort, as after a failed creation: an upload it misses
        // (the listing failed) is the startup scan's to abort.
        let _ = self.abort_uploads_of(key, Some(&id));
        let sent = self
            .upload_parts(key, &id, s)
            // Create-only (`If-None-Match: *`): it never replaces an object.
            .and_then(|parts| self.remote.complete_multipart(key, &id, &parts));
        if !matches!(sent, Ok(Created::Created)) {
            // Not completed (a 412 leaves the upload open too). Best
            // effort: the journal still names it for the next start.
            let _ = self.remote.abort_multipart(key, &id);
        }
        sent
    }

    /// Aborts the multipart uploads of exactly `key` but `keep`: those a
    /// creation made whose answer was lost (its retry made another).
    fn abort_uploads_of(&self, key: &str, keep: Option<&str>) -> Result<()> {
        for u in self.remote.multipart_uploads_if_listable(key)? {
            if u.key == key && Some(u.id.as_str()) != keep {
                self.remote.abort_multipart_if_allowed(&u.key, &u.id)?;
            }
        }
        Ok(())
    }

    /// Uploads `s`'s file as the parts of upload `id` of `key`, in order;
    /// the parts, as the completion names them. Part `n` (from 1) holds
    /// the file's bytes from `(n - 1) * part_size`; an empty file is one
    /// empty part (S3 completes no upload without a part).
    fn upload_parts(&self, key: &str, id: &str, s: &SealedSegment) -> Result<Vec<Part>> {
        let mut f = File::open(&s.path).map_err(|e| Error::io(&s.path, "open", e))?;
        let mut parts: Vec<Part> = Vec::new();
        let size = self.opts.part_size;
        loop {
            let start = parts.len() as u64 * size as u64;
            let Some(bytes) = read_part(&mut f, &s.path, start, size)? else {
                break;
            };
            let number = parts.len() as u32 + 1;
            let end = start + bytes.len() as u64;
            let which = |d: &str| format!("{d} (bytes {start}..{end} of {})", s.path.display());
            let sent = self.remote.upload_part(key, id, number, bytes);
            parts.push(sent.map_err(|e| e.with_detail(which))?);
            self.stepped(s.segment_no, Step::PartSent);
        }
        if parts.is_empty() {
            parts.push(self.remote.upload_part(key, id, 1, Vec::new())?);
        }
        Ok(parts)
    }

    /// Aborts the multipart uploads a shipper of this log left unfinished
    /// (the ship lock and the claim keep other shippers away, so none is
    /// in progress): those `journal` names, then those a listing of the
    /// log's prefix finds, or, if it shows none (MinIO lists only one
    /// exact key's), of the keys of `next` (the first local segment not in
    /// the bucket: uploads go in order). Credentials that may not list or
    /// abort them, or a server without the listing (501), leave them to a
    /// bucket lifecycle rule.
    pub(super) fn abort_unfinished_uploads(
        &self,
        journal: &Journal,
        next: Option<&SealedSegment>,
    ) -> Result<()> {
        let journaled = journal.multipart.iter().filter_map(|(order, id)| {
            let e = journal.entry_of(*order)?;
            let (key, id) = (self.object_key(&e.object), id.clone());
            Some(Upload { key, id })
        });
        let prefix = self.log_prefix();
        let mut listed = self.remote.multipart_uploads_if_listable(&prefix)?;
        if let Some(s) = next.filter(|_| listed.is_empty()) {
            for compressed in [false, true] {
                let key = super::key_of(&self.remote.location().prefix, &self.log, s, compressed);
                let of_key = self.remote.multipart_uploads_if_listable(&key)?;
                listed.extend(of_key.into_iter().filter(|u| u.key == key));
            }
        }
        for u in journaled.chain(listed) {
            self.remote.abort_multipart_if_allowed(&u.key, &u.id)?;
        }
        Ok(())
    }
}

/// The next part of a multipart upload: up to `size` bytes of `f` (at
/// `offset`, which an error names), `None` at its end.
fn read_part(f: &mut File, path: &Path, offset: u64, size: usize) -> Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(size);
    f.by_ref()
        .take(size as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io_at(path, offset, "read", e))?;
    Ok((!buf.is_empty()).then_some(buf))
}
