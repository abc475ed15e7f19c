//! Change notification (Linux: inotify): a descriptor that reports changes
//! to one file or directory, and whether the filesystem holding it is one
//! where the notification sees only this host's changes.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// What to watch: a log's directory (changes to any file in it) or one
/// segment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watched {
    Dir,
    File,
}

/// A notifier (an inotify descriptor) watching one file or directory.
pub struct Notifier {
    fd: File,
}

impl Notifier {
    /// Watches `path` for writes, truncation, new, renamed or removed
    /// entries (of a directory, `Watched::Dir`) and the file's own removal
    /// or rename (`Watched::File`). `None` where no inotify instance is to
    /// be had, or the path cannot be watched (missing, or a file watched as
    /// a directory).
    pub fn new(path: &Path, what: Watched) -> Option<Notifier> {
        let c = CString::new(path.as_os_str().as_bytes()).ok()?;
        // SAFETY: inotify_init1 takes flags and returns a new descriptor,
        // which we then own (wrapped in a File, closed when it drops).
        let flags = libc::IN_CLOEXEC | libc::IN_NONBLOCK;
        let raw = crate::sys::os_result(unsafe { libc::inotify_init1(flags) }).ok()?;
        // SAFETY: `raw` is a descriptor just made and owned by no one else.
        let fd = unsafe { File::from_raw_fd(raw) };
        // The watched path's own changes; a directory's entries' too.
        let writes = libc::IN_MODIFY | libc::IN_ATTRIB | libc::IN_CLOSE_WRITE;
        let own = writes | libc::IN_DELETE_SELF | libc::IN_MOVE_SELF;
        let entries = libc::IN_CREATE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO;
        let mask = match what {
            Watched::Dir => own | libc::IN_ONLYDIR | entries,
            Watched::File => own,
        };
        // SAFETY: the descriptor is ours, `c` a NUL-terminated path that
        // lives through the call, `mask` plain flags.
        let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask) };
        (wd >= 0).then_some(Notifier { fd })
    }

    /// Discards the changes reported so far; true if there were any.
    pub fn drain(&self) -> bool {
        let mut buf = [0u8; 4096];
        let mut any = false;
        // Non-blocking: reads until nothing is left (WouldBlock) or fails.
        while matches!((&self.fd).read(&mut buf), Ok(n) if n > 0) {
            any = true;
        }
        any
    }

    /// The descriptor, readable while a change is reported (for an epoll
    /// set; reading it is `drain`'s job).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Waits up to `timeout` for a change; true if one was reported (it
    /// stays reported until `drain`).
    pub fn wait(&self, timeout: Duration) -> bool {
        crate::sys::readable(self.fd.as_raw_fd(), timeout)
    }
}

/// Whether the filesystem holding `path` is one where the notifier reports only
/// this host's changes; `None` if it cannot be asked.
pub fn on_network_filesystem(path: &Path) -> Option<bool> {
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statfs is plain data; all zeros is a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and lives through the call; statfs
    // writes one struct we own.
    crate::sys::os_result(unsafe { libc::statfs(c.as_ptr(), &mut st) }).ok()?;
    // f_type's width differs between C libraries and architectures.
    #[allow(clippy::unnecessary_cast)]
    Some(is_network_fs_type(st.f_type as i64))
}

/// Filesystem magic numbers (statfs f_type) of network and cluster
/// filesystems, and FUSE (sshfs and the like), whose notifier sees only
/// changes made through this host.
fn is_network_fs_type(t: i64) -> bool {
    const NETWORK: [i64; 13] = [
        0x6969,      // NFS
        0x517B,      // SMB
        0xFE53_4D42, // SMB2
        0xFF53_4D42, // CIFS
        0x00C3_6400, // Ceph
        0x6573_5546, // FUSE
        0x0102_1997, // 9p (virtio-fs' older sibling, VM shares)
        0x5346_414F, // AFS
        0x6B41_4653, // kAFS
        0x7375_7245, // Coda
        0x0116_1970, // GFS2
        0x7461_636F, // OCFS2
        0x0BD0_0BD0, // Lustre
    ];
    NETWORK.contains(&(t & 0xFFFF_FFFF))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_filesystems_are_polled() {
        assert!(is_network_fs_type(0x6969));
        assert!(is_network_fs_type(0x6573_5546));
        // f_type sign-extended from a 32-bit field.
        assert!(is_network_fs_type(0xFFFF_FFFF_FF53_4D42_u64 as i64));
        assert!(!is_network_fs_type(0xEF53)); // ext4
        assert!(!is_network_fs_type(0x5846_5342)); // xfs
        assert!(!is_network_fs_type(0x0102_1994)); // tmpfs
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
