//! Whether a writer holds a segment: writers take an exclusive flock on it
//! (src/sys/linux.rs), so a non-blocking shared lock attempt tells, without
//! changing the file. The probe's lock is released at once.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// True when another open file description holds an exclusive lock.
pub fn is_locked(path: &Path) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    // SAFETY: flock on a descriptor we own, with constant flags.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
    if rc == 0 {
        // SAFETY: as above.
        unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
        return false;
    }
    std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK)
}
