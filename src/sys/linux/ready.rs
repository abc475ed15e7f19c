//! A descriptor a caller can hand to poll, select or epoll (Linux: an epoll
//! set of a change notifier and a timerfd): readable once the watched path
//! changed or a one-shot timer expired (for `crate::reader::change_fd`).

use super::notify::Notifier;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Readable while its notifier reports a change or its timer expired.
pub struct Pollable {
    epoll: OwnedFd,
    /// A one-shot timer on CLOCK_MONOTONIC, readable once it expired until
    /// read (or armed again).
    timer: File,
    watch: Option<Notifier>,
}

impl Pollable {
    /// A descriptor readable on `watch`'s changes (if any) and the timer's
    /// expiry; the timer is not armed.
    pub fn new(watch: Option<Notifier>) -> io::Result<Pollable> {
        // SAFETY: epoll_create1 and timerfd_create take flags (and a clock
        // id) and return a new descriptor, which we then own.
        let raw = crate::sys::os_result(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `raw` is a descriptor just made and owned by no one else.
        let epoll = unsafe { OwnedFd::from_raw_fd(raw) };
        let flags = libc::TFD_NONBLOCK | libc::TFD_CLOEXEC;
        // SAFETY: as above.
        let raw =
            crate::sys::os_result(unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, flags) })?;
        // SAFETY: as above.
        let timer = unsafe { File::from_raw_fd(raw) };
        let p = Pollable {
            epoll,
            timer,
            watch,
        };
        p.add(p.timer.as_raw_fd())?;
        if let Some(w) = &p.watch {
            p.add(w.raw_fd())?;
        }
        Ok(p)
    }

    /// Adds `fd` (level-triggered, for reading); it stays open while `self`
    /// lives (it is one of its fields).
    fn add(&self, fd: RawFd) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: fd as u64,
        };
        // SAFETY: both descriptors are open; epoll_ctl reads one event we
        // own.
        let rc =
            unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
        crate::sys::os_result(rc).map(drop)
    }

    /// Whether changes are watched (else only the timer makes it readable).
    pub fn watches(&self) -> bool {
        self.watch.is_some()
    }

    /// Discards the changes reported so far; true if there were any.
    pub fn take_changes(&self) -> bool {
        self.watch.as_ref().is_some_and(Notifier::drain)
    }

    /// Arms the timer to expire once, `after` from now (at least 1 ns: a
    /// zero would disarm it). Replaces any earlier setting, and clears an
    /// expiry not read.
    pub fn arm(&self, after: Duration) -> io::Result<()> {
        let _ = (&self.timer).read(&mut [0u8; 8]);
        let after = after.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: crate::sys::clock::timespec(Duration::ZERO),
            it_value: crate::sys::clock::timespec(after),
        };
        // SAFETY: the descriptor is ours; timerfd_settime reads one
        // itimerspec we own and writes no old value (NULL).
        let rc = unsafe {
            libc::timerfd_settime(self.timer.as_raw_fd(), 0, &spec, std::ptr::null_mut())
        };
        crate::sys::os_result(rc).map(drop)
    }

    /// The descriptor to poll for reading; valid while this lives.
    pub fn raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}
