//! Everything libbinlog asks of the operating system and the CPU beyond
//! what std offers, in one place, one system call or instruction each,
//! with the errors they return told apart; the logic that uses them stays
//! with its module. One interface, two backends:
//!
//! - `linux/` (Linux, the default there): anonymous temporary files
//!   (O_TMPFILE), reads without access-time updates (O_NOATIME),
//!   preallocation (fallocate), fdatasync, CLOCK_MONOTONIC and
//!   CLOCK_BOOTTIME, thread priorities (ioprio), inotify, and epoll with
//!   timerfd for a pollable descriptor.
//! - `posix/` (macOS and FreeBSD; on Linux with the feature
//!   `posix-backend`, so that `make test-posix` runs it here): nothing
//!   Linux-only. Temporary files are named and removed at once, reads
//!   update access times, preallocation is `F_PREALLOCATE` on macOS and
//!   none elsewhere, a sync is `F_FULLFSYNC` on macOS (fsync where the
//!   filesystem refuses it), the clocks are each OS's own, and followers
//!   are woken by kqueue's `EVFILT_VNODE`, with an `EVFILT_TIMER` for the
//!   pollable descriptor. Where kqueue is absent (Linux) a follower's
//!   notifier polls the watched path's metadata every millisecond, and a
//!   thread makes a pipe readable for the pollable descriptor.
//!
//! Shared by both: advisory whole-file locks (flock), syncing a
//! directory, poll (`unix.rs`), CLOCK_REALTIME (`clock.rs`), the
//! time-stamp counter and cache-line hints (`cpu.rs`, x86_64).
//!
//! What only macOS or FreeBSD runs (type-checked here with `cargo check
//! --target aarch64-apple-darwin`, `x86_64-apple-darwin` and
//! `x86_64-unknown-freebsd`, `make check-platforms`): in `posix/mod.rs`
//! the `F_PREALLOCATE`, `F_FULLFSYNC` and `PRIO_DARWIN_BG` calls and the
//! macOS and FreeBSD choices of clocks and of `RUSAGE_SELF`; in
//! `posix/notify.rs` the `kq` module (the kqueue notifier) and the
//! `f_fstypename` of `on_network_filesystem`; in `posix/ready.rs` the `kq`
//! module (the kqueue pollable descriptor). Every other line of `posix/`
//! runs on Linux under `make test-posix`, where the `polled` notifier and
//! the `threaded` pollable stand in for kqueue.

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
compile_error!(
    "libbinlog builds for Linux, macOS and FreeBSD only: other systems have no backend in src/sys"
);

#[cfg(all(target_os = "linux", not(feature = "posix-backend")))]
#[path = "linux/mod.rs"]
mod backend;
#[cfg(any(feature = "posix-backend", not(target_os = "linux")))]
#[path = "posix/mod.rs"]
mod backend;
mod clock;
mod cpu;
// For the tests of the TSC clock and of compressed/decode_ahead.rs.
#[cfg(test)]
mod fork;
#[cfg(all(test, target_arch = "x86_64"))]
pub mod guarded_page;
pub mod prefetch;
#[cfg(test)]
pub mod scratch;
mod unix;

pub use backend::*;
pub use clock::*;
pub use cpu::*;
#[cfg(test)]
pub use fork::ForkedChild;
pub use unix::*;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Takes the exclusive flock of `file` (at `path`), held until it is
/// closed, waiting up to `patience` (`LOCK_PATIENCE`; `Duration::ZERO`:
/// one try) for a lock held for a moment, trying again every 2 ms. A
/// child process between fork and exec holds a copy of every descriptor
/// of its parent (close-on-exec ones too, until its exec closes them), and
/// with it the parent's flocks. A writer that is closed unlocks (which
/// releases the lock for every copy), but one whose process was killed, or
/// dropped without a close finishing, leaves the lock to such a child for
/// that moment. A lock held longer is a `Locked` error saying that
/// `holders` hold it; a failed flock, the error of `doing` on `path`.
pub fn lock_exclusive(
    file: &File,
    path: &Path,
    patience: Duration,
    doing: &str,
    holders: impl std::fmt::Display,
) -> crate::Result<()> {
    let start = std::time::Instant::now();
    while !try_lock_exclusive(file).map_err(|e| crate::Error::io(path, doing, e))? {
        if start.elapsed() >= patience {
            return Err(crate::Error::file(crate::ErrorKind::Locked, path, holders));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// How long `lock_exclusive` waits for a lock held elsewhere where a
/// child process may hold it for a moment.
pub const LOCK_PATIENCE: Duration = Duration::from_millis(100);

/// Reads with `read_at` (a pread: bytes at an offset, how many) into
/// `into` from `offset` until it is full or the source ends; returns how
/// many bytes it read.
pub fn read_upto(
    read_at: impl Fn(&mut [u8], u64) -> io::Result<usize>,
    into: &mut [u8],
    offset: u64,
) -> io::Result<usize> {
    let mut n = 0;
    while n < into.len() {
        match read_at(&mut into[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Syncs the directory holding `path`: the file's name is durable.
pub fn sync_parent(path: &Path) -> crate::Result<()> {
    let dir = parent_dir(path);
    sync_dir(dir).map_err(|e| crate::Error::io(dir, "fsync directory", e))
}

/// Removes the file at `path`: whether it was there (a file already gone
/// is no error); any other failure is the error of `doing` on `path`.
pub fn remove_if_there(path: &Path, doing: &str) -> crate::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(crate::Error::io(path, doing, e)),
    }
}

/// `path` with `suffix` appended to its file name.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The error number of a write into a full filesystem (ENOSPC).
#[cfg(test)]
pub const NO_SPACE: i32 = libc::ENOSPC;

/// Whether the OS error `code` says the disk (or the user's quota) is full.
pub fn is_disk_full(code: i32) -> bool {
    code == libc::ENOSPC || code == libc::EDQUOT
}

/// Limits this process's address space to `bytes` (RLIMIT_AS): an
/// allocation beyond it fails.
#[cfg(test)]
pub fn limit_address_space(bytes: u64) -> io::Result<()> {
    let rl = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit reads the struct it is given.
    os_result(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) }).map(drop)
}

/// A system call's return value, or the error `errno` names where it
/// returned a negative number (its -1).
pub fn os_result<T: Default + PartialOrd>(rc: T) -> io::Result<T> {
    if rc < T::default() {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}
