//! What `binlog write` created, so that bad input before any record leaves
//! nothing behind: no empty segment, no new log, no new directory. Only
//! files this run created are removed (those that did not exist when it
//! started), and only when no record was written: a segment only if it
//! holds no record and no writer holds it, a lock file only if no writer
//! holds it. Only the paths the write may create are looked at, not the
//! directory's other entries (a log's older segments).

use crate::paths;
use binlog::naming::{self, is_path_locked};
use binlog::{Reader, SegmentEvent, SharedCallback};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The files a write may create, and whether each existed before it
/// started.
pub(super) struct Created {
    /// The directory written into (a log's, or a segment's parent).
    dir: PathBuf,
    dir_existed: bool,
    /// The segment file, or a log's lock and manifest, each with whether
    /// it existed.
    files: Vec<(PathBuf, bool)>,
    /// The segments a log writer created (its Opened events: a segment it
    /// resumes existed before and opens none).
    opened: Arc<Mutex<Vec<PathBuf>>>,
}

impl Created {
    /// Notes what exists before log `log` is opened in `dir`; its segments
    /// are noted as the writer creates them (see `segment_callback`).
    pub(super) fn log(dir: &Path, log: &str) -> Created {
        let files = [naming::lock_path(dir, log), naming::manifest_path(dir, log)];
        Created::noting(dir.to_path_buf(), files.into())
    }

    /// Notes what exists before the segment file `path` is opened.
    pub(super) fn segment(path: &Path) -> Created {
        Created::noting(paths::dir_of(path), vec![path.to_path_buf()])
    }

    fn noting(dir: PathBuf, files: Vec<PathBuf>) -> Created {
        let files = files.iter().map(|f| (f.clone(), exists(f))).collect();
        Created {
            dir_existed: dir.is_dir(),
            dir,
            files,
            opened: Arc::default(),
        }
    }

    /// The callback a log writer is opened with, so that the segments it
    /// creates are known.
    pub(super) fn segment_callback(&self) -> SharedCallback {
        let opened = Arc::clone(&self.opened);
        Arc::new(move |event| {
            if let SegmentEvent::Opened(s) = event {
                lock_vec(&opened).push(s.path.clone());
            }
            Ok(())
        })
    }

    /// Removes what the write created (it wrote no record): the files that
    /// are new, then the directory if the write made it and it is left
    /// empty.
    pub(super) fn remove(&self) {
        let opened = lock_vec(&self.opened).clone();
        let new_files = self.files.iter().filter(|(_, existed)| !existed);
        for path in new_files.map(|(p, _)| p).chain(&opened) {
            if exists(path) && unused(path) {
                let _ = std::fs::remove_file(path);
            }
        }
        if !self.dir_existed {
            // Fails, as it should, unless the directory is empty.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

fn lock_vec(v: &Mutex<Vec<PathBuf>>) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
    v.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether there is a directory entry at `path` (a dangling link too).
fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// True for a file no writer holds that has no record in it: another
/// writer that opened the log in the moment since this one closed it
/// keeps its files.
fn unused(path: &Path) -> bool {
    if is_path_locked(path) {
        return false;
    }
    if path.extension().is_none_or(|e| e != "binlog") {
        return true;
    }
    match Reader::open(path) {
        Ok(r) => r.seal().is_some_and(|d| d.record_count == 0),
        Err(_) => paths::is_empty(path),
    }
}
