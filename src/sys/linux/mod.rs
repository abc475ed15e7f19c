//! The Linux backend: anonymous temporary files (O_TMPFILE), opening
//! without access-time updates (O_NOATIME), preallocation (fallocate),
//! fdatasync, the clocks (CLOCK_MONOTONIC, CLOCK_BOOTTIME), thread
//! priorities (ioprio), and change notification (inotify, `notify.rs`)
//! with a descriptor to poll (epoll and timerfd, `ready.rs`). No raw
//! pointers are involved outside those two.

pub mod notify;
pub mod ready;

use std::fs::{File, OpenOptions};
use std::io;
use std::os::{fd::AsRawFd, unix::fs::OpenOptionsExt};
use std::path::Path;

/// An unnamed temporary file in `dir` that vanishes when closed (O_TMPFILE),
/// or a named one removed at once where the filesystem lacks O_TMPFILE.
pub fn anonymous_file(dir: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).mode(0o600);
    if let Ok(f) = options.clone().custom_flags(libc::O_TMPFILE).open(dir) {
        return Ok(f);
    }
    super::unix::named_then_removed(&mut options, dir)
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

/// The clock `monotonic_ns` reads: it runs at the rate NTP gives
/// CLOCK_REALTIME, without its steps, and stops in a suspend.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(super) const MONOTONIC: libc::clockid_t = libc::CLOCK_MONOTONIC;
/// The clock `boottime_ns` reads: elapsed time since boot, suspend
/// included, never stepped.
pub(super) const BOOT: libc::clockid_t = libc::CLOCK_BOOTTIME;

/// Whose page faults `getrusage` counts for
/// `prefetch::thread_page_faults`: the calling thread's.
pub(super) const THREAD_USAGE: libc::c_int = libc::RUSAGE_THREAD;

/// fdatasyncs `file`: its data and the metadata to read it back (its
/// size) are on the medium when it returns.
pub fn sync_data(file: &File) -> io::Result<()> {
    file.sync_data()
}

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
