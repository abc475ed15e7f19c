//! The few operating-system calls std does not offer: advisory whole-file
//! locks and anonymous temporary files. No raw pointers are involved.

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

/// fsyncs a directory so that a file created in it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
