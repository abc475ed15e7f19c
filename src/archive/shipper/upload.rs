//! One segment's upload: create-only PUT (or multipart), then a HEAD that
//! decides what happened, each step in the journal.

use super::{ShipReport, Shipper, Step};
use crate::archive::journal::{Entry, State};
use crate::archive::local::{self, SealedSegment};
use crate::archive::metadata::ObjectMetadata;
use crate::archive::object_name::segment_key;
use crate::archive::remote::Created;
use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// A sealed segment made ready to go up: its file's bytes (a segment at
/// most `multipart_threshold` long; a larger one is read part by part as
/// it is sent) and the metadata its object gets.
struct Prepared {
    bytes: Option<Vec<u8>>,
    meta: ObjectMetadata,
}

/// Reads and describes (hashes) segment `s` of log `log`: what
/// `Shipper::upload` needs before its first request. It touches neither
/// the journal nor the bucket, so that it can run ahead of the upload of
/// the segment before (mod.rs).
fn prepare(log: &str, s: &SealedSegment, multipart_threshold: u64) -> Result<Prepared> {
    let size = std::fs::metadata(&s.path)
        .map_err(|e| Error::io(&s.path, "stat", e))?
        .len();
    let bytes = match size <= multipart_threshold {
        true => Some(std::fs::read(&s.path).map_err(|e| Error::io(&s.path, "read", e))?),
        false => None,
    };
    let meta = local::describe(log, s, bytes.as_deref())?;
    Ok(Prepared { bytes, meta })
}

impl Shipper {
    /// Uploads the segments `pending`, in order, each with `upload`;
    /// segment N+1 is read and hashed (`prepare`) on a scoped thread
    /// while segment N goes up, through a rendezvous channel (at most two
    /// segments in memory). The journal and the bucket are touched by this
    /// thread only, in order. Stops at the first error, or quietly at a
    /// segment compressed or removed since the listing (the next pass
    /// takes it).
    pub(super) fn upload_in_order(
        &mut self,
        pending: &[&SealedSegment],
        report: &mut ShipReport,
    ) -> Result<()> {
        let (log, threshold) = (self.log.clone(), self.opts.multipart_threshold);
        std::thread::scope(|scope| {
            let (ready_tx, ready) = std::sync::mpsc::sync_channel(0);
            scope.spawn(move || {
                for s in pending {
                    if ready_tx.send(prepare(&log, s, threshold)).is_err() {
                        break; // the uploads stopped
                    }
                }
            });
            for (s, prepared) in pending.iter().zip(ready) {
                match prepared.and_then(|p| self.upload(s, p)) {
                    Ok(Created::Created) => report.uploaded.push(s.segment_no),
                    Ok(Created::AlreadyExists) => report.found_uploaded.push(s.segment_no),
                    Err(e) if e.kind() == ErrorKind::NotFound && !s.path.exists() => break,
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    }

    /// Uploads `s` (create-only) as `prepare` made it ready, then HEADs
    /// it: the journal says UPLOADING before the first byte is sent and
    /// UPLOADED once the object in the bucket is verified to be `s`.
    /// Whatever the PUT answered (stored, 412, a timeout, a reset
    /// connection), the HEAD decides: the same size and hash is uploaded,
    /// other bytes are a conflict (never overwritten), no object is the
    /// PUT's error.
    fn upload(&mut self, s: &SealedSegment, ready: Prepared) -> Result<Created> {
        let prefix = &self.remote.location().prefix;
        let key = segment_key(prefix, &self.log, s.segment_no, s.first_seq, s.compressed);
        let name = key.rsplit('/').next().unwrap_or(&key).to_string();
        let Prepared { bytes, meta } = ready;
        self.record(s.segment_no, State::Uploading, &name, &meta)?;
        self.stepped(s.segment_no, Step::JournalUploading);
        let put = match bytes {
            Some(b) => self.remote.put_create(&key, b.into(), &meta),
            None => self.put_large(&key, s, &meta),
        };
        self.stepped(s.segment_no, Step::PutAnswered);
        // The HEAD decides, whatever the PUT answered.
        let verified = self.check_object(&key, &meta)?;
        let created = match (put, verified) {
            (Ok(created), true) => created,
            (Err(_), true) => Created::AlreadyExists,
            (Err(e), false) => return Err(e),
            (Ok(_), false) => {
                return Err(Error::file(
                    ErrorKind::Remote,
                    Path::new(&self.remote.location().url_of(&key)),
                    "the object the server stored is not there",
                ))
            }
        };
        self.record(s.segment_no, State::Uploaded, &name, &meta)?;
        self.stepped(s.segment_no, Step::Verified);
        Ok(created)
    }

    /// A multipart upload of the large segment `s`, part by part from its
    /// file, after a HEAD found no object at `key` (a completed multipart
    /// upload is not create-only: see the module doc).
    fn put_large(&self, key: &str, s: &SealedSegment, meta: &ObjectMetadata) -> Result<Created> {
        if self.remote.head(key)?.is_some() {
            return Ok(Created::AlreadyExists);
        }
        let mut f = File::open(&s.path).map_err(|e| Error::io(&s.path, "open", e))?;
        let part = self.opts.part_size;
        self.remote
            .put_multipart(key, meta, || read_part(&mut f, &s.path, part))?;
        Ok(Created::Created)
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

    /// Sets segment `segment_no`'s new state in the journal. UPLOADING is
    /// stored durably at once (with any state set before it); UPLOADED is
    /// stored with the next segment's UPLOADING, or by `store_journal` at
    /// the end of the pass: one fsynced replacement per segment, the
    /// states still stored in the order they happened.
    fn record(
        &mut self,
        segment_no: u64,
        state: State,
        name: &str,
        meta: &ObjectMetadata,
    ) -> Result<()> {
        self.journal.set(Entry {
            segment_no,
            state,
            object: name.to_string(),
            bytes: meta.bytes,
            sha256: meta.sha256.clone(),
        });
        self.journal.fold();
        self.journal_unstored = true;
        match state {
            State::Uploading => self.store_journal(),
            _ => Ok(()),
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
    Error::file(
        ErrorKind::RemoteConflict,
        Path::new(url),
        format!(
            "holds other bytes than segment {} of log {:?} ({theirs}; the local segment: {} bytes, sha256 {}): not overwritten, shipping stopped",
            mine.segment_no, mine.log, mine.bytes, mine.sha256
        ),
    )
}

/// The next part of a multipart upload: up to `size` bytes of `f`, `None`
/// at its end.
fn read_part(f: &mut File, path: &Path, size: usize) -> Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(size);
    f.by_ref()
        .take(size as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, "read", e))?;
    Ok((!buf.is_empty()).then_some(buf))
}
