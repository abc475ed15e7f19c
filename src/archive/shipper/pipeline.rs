//! The order of a pass's uploads: segment N+1 is read, hashed and its
//! UPLOADING stored durably on a worker thread while segment N goes up,
//! so that neither the hash nor the journal's fsync waits for the network
//! nor the network for them.
//!
//! What the journal on disk can say at any moment, the order each segment
//! keeps: its UPLOADING is stored before the first byte of its PUT is
//! sent, its UPLOADED only after the HEAD verified its object. Across
//! segments, N+1's UPLOADING may be stored while N is still UPLOADING (at
//! most two such lines; UPLOADING says a PUT may have reached the bucket,
//! and one that never did is found absent at startup). N+1's PUT starts
//! only after N's HEAD verified it, so the bucket holds the segments in
//! order. UPLOADED(N) is stored with the UPLOADING of N+2, or by
//! `store_journal` at the end of the pass.
//!
//! One segment's upload (`upload`): create-only PUT (or multipart), then a
//! HEAD that decides what happened, each step in the journal.

use super::{ShipReport, Shipper, Step};
use crate::archive::journal::{Entry, Journal, State};
use crate::archive::local::{self, SealedSegment};
use crate::archive::metadata::ObjectMetadata;
use crate::archive::remote::Created;
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};

/// A sealed segment made ready to go up, its UPLOADING stored: its file's
/// bytes (a segment at most `multipart_threshold` long; a larger one is
/// read part by part as it is sent), the metadata its object gets, its
/// key, and its journal line.
struct Staged {
    pub bytes: Option<Vec<u8>>,
    pub meta: ObjectMetadata,
    pub key: String,
    pub uploading: Entry,
}

/// What the worker needs to know of the shipper.
struct Stager {
    log: String,
    prefix: String,
    multipart_threshold: u64,
    journal_path: PathBuf,
}

impl Stager {
    /// Makes segment `s` durable where it is (`local::make_durable`), then
    /// reads and describes (hashes) it: what `Shipper::upload` needs
    /// before its first request. It touches neither the journal nor the
    /// bucket.
    fn prepare(&self, s: &SealedSegment) -> Result<Staged> {
        local::make_durable(s)?;
        let size = std::fs::metadata(&s.path)
            .map_err(|e| Error::io(&s.path, "stat", e))?
            .len();
        let (bytes, meta) = match size <= self.multipart_threshold {
            true => local::read_and_describe(&self.log, s, size).map(|(b, m)| (Some(b), m))?,
            false => (None, local::describe(&self.log, s)?),
        };
        let key = super::key_of(&self.prefix, &self.log, s, s.compressed);
        let uploading = journal_entry(s, State::Uploading, &key, &meta);
        Ok(Staged {
            bytes,
            meta,
            key,
            uploading,
        })
    }

    /// For each segment of `pending`, in order: prepares it, takes the
    /// journal as the shipper has it from `journals` (sent before the
    /// segment before goes up), adds its UPLOADING line, stores it
    /// durably, and hands the segment over through `staged`. Stops when
    /// the shipper stops listening.
    fn run(
        &self,
        pending: &[&SealedSegment],
        journals: Receiver<Journal>,
        staged: SyncSender<Result<Staged>>,
    ) {
        for s in pending {
            let prepared = self.prepare(s);
            let Ok(mut journal) = journals.recv() else {
                break; // the uploads stopped
            };
            let ready = prepared.and_then(|p| {
                journal.set(p.uploading.clone());
                journal.store(&self.journal_path)?;
                Ok(p)
            });
            if staged.send(ready).is_err() {
                break;
            }
        }
    }
}

/// The journal line of `s` (a segment, or a salvaged file) in `state`,
/// its object at `key`.
pub(super) fn journal_entry(
    s: &SealedSegment,
    state: State,
    key: &str,
    meta: &ObjectMetadata,
) -> Entry {
    Entry {
        segment_no: s.segment_no,
        salvaged: s.salvaged,
        state,
        object: key.rsplit('/').next().unwrap_or(key).to_string(),
        bytes: meta.bytes,
        sha256: meta.sha256.clone(),
    }
}

impl Shipper {
    /// Uploads the segments `pending`, in order, each with `upload`, the
    /// next one staged on a scoped thread meanwhile (see the module doc;
    /// at most two segments in memory). The bucket is touched by this
    /// thread only. Stops at the first error, or quietly at a segment
    /// compressed or removed since the listing (the next pass takes it).
    pub(super) fn upload_in_order(
        &mut self,
        pending: &[&SealedSegment],
        report: &mut ShipReport,
    ) -> Result<()> {
        let stager = Stager {
            log: self.log.clone(),
            prefix: self.remote.location().prefix.clone(),
            multipart_threshold: self.opts.multipart_threshold,
            journal_path: self.journal_path.clone(),
        };
        std::thread::scope(|scope| {
            let (journal_tx, journals) = channel();
            let (staged_tx, staged) = sync_channel(0);
            let stager = &stager;
            scope.spawn(move || stager.run(pending, journals, staged_tx));
            // The journal segment 0's UPLOADING is added to.
            let _ = journal_tx.send(self.journal.clone());
            for (i, s) in pending.iter().enumerate() {
                let Ok(ready) = staged.recv() else { break };
                let ready = match ready {
                    Ok(r) => r,
                    Err(e) if e.kind() == ErrorKind::NotFound && !s.path.exists() => break,
                    Err(e) => return Err(e),
                };
                // Stored by the worker, with every state set before it
                // but UPLOADED of the segment before (set since).
                self.journal.set(ready.uploading.clone());
                self.stepped(s.segment_no, Step::JournalUploading);
                // The journal the next segment's UPLOADING goes into,
                // stored while this segment goes up.
                let mut release = |j: &Journal| {
                    if i + 1 < pending.len() {
                        let _ = journal_tx.send(j.clone());
                    }
                };
                let done = self.upload(s, ready, &mut release)?;
                if s.salvaged.is_some() {
                    continue; // the report lists segments
                }
                match done {
                    Created::Created => report.uploaded.push(s.segment_no),
                    Created::AlreadyExists => report.found_uploaded.push(s.segment_no),
                }
            }
            Ok(())
        })
    }

    /// Uploads `s` (create-only) as the stager made it ready (`Stager`),
    /// then sets UPLOADED if the HEAD that follows, whatever the PUT
    /// answered, finds its size and hash (other bytes are a conflict, no
    /// object the PUT's error). `release` gets the journal the next
    /// segment's UPLOADING may be added to, once no store of this upload's
    /// comes before it (multipart.rs).
    fn upload(
        &mut self,
        s: &SealedSegment,
        ready: Staged,
        release: &mut dyn FnMut(&Journal),
    ) -> Result<Created> {
        let Staged {
            bytes, meta, key, ..
        } = ready;
        let put = match bytes {
            Some(b) => {
                release(&self.journal);
                self.remote.put_create(&key, b, &meta)
            }
            None => self.put_large(&key, s, &meta, release),
        };
        self.stepped(s.segment_no, Step::PutAnswered);
        let verified = self.check_object(&key, &meta)?;
        let created = match (put, verified) {
            (Ok(created), true) => created,
            (Err(_), true) => Created::AlreadyExists,
            (Err(e), false) => return Err(e),
            (Ok(_), false) => {
                let why = "the object the server stored is not there";
                return Err(self.remote.object_error(&key, ErrorKind::Remote, why));
            }
        };
        self.journal
            .set(journal_entry(s, State::Uploaded, &key, &meta));
        self.journal_unstored = true;
        self.stepped(s.segment_no, Step::Verified);
        Ok(created)
    }

    /// Whether the object at `key` is the upload `meta` describes: `true`
    /// if it has its size and SHA-256, `false` if there is no object, a
    /// `RemoteConflict` error if it holds other bytes.
    pub(super) fn check_object(&self, key: &str, meta: &ObjectMetadata) -> Result<bool> {
        let url = self.remote.location().url_of(key);
        match self.remote.head(key)? {
            None => Ok(false),
            Some((size, Some(m)))
                if size == meta.bytes && m.bytes == meta.bytes && m.sha256 == meta.sha256 =>
            {
                Ok(true)
            }
            Some((size, m)) => Err(conflict(&url, size, m.as_ref(), meta)),
        }
    }

    /// Stores the journal durably if a state was set since it last was.
    pub(super) fn store_journal(&mut self) -> Result<()> {
        if self.journal_unstored {
            self.journal.store(&self.journal_path)?;
            self.journal_unstored = false;
        }
        Ok(())
    }
}

/// The error for an object at `url` that is not the local segment `mine`.
pub(super) fn conflict(
    url: &str,
    size: u64,
    theirs: Option<&ObjectMetadata>,
    mine: &ObjectMetadata,
) -> Error {
    let theirs = match theirs {
        Some(m) => format!("{size} bytes, sha256 {}", m.sha256),
        None => format!("{size} bytes, without binlog metadata"),
    };
    let what = format!(
        "holds other bytes than segment {} of log {:?} ({theirs}; the local segment: {} bytes, sha256 {}): not overwritten, shipping stopped",
        mine.segment_no, mine.log, mine.bytes, mine.sha256
    );
    Error::file(ErrorKind::RemoteConflict, Path::new(url), what)
}
