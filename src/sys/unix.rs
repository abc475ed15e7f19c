//! The calls both backends make alike (POSIX, on Linux, macOS and
//! FreeBSD): advisory whole-file locks (flock), a named temporary file
//! removed at once, syncing a directory, waiting for a descriptor to be
//! readable (poll), and the error numbers callers tell apart.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::time::Duration;

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

/// A temporary file in `dir`, opened with `options`, under a name no
/// other has (the process id, the time and a count of the process's) and
/// removed at once: it vanishes when closed.
pub(super) fn named_then_removed(options: &mut OpenOptions, dir: &Path) -> io::Result<File> {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (pid, now) = (std::process::id(), super::realtime_ns());
    let name = dir.join(format!(".binlog-spill-{pid}-{now}-{n}"));
    let f = options.create_new(true).open(&name)?;
    std::fs::remove_file(&name)?;
    Ok(f)
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

/// Whether `e` is ENOTDIR: the path, or a directory on its way, is a file.
pub fn is_not_a_directory(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOTDIR)
}

/// Whether `e` is EISDIR: the path names a directory, not a file.
pub fn is_a_directory(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EISDIR)
}

/// Waits up to `timeout` for `fd` to be readable; true if it is (the
/// polled notifier, the POSIX backend's on Linux, has no descriptor).
#[cfg_attr(all(feature = "posix-backend", target_os = "linux"), allow(dead_code))]
pub fn readable(fd: RawFd, timeout: Duration) -> bool {
    let ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll reads and writes one pollfd we own, for a descriptor the
    // caller holds open. EINTR returns early: the caller looks again, as it
    // would.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}
