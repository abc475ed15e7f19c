//! For unit tests: scratch directories and files in one directory of the
//! process, `binlog-unit-<pid>` in the system's temporary directory,
//! removed when the process exits: the test harness exits through `exit`
//! whether the tests passed or failed.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The process's directory, made on first use and removed at its exit
/// (not at a forked child's).
fn root() -> &'static Path {
    static ROOT: OnceLock<(u32, PathBuf)> = OnceLock::new();
    extern "C" fn remove() {
        if let Some((_, root)) = ROOT.get().filter(|(pid, _)| *pid == std::process::id()) {
            let _ = std::fs::remove_dir_all(root);
        }
    }
    &ROOT
        .get_or_init(|| {
            // SAFETY: `remove` takes nothing and does not unwind.
            unsafe { libc::atexit(remove) };
            let pid = std::process::id();
            let root = std::env::temp_dir().join(format!("binlog-unit-{pid}"));
            std::fs::create_dir_all(&root).unwrap();
            (pid, root)
        })
        .1
}

/// An empty directory `<name>` in the process's directory, emptied if it
/// existed.
pub(crate) fn empty_dir(name: &str) -> PathBuf {
    let d = root().join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A file open for reading and writing that holds `bytes`, with no name.
#[cfg(feature = "compression")]
pub(crate) fn unlinked_file(bytes: &[u8]) -> std::fs::File {
    let f = crate::sys::anonymous_file(root()).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, bytes, 0).unwrap();
    f
}

#[cfg(test)]
mod tests {
    /// A test run that fails still removes the scratch directories it
    /// made when it exits: the test runs itself again in a child process
    /// that makes one and fails.
    #[test]
    fn a_failed_run_leaves_no_scratch_directory() {
        const CHILD: &str = "BINLOG_TEST_SCRATCH_CHILD";
        if std::env::var_os(CHILD).is_some() {
            println!("made {}", super::empty_dir("failed").display());
            panic!("failing on purpose");
        }
        let name = "sys::scratch::tests::a_failed_run_leaves_no_scratch_directory";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--nocapture"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "the child passed: {said}");
        let made = said.lines().find_map(|l| l.strip_prefix("made "));
        let made = made.unwrap_or_else(|| panic!("the child made nothing: {said}"));
        assert!(!std::path::Path::new(made).exists(), "{made} is left");
    }
}
