//! Removing local copies of shipped segments: only past the newest
//! `keep_local` sealed ones, and only after a HEAD shows the verified copy
//! still in the bucket.

use super::Shipper;
use crate::archive::journal::{Entry, State};
use crate::archive::local::{self, LocalLog};
use crate::archive::metadata::ObjectMetadata;
use crate::archive::object_name::log_prefix;
use crate::compressed::durable::{lock_for_conversion, remove_durably};
use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::path::Path;

impl Shipper {
    /// Removes the local copies of uploaded segments older than the newest
    /// `keep_local` sealed ones, each after a HEAD shows its copy still in
    /// the bucket as uploaded; a segment a conversion or writer holds is
    /// left for the next pass.
    pub(super) fn remove_shipped(&mut self, local: &LocalLog) -> Result<Vec<u64>> {
        let Some(keep) = self.opts.keep_local else {
            return Ok(Vec::new());
        };
        let removable = local.sealed.len().saturating_sub(keep);
        let mut removed = Vec::new();
        for s in &local.sealed[..removable] {
            let Some(e) = self.journal.entry(s.segment_no).cloned() else {
                break; // not uploaded: nothing after it is removed either
            };
            if e.state != State::Uploaded {
                break;
            }
            let prefix = log_prefix(&self.remote.location().prefix, &self.log);
            let meta = ObjectMetadata {
                bytes: e.bytes,
                sha256: e.sha256.clone(),
                ..local::without_digest(&self.log, s)
            };
            if !self.check_object(&format!("{prefix}{}", e.object), &meta)? {
                let url = self
                    .remote
                    .location()
                    .url_of(&format!("{prefix}{}", e.object));
                return Err(Error::file(
                    ErrorKind::NotFound,
                    Path::new(&url),
                    format!("uploaded, now missing: {} is kept", s.path.display()),
                ));
            }
            let file = match File::open(&s.path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&s.path, "open", e)),
            };
            match lock_for_conversion(&file, &s.path) {
                Err(e) if e.kind() == ErrorKind::Locked => break,
                r => r?,
            }
            remove_durably(&s.path)?;
            self.journal.set(Entry {
                state: State::LocalDeleted,
                ..e
            });
            self.journal.fold();
            self.journal.store(&self.journal_path)?;
            removed.push(s.segment_no);
        }
        Ok(removed)
    }
}
