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

/// The emulator this test binary runs under: the words of
/// BINLOG_TEST_RUNNER (`qemu-aarch64`, for another machine's test
/// binaries), as for the integration tests (tests/it/common/child.rs).
fn runner() -> Vec<std::ffi::OsString> {
    let runner = std::env::var("BINLOG_TEST_RUNNER").unwrap_or_default();
    runner.split_whitespace().map(Into::into).collect()
}

/// Whether the tests run under an emulator, saying what the test does not
/// check there and why (what the emulator does not do as the machine).
pub(crate) fn under_runner(why: &str) -> bool {
    let runner = runner();
    if !runner.is_empty() {
        eprintln!("not checked under {runner:?}: {why}");
    }
    !runner.is_empty()
}

/// A command that runs this test binary again, under the emulator when
/// there is one.
pub(crate) fn this_binary() -> std::process::Command {
    let mut argv = runner();
    argv.push(std::env::current_exe().unwrap().into());
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    cmd
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
        let out = super::this_binary()
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
