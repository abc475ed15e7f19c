//! One segment's upload: create-only PUT (or multipart), then a HEAD that
//! decides what happened, each step in the journal (see pipeline.rs for
//! when each is stored).

use super::pipeline::{journal_entry, Staged};
use super::{Shipper, Step};
use crate::archive::journal::Journal;
use crate::archive::journal::State;
use crate::archive::local::SealedSegment;
use crate::archive::metadata::ObjectMetadata;
use crate::archive::remote::Created;
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

impl Shipper {
    /// Uploads `s` (create-only) as the stager made it ready (pipeline.rs),
    /// then sets UPLOADED if the HEAD that follows, whatever the PUT
    /// answered, finds its size and hash (other bytes are a conflict, no
    /// object the PUT's error). `release` gets the journal the next
    /// segment's UPLOADING may be added to, once no store of this upload's
    /// comes before it (multipart.rs).
    pub(super) fn upload(
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
