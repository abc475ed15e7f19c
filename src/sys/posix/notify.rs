//! Change notification without inotify: a notifier that reports changes to
//! one file or directory, and whether the filesystem holding it is one
//! where the notification sees only this host's changes. On macOS and
//! FreeBSD a kqueue with `EVFILT_VNODE` on the path (and, for a directory,
//! on its files last written, which is where a writer appends); where
//! kqueue is absent (Linux with this backend) a poll of the path's
//! metadata every `POLL_STEP`.

use std::path::Path;
use std::time::Duration;

#[cfg(any(target_os = "macos", target_os = "freebsd"))]
pub use kq::Notifier;
#[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
pub use polled::Notifier;

/// What to watch: a log's directory (changes to any file in it) or one
/// segment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watched {
    Dir,
    File,
}

/// A directory's files a kqueue notifier watches besides the directory
/// (those last modified: a log's writer appends to its newest segment).
#[cfg_attr(not(any(target_os = "macos", target_os = "freebsd")), allow(dead_code))]
const FILES: usize = 4;

/// How often a polled notifier (no kqueue) looks at its path: well within
/// the time a follower blocks without looking (`reader::watch::RECHECK`),
/// and a fraction of a writer's flush interval.
#[cfg_attr(any(target_os = "macos", target_os = "freebsd"), allow(dead_code))]
pub(super) const POLL_STEP: Duration = Duration::from_millis(1);

/// The files of `dir` last modified, newest first, at most `FILES`.
#[cfg_attr(not(any(target_os = "macos", target_os = "freebsd")), allow(dead_code))]
fn newest_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let m = e.metadata().ok().filter(std::fs::Metadata::is_file)?;
            Some((m.modified().ok()?, e.path()))
        })
        .collect();
    files.sort_unstable_by(|a, b| b.cmp(a));
    files.into_iter().take(FILES).map(|(_, p)| p).collect()
}

#[cfg(any(target_os = "macos", target_os = "freebsd"))]
pub(super) mod kq {
    use super::Watched;
    use std::fs::{File, OpenOptions};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    #[cfg(target_os = "macos")]
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// A notifier (a kqueue) watching one file or directory.
    pub struct Notifier {
        kq: OwnedFd,
        /// The watched path (a directory's events name it by this
        /// descriptor) and, for a directory, its files last modified: open
        /// for their events only.
        path: File,
        dir: Option<PathBuf>,
        files: parking_lot::Mutex<Vec<File>>,
    }

    /// A kevent for `ident` of `filter`, with `flags` and `fflags`.
    pub(in crate::sys) fn event(
        ident: usize,
        filter: i16,
        flags: u16,
        fflags: u32,
    ) -> libc::kevent {
        // SAFETY: kevent is plain data; all zeros is a valid value.
        let mut ev: libc::kevent = unsafe { std::mem::zeroed() };
        ev.ident = ident as _;
        ev.filter = filter as _;
        ev.flags = flags as _;
        ev.fflags = fflags as _;
        ev
    }

    /// Applies `changes` to the kqueue `kq` and takes up to `out.len()`
    /// pending events without waiting; how many it took.
    pub(in crate::sys) fn kevent(
        kq: RawFd,
        changes: &[libc::kevent],
        out: &mut [libc::kevent],
    ) -> std::io::Result<usize> {
        let zero = crate::sys::clock::timespec(Duration::ZERO);
        // SAFETY: both slices are ours and their lengths given; the
        // timeout is a timespec we own.
        let n = unsafe {
            libc::kevent(
                kq,
                changes.as_ptr(),
                changes.len() as _,
                out.as_mut_ptr(),
                out.len() as _,
                &zero,
            )
        };
        crate::sys::os_result(n).map(|n| n as usize)
    }

    /// A new kqueue, closed on exec.
    pub(in crate::sys) fn kqueue() -> std::io::Result<OwnedFd> {
        // SAFETY: kqueue takes nothing and returns a new descriptor.
        let raw = crate::sys::os_result(unsafe { libc::kqueue() })?;
        // SAFETY: `raw` is a descriptor just made and owned by no one else.
        let kq = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: fcntl on our descriptor, with an integer argument.
        crate::sys::os_result(unsafe { libc::fcntl(raw, libc::F_SETFD, libc::FD_CLOEXEC) })?;
        Ok(kq)
    }

    /// Opens `path` only to watch it (macOS: O_EVTONLY, which does not keep
    /// its volume from being unmounted).
    fn open_to_watch(path: &Path) -> Option<File> {
        let mut options = OpenOptions::new();
        options.read(true);
        #[cfg(target_os = "macos")]
        options.custom_flags(libc::O_EVTONLY);
        options.open(path).ok()
    }

    impl Notifier {
        /// Watches `path` for writes, truncation, new, renamed or removed
        /// entries (of a directory, `Watched::Dir`, and writes to its files
        /// last modified) and the file's own removal or rename
        /// (`Watched::File`). `None` where no kqueue is to be had, or the
        /// path cannot be watched (missing, or a file watched as a
        /// directory).
        pub fn new(path: &Path, what: Watched) -> Option<Notifier> {
            let kq = kqueue().ok()?;
            let file = open_to_watch(path)?;
            let is_dir = file.metadata().ok()?.is_dir();
            if is_dir != (what == Watched::Dir) {
                return None;
            }
            let n = Notifier {
                kq,
                path: file,
                dir: is_dir.then(|| path.to_path_buf()),
                files: parking_lot::Mutex::new(Vec::new()),
            };
            n.add(&n.path).ok()?;
            n.watch_files();
            Some(n)
        }

        /// Adds `file`'s writes, growth, attribute changes, removal and
        /// rename to the kqueue (cleared when taken).
        fn add(&self, file: &File) -> std::io::Result<usize> {
            let fflags = libc::NOTE_WRITE
                | libc::NOTE_EXTEND
                | libc::NOTE_ATTRIB
                | libc::NOTE_DELETE
                | libc::NOTE_RENAME;
            let flags = libc::EV_ADD | libc::EV_CLEAR;
            let ev = event(file.as_raw_fd() as usize, libc::EVFILT_VNODE, flags, fflags);
            kevent(self.kq.as_raw_fd(), &[ev], &mut [])
        }

        /// A directory's watch: its files last modified, in place of those
        /// watched so far (closing one removes its events).
        fn watch_files(&self) {
            let Some(dir) = &self.dir else { return };
            let files: Vec<File> = super::newest_files(dir)
                .iter()
                .filter_map(|p| open_to_watch(p))
                .filter(|f| self.add(f).is_ok())
                .collect();
            *self.files.lock() = files;
        }

        /// Discards the changes reported so far; true if there were any.
        pub fn drain(&self) -> bool {
            let dir = self.path.as_raw_fd() as usize;
            let mut out = [event(0, 0, 0, 0); 16];
            let (mut any, mut entries) = (false, false);
            while let Ok(n @ 1..) = kevent(self.kq.as_raw_fd(), &[], &mut out) {
                any = true;
                entries |= out[..n].iter().any(|e| e.ident == dir);
            }
            if entries {
                self.watch_files();
            }
            any
        }

        /// The descriptor, readable while a change is reported (for a
        /// kqueue of `ready::Pollable`; reading it is `drain`'s job).
        pub fn raw_fd(&self) -> RawFd {
            self.kq.as_raw_fd()
        }

        /// Waits up to `timeout` for a change; true if one was reported (it
        /// stays reported until `drain`).
        pub fn wait(&self, timeout: Duration) -> bool {
            crate::sys::readable(self.kq.as_raw_fd(), timeout)
        }
    }
}

#[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
mod polled {
    use super::{Watched, POLL_STEP};
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    /// A notifier that looks at its path's metadata (a directory's: its
    /// files' too) every `POLL_STEP`: a change is a look that differs from
    /// the last one drained.
    pub struct Notifier {
        path: PathBuf,
        what: Watched,
        /// The look `drain` last took.
        seen: parking_lot::Mutex<Option<u64>>,
    }

    impl Notifier {
        /// Watches `path` (see the kqueue notifier). `None` where the path
        /// cannot be watched (missing, or a file watched as a directory).
        pub fn new(path: &Path, what: Watched) -> Option<Notifier> {
            let is_dir = std::fs::metadata(path).ok()?.is_dir();
            if is_dir != (what == Watched::Dir) {
                return None;
            }
            let path = path.to_path_buf();
            let seen = parking_lot::Mutex::new(look(&path, what));
            Some(Notifier { path, what, seen })
        }

        /// Discards the changes reported so far; true if there were any.
        pub fn drain(&self) -> bool {
            let now = look(&self.path, self.what);
            std::mem::replace(&mut *self.seen.lock(), now) != now
        }

        /// Waits up to `timeout` for a change; true if one was reported (it
        /// stays reported until `drain`).
        pub fn wait(&self, timeout: Duration) -> bool {
            let start = Instant::now();
            loop {
                if look(&self.path, self.what) != *self.seen.lock() {
                    return true;
                }
                let Some(left) = timeout.checked_sub(start.elapsed()) else {
                    return false;
                };
                if left.is_zero() {
                    return false;
                }
                std::thread::sleep(left.min(POLL_STEP));
            }
        }
    }

    /// A digest of what a change alters: the path's identity, size, times
    /// and links, and for a directory those of its files last modified.
    /// `None` for a missing path.
    fn look(path: &Path, what: Watched) -> Option<u64> {
        let mut h = std::hash::DefaultHasher::new();
        let mut one = |p: &Path| -> Option<()> {
            p.hash(&mut h);
            let m = std::fs::metadata(p).ok()?;
            (m.dev(), m.ino(), m.len(), m.nlink()).hash(&mut h);
            (m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec()).hash(&mut h);
            Some(())
        };
        one(path)?;
        if what == Watched::Dir {
            for f in super::newest_files(path) {
                let _ = one(&f);
            }
        }
        Some(h.finish())
    }
}

/// Whether the filesystem holding `path` is one where the notifier reports
/// only this host's changes; `None` if it cannot be asked. A polled
/// notifier sees what the host sees of every writer: never.
pub fn on_network_filesystem(path: &Path) -> Option<bool> {
    #[cfg(any(target_os = "macos", target_os = "freebsd"))]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
        // SAFETY: statfs is plain data; all zeros is a valid value.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is NUL-terminated and lives through the call; statfs
        // writes one struct we own.
        crate::sys::os_result(unsafe { libc::statfs(c.as_ptr(), &mut st) }).ok()?;
        // SAFETY: the kernel writes a NUL-terminated name into the array.
        let name = unsafe { std::ffi::CStr::from_ptr(st.f_fstypename.as_ptr()) };
        Some(is_network_fs_name(&name.to_string_lossy()))
    }
    #[cfg(not(any(target_os = "macos", target_os = "freebsd")))]
    std::fs::metadata(path).ok().map(|_| false)
}

/// Filesystem type names (statfs f_fstypename) of network filesystems and
/// FUSE (sshfs and the like) on macOS and FreeBSD, whose notifier sees
/// only changes made through this host.
#[cfg_attr(
    not(any(target_os = "macos", target_os = "freebsd", test)),
    allow(dead_code)
)]
fn is_network_fs_name(name: &str) -> bool {
    const NETWORK: [&str; 9] = [
        "nfs", "smbfs", "afpfs", "webdav", "cifs", "fusefs", "macfuse", "osxfuse", "p9fs",
    ];
    NETWORK.contains(&name) || name.starts_with("fuse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_filesystems_are_polled() {
        for name in ["nfs", "smbfs", "afpfs", "fusefs.sshfs", "macfuse"] {
            assert!(is_network_fs_name(name), "{name}");
        }
        for name in ["apfs", "hfs", "ufs", "zfs", "tmpfs", "msdos"] {
            assert!(!is_network_fs_name(name), "{name}");
        }
    }

    /// The temporary directory is local, as the followers' tests take it
    /// to be (they expect a watch there); a missing path cannot be asked.
    #[test]
    fn the_temporary_directory_is_local_and_a_missing_path_unknown() {
        let tmp = std::env::temp_dir();
        assert_eq!(on_network_filesystem(&tmp), Some(false));
        let missing = tmp.join(format!("binlog-no-such-file-{}", std::process::id()));
        assert_eq!(on_network_filesystem(&missing), None);
    }
}
