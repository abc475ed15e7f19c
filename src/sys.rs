//! The few operating-system calls std does not offer: advisory whole-file
//! locks, anonymous temporary files, opening without access-time updates
//! and preallocation. No raw pointers are involved.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Takes an exclusive flock on `file` without blocking. `Ok(false)` when
/// another open file description (in this process or another) holds it. The
/// lock goes away when the last descriptor of the open file is closed, so a
/// killed writer never leaves a stale lock.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    // SAFETY: flock takes a descriptor we own (borrowed from `file`) and flags.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

/// `try_lock_exclusive`, waiting out a lock held for a moment: up to
/// `LOCK_PATIENCE`, trying again every 2 ms. A child process between fork
/// and exec holds a copy of every descriptor of its parent (close-on-exec
/// ones too, until its exec closes them), and with it the parent's flocks.
/// A writer that is closed unlocks (which releases the lock for every
/// copy), but one whose process was killed, or dropped without a close
/// finishing, leaves the lock to such a child for that moment. A lock held
/// longer (another writer) is still `Ok(false)`, after the wait.
pub fn lock_exclusive_patiently(file: &File) -> io::Result<bool> {
    let start = std::time::Instant::now();
    loop {
        if try_lock_exclusive(file)? {
            return Ok(true);
        }
        if start.elapsed() >= LOCK_PATIENCE {
            return Ok(false);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// How long `lock_exclusive_patiently` waits for a lock held elsewhere.
pub const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(100);

/// Whether another open file holds an exclusive lock on `file`'s file (a
/// writer has the segment): found out by taking a shared lock without
/// waiting, and releasing it at once.
pub fn is_locked_exclusively(file: &File) -> io::Result<bool> {
    // SAFETY: as above.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
    if rc == 0 {
        unlock(file);
        return Ok(false);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(true)
    } else {
        Err(err)
    }
}

/// Releases the lock taken by `try_lock_exclusive`.
pub fn unlock(file: &File) {
    // SAFETY: as above.
    unsafe {
        libc::flock(file.as_raw_fd(), libc::LOCK_UN);
    }
}

/// An unnamed temporary file in `dir` that vanishes when closed (O_TMPFILE),
/// or a named one removed at once where the filesystem lacks O_TMPFILE.
pub fn anonymous_file(dir: &Path) -> io::Result<File> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o600)
        .open(dir)
    {
        Ok(f) => Ok(f),
        Err(_) => {
            let name = dir.join(format!(
                ".binlog-spill-{}-{}",
                std::process::id(),
                crate::clock::now_ns()
            ));
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&name)?;
            std::fs::remove_file(&name)?;
            Ok(f)
        }
    }
}

/// Opens a file to read without updating its access time (O_NOATIME), as
/// git does for its objects: reading a log then writes no inode metadata,
/// and each pread skips the atime check (about 5% of a 600-byte pread from
/// the page cache). The kernel allows the flag only to the file's owner (or
/// CAP_FOWNER); anyone else gets a plain read-only open.
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

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
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
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// CLOCK_REALTIME in nanoseconds since the Unix epoch.
#[inline]
pub fn realtime_ns() -> i64 {
    clock_ns(libc::CLOCK_REALTIME)
}

/// CLOCK_MONOTONIC in nanoseconds (it runs at the rate NTP gives
/// CLOCK_REALTIME, without its steps).
#[inline]
pub fn monotonic_ns() -> i64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// CLOCK_BOOTTIME in nanoseconds: elapsed time since boot, suspend
/// included, never stepped.
pub fn boottime_ns() -> i64 {
    clock_ns(libc::CLOCK_BOOTTIME)
}

#[inline]
#[allow(clippy::useless_conversion)]
fn clock_ns(clock: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which we own; it cannot
    // fail for these clocks with a valid address.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    // time_t and c_long are i64 on the 64-bit Linux targets we build for.
    i64::from(ts.tv_sec)
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(ts.tv_nsec))
}

/// The CPU's time-stamp counter (one `rdtsc`, not serializing).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn tsc() -> u64 {
    // SAFETY: rdtsc reads a register; every x86_64 CPU has it.
    unsafe { core::arch::x86_64::_rdtsc() }
}
