//! Linux's file calls that std does not offer: advisory whole-file locks,
//! anonymous temporary files, opening without access-time updates,
//! preallocation and syncing a directory; and the error numbers callers
//! tell apart. No raw pointers are involved.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::{fd::AsRawFd, unix::fs::OpenOptionsExt};
use std::path::Path;

/// Takes an exclusive flock on `file` without blocking. `Ok(false)` when
/// another open file description (in this process or another) holds it. The
/// lock goes away when the last descriptor of the open file is closed, so a
/// killed writer never leaves a stale lock.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    try_flock(file, libc::LOCK_EX)
}

/// Takes the flock `op` on `file` without blocking: `Ok(false)` when
/// another open file description holds a lock in its way.
fn try_flock(file: &File, op: libc::c_int) -> io::Result<bool> {
    // SAFETY: flock takes a descriptor we own (borrowed from `file`) and flags.
    match super::os_result(unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) }) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether another open file holds an exclusive lock on `file`'s file (a
/// writer has the segment): found out by taking a shared lock without
/// waiting, and releasing it at once.
pub fn is_locked_exclusively(file: &File) -> io::Result<bool> {
    let shared = try_flock(file, libc::LOCK_SH)?;
    if shared {
        unlock(file);
    }
    Ok(!shared)
}

/// Whether a writer holds the file at `path` (`is_locked_exclusively`);
/// false when it cannot be opened or probed.
pub fn is_path_locked(path: &Path) -> bool {
    File::open(path).is_ok_and(|f| is_locked_exclusively(&f).unwrap_or(false))
}

/// Releases the lock taken by `try_lock_exclusive`.
pub fn unlock(file: &File) {
    // SAFETY: as above.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
}

/// An unnamed temporary file in `dir` that vanishes when closed (O_TMPFILE),
/// or a named one removed at once where the filesystem lacks O_TMPFILE.
pub fn anonymous_file(dir: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).mode(0o600);
    if let Ok(f) = options.clone().custom_flags(libc::O_TMPFILE).open(dir) {
        return Ok(f);
    }
    let (pid, now) = (std::process::id(), super::realtime_ns());
    let name = dir.join(format!(".binlog-spill-{pid}-{now}"));
    let f = options.create_new(true).open(&name)?;
    std::fs::remove_file(&name)?;
    Ok(f)
}

/// Opens a file to read without updating its access time (O_NOATIME), as
/// git does for its objects: reading a log then writes no inode metadata,
/// and each pread skips the atime check (a measurable part of a small pread
/// from the page cache: docs/PERFORMANCE.md). The kernel allows the flag
/// only to the file's owner (or CAP_FOWNER); anyone else gets a plain
/// read-only open.
pub fn open_read_noatime(path: &Path) -> io::Result<File> {
    match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOATIME)
        .open(path)
    {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => File::open(path),
        other => other,
    }
}

/// fsyncs a directory so that a file created in it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(test)]
    DIR_SYNCS.lock().push(dir.to_path_buf());
    File::open(dir)?.sync_all()
}

/// Every directory `sync_dir` was called on, for unit tests.
#[cfg(test)]
pub static DIR_SYNCS: parking_lot::Mutex<Vec<std::path::PathBuf>> =
    parking_lot::Mutex::new(Vec::new());

/// Reserves disk blocks for `[offset, offset + len)` without changing the
/// file's size (fallocate with FALLOC_FL_KEEP_SIZE), so readers and a scan
/// after a crash see exactly the bytes written.
pub fn preallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let (Ok(off), Ok(n)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return Err(io::ErrorKind::InvalidInput.into());
    };
    loop {
        // SAFETY: fallocate takes a descriptor we own (borrowed from `file`),
        // a mode and two integers.
        let rc = unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, off, n) };
        match super::os_result(rc) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            done => return done.map(drop),
        }
    }
}

/// Whether a failed `preallocate` says the filesystem or the file cannot
/// reserve blocks at all (fallocate's EOPNOTSUPP, ENOSYS, ENODEV for what
/// is not a regular file, ESPIPE for a pipe), rather than that this
/// reservation failed (a full disk).
pub fn preallocation_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP | libc::ENOSYS | libc::ENODEV | libc::ESPIPE)
    )
}

/// Whether `e` is ENOTDIR: the path, or a directory on its way, is a file.
pub fn is_not_a_directory(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOTDIR)
}

/// Whether `e` is EISDIR: the path names a directory, not a file.
pub fn is_a_directory(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EISDIR)
}

/// Lowers the calling thread's CPU and I/O priority to the lowest of the
/// normal classes: nice 19 (`setpriority` on a thread id acts on that
/// thread alone on Linux) and I/O class best-effort, level 7
/// (`ioprio_set` with who 0 acts on the calling thread). Not the idle
/// classes (`SCHED_IDLE`, `IOPRIO_CLASS_IDLE`): those may starve the
/// thread for as long as the machine is busy. Lowering one's own priority
/// needs no privilege; a failure (seccomp, an old kernel) is returned for
/// the caller to ignore or report.
#[cfg_attr(not(feature = "compression"), allow(dead_code))]
pub fn lower_thread_priority() -> io::Result<()> {
    const IOPRIO_WHO_PROCESS: libc::c_long = 1;
    const IOPRIO_CLASS_BE: libc::c_long = 2;
    const IOPRIO_CLASS_SHIFT: libc::c_long = 13;
    // SAFETY: gettid has no arguments and cannot fail.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
    // SAFETY: plain system calls on the calling thread, no pointers.
    super::os_result(unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, 19) })?;
    let ioprio = (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | 7;
    // SAFETY: as above.
    let rc = unsafe { libc::syscall(libc::SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, ioprio) };
    super::os_result(rc).map(drop)
}
