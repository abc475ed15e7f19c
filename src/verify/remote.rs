//! A log's segments in a bucket verified (feature `s3`): each object
//! opened as a log reader skipping damage opens it (`RemoteLog::
//! open_reader`), read with ranged GETs, and reported as a local file is.

use super::segment::{segment_of_reader, unopened};
use super::SegmentReport;
use crate::archive::RemoteLog;
use crate::error::Result;
use std::path::{Path, PathBuf};

/// A listed log in a bucket: its object keys by position.
pub(super) struct RemoteSource {
    log: RemoteLog,
    keys: Vec<String>,
}

impl RemoteSource {
    /// Lists `log`'s segment objects in order: the source and the objects'
    /// URLs.
    pub(super) fn list(log: RemoteLog) -> Result<(RemoteSource, Vec<PathBuf>)> {
        let segments = log.segments()?;
        let urls = segments.iter().map(|s| log.url_of(&s.object_key)).collect();
        let keys = segments.into_iter().map(|s| s.object_key).collect();
        Ok((RemoteSource { log, keys }, urls))
    }

    pub(super) fn log_name(&self) -> &str {
        self.log.log()
    }

    /// Verifies the `i`th object, at `url`.
    pub(super) fn verify(&self, i: usize, url: &Path) -> SegmentReport {
        match self.log.open_reader(&self.keys[i], true) {
            Ok(r) => segment_of_reader(r),
            Err(e) => unopened(url, &e),
        }
    }
}
