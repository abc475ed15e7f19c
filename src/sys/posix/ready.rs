//! A descriptor a caller can hand to poll, select or kqueue, readable once
//! the watched path changed or a one-shot timer expired (for
//! `crate::reader::change_fd`). On macOS and FreeBSD a kqueue holding the
//! notifier's kqueue and an `EVFILT_TIMER`; where kqueue is absent (Linux
//! with this backend) a pipe that a thread makes readable.

use super::notify::Notifier;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

#[cfg(any(target_os = "macos", target_os = "freebsd"))]
pub use kq::Pollable;
#[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
pub use threaded::Pollable;

#[cfg(any(target_os = "macos", target_os = "freebsd"))]
mod kq {
    use super::super::notify::kq::{event, kevent, kqueue};
    use super::*;
    use std::os::fd::{AsRawFd, OwnedFd};

    /// The timer's ident in the kqueue.
    const TIMER: usize = 1;

    /// Readable while its notifier reports a change or its timer expired.
    pub struct Pollable {
        kq: OwnedFd,
        watch: Option<Notifier>,
    }

    impl Pollable {
        /// A descriptor readable on `watch`'s changes (if any) and the
        /// timer's expiry; the timer is not armed.
        pub fn new(watch: Option<Notifier>) -> io::Result<Pollable> {
            let kq = kqueue()?;
            if let Some(w) = &watch {
                let ev = event(w.raw_fd() as usize, libc::EVFILT_READ, libc::EV_ADD, 0);
                kevent(kq.as_raw_fd(), &[ev], &mut [])?;
            }
            Ok(Pollable { kq, watch })
        }

        /// Whether changes are watched (else only the timer makes it
        /// readable).
        pub fn watches(&self) -> bool {
            self.watch.is_some()
        }

        /// Discards the changes reported so far; true if there were any.
        pub fn take_changes(&self) -> bool {
            self.watch.as_ref().is_some_and(Notifier::drain)
        }

        /// Arms the timer to expire once, `after` from now (at least 1 ns).
        /// Replaces any earlier setting, and clears an expiry not read:
        /// the events reported so far are taken (a notifier's that still
        /// holds a change stays reported), the timer deleted and added.
        pub fn arm(&self, after: Duration) -> io::Result<()> {
            let kq = self.kq.as_raw_fd();
            let mut out = [event(0, 0, 0, 0); 4];
            while kevent(kq, &[], &mut out)? == out.len() {}
            let _ = kevent(
                kq,
                &[event(TIMER, libc::EVFILT_TIMER, libc::EV_DELETE, 0)],
                &mut [],
            );
            let ns = after.as_nanos().clamp(1, i64::MAX as u128) as i64;
            let mut ev = event(
                TIMER,
                libc::EVFILT_TIMER,
                libc::EV_ADD | libc::EV_ONESHOT,
                0,
            );
            ev.fflags = libc::NOTE_NSECONDS as _;
            ev.data = ns as _;
            kevent(kq, &[ev], &mut []).map(drop)
        }

        /// The descriptor to poll for reading; valid while this lives.
        pub fn raw_fd(&self) -> RawFd {
            self.kq.as_raw_fd()
        }
    }
}

#[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
mod threaded {
    use super::*;
    use parking_lot::{Condvar, Mutex};
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::sync::Arc;
    use std::time::Instant;

    /// Readable while its notifier reports a change or its timer expired:
    /// a pipe's read end, into which a thread writes a byte then.
    pub struct Pollable {
        read: File,
        shared: Arc<Shared>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    struct Shared {
        state: Mutex<State>,
        cv: Condvar,
        write: File,
        watch: Option<Notifier>,
    }

    #[derive(Default)]
    struct State {
        /// When the armed timer expires.
        due: Option<Instant>,
        expired: bool,
        /// A byte is in the pipe.
        signalled: bool,
        closed: bool,
    }

    impl Pollable {
        /// A descriptor readable on `watch`'s changes (if any) and the
        /// timer's expiry; the timer is not armed.
        pub fn new(watch: Option<Notifier>) -> io::Result<Pollable> {
            let mut fds = [0; 2];
            // SAFETY: pipe writes two descriptors into the array we own.
            crate::sys::os_result(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
            // SAFETY: both are descriptors just made and owned by no one
            // else.
            let (read, write) = unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) };
            for fd in fds {
                // SAFETY: fcntl on our descriptors, with integer arguments.
                unsafe {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                    libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK);
                }
            }
            let shared = Arc::new(Shared {
                state: Mutex::new(State::default()),
                cv: Condvar::new(),
                write,
                watch,
            });
            let s = shared.clone();
            let thread = std::thread::Builder::new()
                .name("binlog-pollable".into())
                .spawn(move || s.run())?;
            Ok(Pollable {
                read,
                shared,
                thread: Some(thread),
            })
        }

        /// Whether changes are watched (else only the timer makes it
        /// readable).
        pub fn watches(&self) -> bool {
            self.shared.watch.is_some()
        }

        /// Discards the changes reported so far; true if there were any.
        pub fn take_changes(&self) -> bool {
            let mut st = self.shared.state.lock();
            let any = self.shared.watch.as_ref().is_some_and(Notifier::drain);
            self.clear(&mut st);
            any
        }

        /// Arms the timer to expire once, `after` from now. Replaces any
        /// earlier setting, and clears an expiry not read.
        pub fn arm(&self, after: Duration) -> io::Result<()> {
            let mut st = self.shared.state.lock();
            (st.expired, st.due) = (false, Instant::now().checked_add(after));
            self.clear(&mut st);
            Ok(())
        }

        /// Empties the pipe and looks again at once: readable if the timer
        /// expired (armed with a zero) or a change is reported.
        fn clear(&self, st: &mut State) {
            while matches!((&self.read).read(&mut [0u8; 64]), Ok(1..)) {}
            st.signalled = false;
            self.shared.signal(st);
            self.shared.cv.notify_one();
        }

        /// The descriptor to poll for reading; valid while this lives.
        pub fn raw_fd(&self) -> RawFd {
            self.read.as_raw_fd()
        }
    }

    impl Shared {
        /// The thread: a byte into the pipe once the timer expired or the
        /// notifier reports a change, looking every `POLL_STEP` while it
        /// watches, until the `Pollable` drops.
        fn run(&self) {
            let step = super::super::notify::POLL_STEP;
            let mut st = self.state.lock();
            while !st.closed {
                self.signal(&mut st);
                let now = Instant::now();
                // Signalled: nothing to do until the pipe is emptied.
                let timer = st.due.map(|d| d.saturating_duration_since(now));
                let look = self.watch.as_ref().map(|_| step);
                let next = timer.into_iter().chain(look).min();
                match next.filter(|_| !st.signalled) {
                    Some(wait) => drop(self.cv.wait_for(&mut st, wait)),
                    None => self.cv.wait(&mut st),
                }
            }
        }
    }

    impl Shared {
        /// A byte into the pipe (if none is there) once the timer expired
        /// or the notifier reports a change.
        fn signal(&self, st: &mut State) {
            if st.due.is_some_and(|d| d <= Instant::now()) {
                (st.expired, st.due) = (true, None);
            }
            let changed = || self.watch.as_ref().is_some_and(|w| w.wait(Duration::ZERO));
            if !st.signalled && (st.expired || changed()) {
                st.signalled = (&self.write).write(&[1]).is_ok();
            }
        }
    }

    impl Drop for Pollable {
        fn drop(&mut self) {
            self.shared.state.lock().closed = true;
            self.shared.cv.notify_one();
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}
