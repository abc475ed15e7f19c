//! The POSIX backend: macOS and FreeBSD, and Linux built with
//! the feature `posix-backend` (for `make test-posix`). Nothing Linux-only:
//! temporary files are named and removed at once (no O_TMPFILE), reads
//! update access times as the mount says (no O_NOATIME), preallocation is
//! `F_PREALLOCATE` on macOS and none elsewhere, a sync reaches the medium
//! (`F_FULLFSYNC` on macOS), the clocks are each OS's own, and change
//! notification is kqueue (`notify.rs`, `ready.rs`).

pub mod notify;
pub mod ready;

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// A temporary file in `dir` that vanishes when closed: there is no
/// O_TMPFILE, so it is named and the name removed at once.
pub fn anonymous_file(dir: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).mode(0o600);
    super::unix::named_then_removed(&mut options, dir)
}

/// Opens a file to read. There is no O_NOATIME: whether a read updates
/// the access time is the mount's choice (macOS and FreeBSD mount APFS and
/// ZFS without strict atime by default).
pub fn open_read_noatime(path: &Path) -> io::Result<File> {
    File::open(path)
}

// The clocks `monotonic_ns` and `boottime_ns` read (see `sys::clock`).
// macOS: CLOCK_UPTIME_RAW stops while asleep, CLOCK_MONOTONIC counts it.
#[cfg(target_os = "macos")]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(super) const MONOTONIC: libc::clockid_t = libc::CLOCK_UPTIME_RAW;
#[cfg(target_os = "macos")]
pub(super) const BOOT: libc::clockid_t = libc::CLOCK_MONOTONIC;
// FreeBSD: CLOCK_UPTIME and CLOCK_MONOTONIC, both from boot.
#[cfg(target_os = "freebsd")]
pub(super) const MONOTONIC: libc::clockid_t = libc::CLOCK_UPTIME;
#[cfg(target_os = "freebsd")]
pub(super) const BOOT: libc::clockid_t = libc::CLOCK_MONOTONIC;
// Elsewhere (Linux with this backend): POSIX's one monotonic clock.
#[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
pub(super) const MONOTONIC: libc::clockid_t = libc::CLOCK_MONOTONIC;
#[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
pub(super) const BOOT: libc::clockid_t = libc::CLOCK_MONOTONIC;

/// Whose page faults `getrusage` counts for `prefetch::thread_page_faults`:
/// the calling thread's (FreeBSD's RUSAGE_THREAD); macOS counts them only
/// for the whole process.
#[cfg(target_os = "macos")]
pub(super) const THREAD_USAGE: libc::c_int = libc::RUSAGE_SELF;
#[cfg(not(target_os = "macos"))]
pub(super) const THREAD_USAGE: libc::c_int = libc::RUSAGE_THREAD;

/// Syncs `file`'s data, and the metadata to read it back, to the medium.
/// On macOS fsync only hands the data to the drive, whose cache may lose
/// it at a power cut (Apple's fsync(2)): `F_FULLFSYNC` makes the drive
/// write it through; a filesystem that refuses it (ENOTSUP, EINVAL: some
/// network and FUSE ones) gets an fsync, as SQLite does. Elsewhere
/// fdatasync.
pub fn sync_data(file: &File) -> io::Result<()> {
    #[cfg(target_os = "macos")]
    {
        use std::os::fd::AsRawFd;
        let full = || {
            // SAFETY: fcntl takes a descriptor we own (borrowed from
            // `file`) and a command without argument.
            crate::sys::os_result(unsafe { libc::fcntl(file.as_raw_fd(), libc::F_FULLFSYNC) })
        };
        match retried(full) {
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTSUP | libc::EINVAL)) => {}
            done => return done.map(drop),
        }
        // SAFETY: as above.
        retried(|| crate::sys::os_result(unsafe { libc::fsync(file.as_raw_fd()) })).map(drop)
    }
    #[cfg(not(target_os = "macos"))]
    file.sync_data()
}

/// `call` again while it fails with EINTR.
#[cfg(target_os = "macos")]
fn retried(mut call: impl FnMut() -> io::Result<libc::c_int>) -> io::Result<libc::c_int> {
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            done => return done,
        }
    }
}

/// Reserves disk blocks for `[offset, offset + len)` without changing the
/// file's size, so readers and a scan after a crash see exactly the bytes
/// written. macOS: `F_PREALLOCATE` of `len` bytes past the file's blocks
/// (contiguous if it can, else any), which the writer's earlier
/// reservations reach to `offset`. Elsewhere nothing reserves blocks
/// without changing the size (posix_fallocate extends the file): an
/// `Unsupported` error, which turns preallocation off.
pub fn preallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    #[cfg(target_os = "macos")]
    {
        use std::os::fd::AsRawFd;
        let _ = offset;
        let Ok(n) = libc::off_t::try_from(len) else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        let mut store = libc::fstore_t {
            fst_flags: libc::F_ALLOCATECONTIG,
            fst_posmode: libc::F_PEOFPOSMODE,
            fst_offset: 0,
            fst_length: n,
            fst_bytesalloc: 0,
        };
        let mut reserve = |flags| {
            store.fst_flags = flags;
            // SAFETY: fcntl takes a descriptor we own (borrowed from
            // `file`) and reads and writes one fstore_t we own.
            let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_PREALLOCATE, &mut store) };
            crate::sys::os_result(rc)
        };
        retried(|| reserve(libc::F_ALLOCATECONTIG))
            .or_else(|_| retried(|| reserve(libc::F_ALLOCATEALL)))
            .map(drop)
    }
    #[cfg(not(target_os = "macos"))]
    {
        let _ = (file, offset, len);
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Whether a failed `preallocate` says the filesystem or the file cannot
/// reserve blocks at all (none here; ENOTSUP, ENOSYS, ENODEV for what is
/// not a regular file, ESPIPE for a pipe), rather than that this
/// reservation failed (a full disk).
pub fn preallocation_unsupported(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Unsupported
        || e.raw_os_error() == Some(libc::ENOTSUP)
        || matches!(
            e.raw_os_error(),
            Some(libc::EOPNOTSUPP | libc::ENOSYS | libc::ENODEV | libc::ESPIPE)
        )
}

/// Lowers the calling thread's CPU and I/O priority: on macOS to the
/// background band (`PRIO_DARWIN_THREAD`, `PRIO_DARWIN_BG`: lower CPU
/// priority and throttled I/O). FreeBSD and POSIX have no priority of one
/// thread short of an idle class that may starve it: `Unsupported`, for
/// the caller to ignore or report.
#[cfg_attr(not(feature = "compression"), allow(dead_code))]
pub fn lower_thread_priority() -> io::Result<()> {
    #[cfg(target_os = "macos")]
    {
        // SAFETY: a plain system call on the calling thread, no pointers.
        let rc = unsafe { libc::setpriority(libc::PRIO_DARWIN_THREAD, 0, libc::PRIO_DARWIN_BG) };
        crate::sys::os_result(rc).map(drop)
    }
    #[cfg(not(target_os = "macos"))]
    Err(io::ErrorKind::Unsupported.into())
}
