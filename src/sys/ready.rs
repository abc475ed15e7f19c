//! epoll and timerfd: one descriptor that is readable when any of several
//! others is, and a descriptor that becomes readable when a one-shot timer
//! expires (for `crate::reader::change_fd`).

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// An epoll instance: readable (to poll, select or another epoll) while a
/// descriptor added to it is readable.
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes flags and returns a new descriptor,
        // which we then own.
        let raw = super::os_result(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `raw` is a descriptor just made and owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(Epoll { fd })
    }

    /// Adds `fd` (level-triggered, for reading). `fd` must stay open while
    /// it is in the set.
    pub fn add(&self, fd: RawFd) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: fd as u64,
        };
        // SAFETY: both descriptors are open; epoll_ctl reads one event we
        // own.
        let rc = unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
        super::os_result(rc).map(drop)
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// A one-shot timer on CLOCK_MONOTONIC, readable once it expired until
/// `clear` (or the next `arm`).
pub struct Timer {
    fd: File,
}

impl Timer {
    pub fn new() -> io::Result<Timer> {
        // SAFETY: timerfd_create takes a clock id and flags and returns a
        // new descriptor, which we then own.
        let flags = libc::TFD_NONBLOCK | libc::TFD_CLOEXEC;
        let raw = super::os_result(unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, flags) })?;
        // SAFETY: `raw` is a descriptor just made and owned by no one else.
        let fd = unsafe { File::from_raw_fd(raw) };
        Ok(Timer { fd })
    }

    /// Expires once, `after` from now (at least 1 ns: a zero would disarm
    /// it). Replaces any earlier setting, and clears an expiry not read.
    pub fn arm(&self, after: Duration) -> io::Result<()> {
        self.clear();
        let after = after.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: super::clock::timespec(Duration::ZERO),
            it_value: super::clock::timespec(after),
        };
        // SAFETY: the descriptor is ours; timerfd_settime reads one
        // itimerspec we own and writes no old value (NULL).
        let rc =
            unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        super::os_result(rc).map(drop)
    }

    /// Reads an expiry, if there is one (non-blocking): not readable after.
    pub fn clear(&self) {
        let mut count = [0u8; 8];
        let _ = (&self.fd).read(&mut count);
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
