//! A real filesystem of a given size for the disk-full tests
//! (tests/it/disk_full.rs, tests/it/compressed_disk_full.rs,
//! tests/it/archive_disk_full.rs): a tmpfs mounted for the test (we run as
//! root; if the mount fails the test fails, it does not pass silently).

use super::TempDir;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::Command;

/// A tmpfs mounted on a fresh directory; unmounted (and the directory
/// removed) on drop, also when the test fails.
pub struct Tmpfs {
    dir: TempDir,
    mounted: bool,
}

impl Tmpfs {
    pub fn mount(name: &str, size: &str) -> Tmpfs {
        let dir = TempDir::new(name);
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run mount(8) to mount a tmpfs at {}: {e}",
                    dir.path().display()
                )
            });
        assert!(
            out.status.success(),
            "mounting a {size} tmpfs at {} failed ({}): {}; this test needs root (or CAP_SYS_ADMIN) and fails rather than skip",
            dir.path().display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        let fs = Tmpfs { dir, mounted: true };
        // Prove it is the tmpfs we asked for, not the directory underneath.
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
        let at = fs.dir.path().display().to_string();
        assert!(
            mounts
                .lines()
                .any(|l| l.starts_with("tmpfs ") && l.split(' ').nth(1) == Some(at.as_str())),
            "{at} is not a tmpfs mount point after mount(8) succeeded"
        );
        fs
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if !self.mounted {
            return;
        }
        let c = CString::new(self.dir.path().as_os_str().as_bytes()).unwrap();
        // SAFETY: umount2 with a NUL-terminated path we own.
        let mut rc = unsafe { libc::umount2(c.as_ptr(), 0) };
        if rc != 0 {
            // Something still holds a file on it (a failing test's writer):
            // detach it so the mount does not outlive the test.
            rc = unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
        if rc != 0 {
            eprintln!(
                "could not unmount {}: {}",
                self.dir.path().display(),
                std::io::Error::last_os_error()
            );
        } else {
            self.mounted = false;
            let _ = std::fs::remove_dir(self.dir.path());
        }
    }
}

impl Tmpfs {
    /// Fills the filesystem with the file `name`, written until the
    /// filesystem refuses more (ENOSPC), then cut so that `free` bytes
    /// (rounded up to whole pages) are left; returns its path. Removing it
    /// frees the space again.
    pub fn fill_leaving(&self, name: &str, free: u64) -> PathBuf {
        use std::io::Write;
        let path = self.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0x5au8; 64 << 10];
        let mut len = 0u64;
        for size in [chunk.len(), 4096, 1] {
            loop {
                match f.write(&chunk[..size]) {
                    Ok(n) if n > 0 => len += n as u64,
                    Ok(_) => break,
                    Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                    Err(e) => panic!("fill {}: {e}", path.display()),
                }
            }
        }
        assert_eq!(self.free_bytes(), 0, "{} filled", self.dir.path().display());
        f.set_len(len.saturating_sub(free.next_multiple_of(4096)))
            .unwrap();
        assert!(
            self.free_bytes() >= free,
            "{} bytes left",
            self.free_bytes()
        );
        path
    }

    /// Bytes the filesystem has free.
    pub fn free_bytes(&self) -> u64 {
        let c = CString::new(self.dir.path().as_os_str().as_bytes()).unwrap();
        // SAFETY: statvfs of a NUL-terminated path we own into a zeroed
        // struct it fills.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut st) }, 0);
        st.f_bavail as u64 * st.f_frsize as u64
    }

    /// The mount point.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}
