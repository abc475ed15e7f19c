//! Opening a segment for writing: the file opened and locked, recovered
//! (see `recover`), records found made durable under a durable policy, and
//! the writer's threads started.

use super::flusher;
use super::recover;
use super::shared::{GroupCommit, Shared};
use super::state::{Recycled, State};
use super::Writer;
use crate::error::{Error, ErrorKind, Result};
use crate::writer::options::{Durability, Options};
use parking_lot::{Condvar, Mutex};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::Duration;

impl Writer {
    /// Opens the segment at `path` for `purpose` (`open` is for
    /// `Purpose::Append`) with the memory a closed writer left (`recycled`,
    /// by `close_recycling`: a log's roll).
    pub(crate) fn open_for(
        path: impl AsRef<Path>,
        opts: Options,
        recycled: Recycled,
        purpose: recover::Purpose,
    ) -> Result<Writer> {
        let path = path.as_ref().to_path_buf();
        opts.validate().map_err(|e| e.in_file(&path))?;
        crate::clock::prepare();
        let (file, created) = open_locked(&path)?;
        let rec = recover::prepare(&file, &path, &opts, created, purpose)?;
        let numbers_past = rec.numbers_past;
        let first_seq = rec.next_seq - rec.index.summary.record_count;
        let sync_file = file.try_clone().map_err(|e| Error::io(&path, "dup", e))?;
        // Below this number the records are durable. Records a reopen finds
        // may be only in the page cache (their writer may have died before
        // syncing them): a durable policy syncs them now, and the file's
        // name (a segment created under `None`, by an earlier writer, may
        // not have it on disk yet); under `None` they count as durable
        // after the first sync.
        let durable_next = match opts.durability {
            _ if created => rec.next_seq,
            Durability::None => rec.next_seq - rec.index.summary.record_count,
            _ => {
                crate::sys::sync_data(&sync_file).map_err(|e| Error::io(&path, "fdatasync", e))?;
                crate::sys::sync_parent(&path)?;
                rec.next_seq
            }
        };
        // The flush deadline's delay: a non-zero `flush_delay`, but not
        // under `EveryRecord`, which hands every call's records over (and
        // syncs them).
        let delay = (opts.flush_delay)
            .filter(|d| !d.is_zero() && opts.durability != Durability::EveryRecord);
        // Full buffers are written in the background (on a third
        // descriptor) unless every record is written through.
        let behind = opts.durability != Durability::EveryRecord && opts.buffer_size > 0;
        let behind = behind.then(|| sync_file.try_clone()).transpose();
        let behind = behind.map_err(|e| Error::io(&path, "dup", e))?;
        let mut state = State::new(path.clone(), file, rec, &opts, recycled, behind)?;
        state.deadline.delay = delay;
        let shared = Arc::new(Shared {
            path,
            durability: opts.durability,
            state: Mutex::new(state),
            durable: AtomicU64::new(durable_next),
            group: GroupCommit::default(),
            sync_file,
            // Reopened too: the writer that created it may have synced
            // neither (a durable policy syncs it at open).
            dir_unsynced: AtomicBool::new(opts.durability == Durability::None),
            flush_cv: Condvar::new(),
            write_through: opts.flush_delay == Some(Duration::ZERO),
            spin: opts.sync_wait_spin,
        });
        let flusher = flusher::start(&shared, delay, opts.durability)?;
        Ok(Writer {
            shared,
            flusher: Mutex::new(flusher),
            numbers_past,
            segment_no: opts.segment_no,
            first_seq,
        })
    }
}

/// Opens (or creates) the segment at `path` and takes its lock, making
/// sure the file locked is still the one `path` names (`binlog repair`
/// renames a repaired copy over a segment while holding the old file's
/// lock: a writer that locked the old file would append to a file no name
/// leads to). Returns whether the file was created.
fn open_locked(path: &Path) -> Result<(File, bool)> {
    const ATTEMPTS: u32 = 100;
    for _ in 0..ATTEMPTS {
        let (file, created) = open_file(path)?;
        let why = "another writer (in this or another process) has the segment open";
        crate::sys::lock_exclusive(&file, path, crate::sys::LOCK_PATIENCE, "lock", why)?;
        let held = file.metadata().map_err(|e| Error::io(path, "stat", e))?;
        match std::fs::metadata(path) {
            Ok(named) if named.dev() == held.dev() && named.ino() == held.ino() => {
                return Ok((file, created))
            }
            // Replaced or removed between the open and the lock.
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path, "stat", e)),
        }
    }
    let why = format!(
        "the file was replaced or removed each of {ATTEMPTS} times it was opened and locked"
    );
    Err(Error::file(ErrorKind::Locked, path, why))
}

/// Opens the segment read-write without ever truncating it; creates it if
/// missing. Returns whether it was created.
fn open_file(path: &Path) -> Result<(File, bool)> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).mode(0o644);
    match o.clone().create_new(true).open(path) {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let f = o.open(path).map_err(|e| {
                if crate::sys::is_a_directory(&e) {
                    // The kind and words a reader gets for a directory, not
                    // an I/O error: the path names the wrong kind of file.
                    Error::invalid("is a directory, not a segment").in_file(path)
                } else {
                    Error::io(path, "open", e)
                }
            })?;
            Ok((f, false))
        }
        Err(e) => Err(Error::io(path, "create", e)),
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::writer::options::{Options, MAX_SYNC_WAIT_SPIN};
    use crate::writer::test_file::{durable_opts, temp_segment};
    use crate::writer::Writer;
    use std::time::Duration;

    #[test]
    fn sync_wait_spin_is_bounded() {
        let p = temp_segment("spin-bound");
        let opts = Options {
            sync_wait_spin: MAX_SYNC_WAIT_SPIN + Duration::from_micros(1),
            ..durable_opts()
        };
        let e = Writer::open(&p, opts).err().expect("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(e.message().contains("sync_wait_spin"), "{e}");
        let opts = Options {
            sync_wait_spin: MAX_SYNC_WAIT_SPIN,
            ..durable_opts()
        };
        Writer::open(&p, opts).unwrap().close().unwrap();
    }
}
