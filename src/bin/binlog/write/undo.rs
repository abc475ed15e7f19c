//! What `binlog write` created, so that bad input before any record leaves
//! nothing behind: no empty segment, no new log, no new directory. Only
//! files this run created are removed (those that did not exist when it
//! started), and only when no record was written: a segment only if it
//! holds no record and no writer holds it, a lock file only if no writer
//! holds it.

use crate::file_kind;
use crate::lock;
use binlog::Reader;
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The files a write may create, as they were before it started.
pub(super) struct Created {
    /// The directory written into (a log's, or a segment's parent).
    dir: PathBuf,
    dir_existed: bool,
    /// The directory's entries before the write.
    before: HashSet<OsString>,
    /// Whether a new entry of the directory is one the write makes.
    ours: Box<dyn Fn(&str) -> bool>,
}

impl Created {
    /// Notes what exists before log `log` is opened in `dir`.
    pub(super) fn log(dir: &Path, log: &str) -> Created {
        let log = log.to_string();
        Created::in_dir(
            dir.to_path_buf(),
            Box::new(move |n| is_file_of_log(n, &log)),
        )
    }

    /// Notes what exists before the segment file `path` is opened.
    pub(super) fn segment(path: &Path) -> Created {
        let own = path.file_name().map(|n| n.to_os_string());
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Created::in_dir(
            parent,
            Box::new(move |n| own.as_deref() == Some(n.as_ref())),
        )
    }

    fn in_dir(dir: PathBuf, ours: Box<dyn Fn(&str) -> bool>) -> Created {
        Created {
            dir_existed: dir.is_dir(),
            before: entries(&dir),
            dir,
            ours,
        }
    }

    /// Removes what the write created (it wrote no record): the files of
    /// ours that are new, then the directory if the write made it and it
    /// is left empty.
    pub(super) fn remove(&self) {
        for name in entries(&self.dir).difference(&self.before) {
            let path = self.dir.join(name);
            if name.to_str().is_some_and(|n| (self.ours)(n)) && unused(&path) {
                let _ = std::fs::remove_file(path);
            }
        }
        if !self.dir_existed {
            // Fails, as it should, unless the directory is empty.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// A segment, the lock or the manifest of log `log`.
fn is_file_of_log(file_name: &str, log: &str) -> bool {
    let Some(rest) = file_name.strip_prefix(log) else {
        return false;
    };
    (rest.starts_with('-') && rest.ends_with(".binlog")) || rest == ".lock" || rest == ".manifest"
}

/// True for a file no writer holds that has no record in it: another
/// writer that opened the log in the moment since this one closed it
/// keeps its files.
fn unused(path: &Path) -> bool {
    if lock::is_locked(path) {
        return false;
    }
    if path.extension().is_none_or(|e| e != "binlog") {
        return true;
    }
    match Reader::open(path) {
        Ok(r) => r.seal().is_some_and(|d| d.record_count == 0),
        Err(_) => file_kind::is_empty(path),
    }
}

fn entries(dir: &Path) -> HashSet<OsString> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default()
}
