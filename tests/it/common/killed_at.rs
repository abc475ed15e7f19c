//! A test of this binary run as a child process killed with SIGKILL at
//! the `n`th call of a system call, by strace's fault injection (`-e
//! inject=CALL:signal=KILL:when=N`): a crash at an exact step of the
//! library's work, however loaded the machine is, with nothing faked. The
//! child runs on real files; what it left is there for the parent to open.

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

/// Runs test `test` of this test binary with `envs`, killed at its `n`th
/// call of `call` (each thread counts its own calls). Returns false if it
/// ran to its end first (it made fewer such calls), true if it was killed;
/// a child that failed otherwise fails the test.
pub fn run_killed_at(test: &str, envs: &[(&str, &OsStr)], call: &str, n: u32) -> bool {
    let exe = std::env::current_exe().unwrap();
    let inject = format!("inject={call}:signal=KILL:when={n}");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-o", "/dev/null", "-e", &inject])
        .args(super::child::argv(exe))
        .args(["--exact", &super::child::full_test_name(test)])
        .args(["--nocapture", "--test-threads=1"])
        .env("RUST_BACKTRACE", "0");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("strace: {e} (`apt-get install strace`, or `make strace-tool`)")
    });
    if out.status.success() {
        return false;
    }
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGKILL),
        "{test} killed at call {n} of {call} failed otherwise ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    true
}
