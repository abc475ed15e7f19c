//! A test binary re-executed as a child process that the parent kills with
//! SIGKILL: its stdout lines carrying a marker come back over a channel
//! (only whole lines: the child may die mid-line), its stderr is kept for
//! the failure message.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The emulator that runs the binaries built with the tests when they are
/// another machine's (`make test-cross-rust`: `qemu-aarch64` on x86_64,
/// where without binfmt_misc the kernel cannot exec them itself): the
/// words of this variable, set by tests/run_rust_tests.sh's caller; unset,
/// the binaries run themselves.
pub const RUNNER: &str = "BINLOG_TEST_RUNNER";

/// The command line that runs `program`, a binary built with the tests
/// (this test binary, the `binlog` tool): the runner's words first
/// (`RUNNER`), when set. The one place that starts such a binary: a test
/// that runs one under another program (strace) puts these words after it.
pub fn argv(program: impl AsRef<OsStr>) -> Vec<OsString> {
    let runner = std::env::var(RUNNER).unwrap_or_default();
    let mut argv: Vec<OsString> = runner.split_whitespace().map(OsString::from).collect();
    argv.push(program.as_ref().to_owned());
    argv
}

/// A command that runs `program`, a binary built with the tests (`argv`).
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let argv = argv(program);
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    cmd
}

/// A command that runs this test binary again.
pub fn this_binary() -> Command {
    command(std::env::current_exe().unwrap())
}

/// The full name of test `test` of the module whose test calls this, as
/// `--exact` wants it: libtest runs each test on a thread named by its full
/// name (`crash::kill9_...`), and a child is a test of the caller's module.
pub fn full_test_name(test: &str) -> String {
    let thread = std::thread::current();
    let running = thread.name().unwrap_or_default();
    let (module, _) = running
        .rsplit_once("::")
        .unwrap_or_else(|| panic!("{test}: started from {running:?}, not a test's thread"));
    format!("{module}::{test}")
}

pub struct ChildProc {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Option<std::thread::JoinHandle<()>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl ChildProc {
    /// Runs test `test_name` of this test binary in a child with `envs`;
    /// the child reports by printing lines that contain `mark`.
    pub fn spawn(test_name: &str, envs: &[(&str, &OsStr)], mark: &'static str) -> ChildProc {
        let mut cmd = this_binary();
        let test = full_test_name(test_name);
        cmd.args(["--exact", &test, "--nocapture", "--test-threads=1"])
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn child");
        let (tx, rx) = mpsc::channel();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let stdout = std::thread::spawn(move || {
            let mut line = Vec::new();
            loop {
                line.clear();
                match out.read_until(b'\n', &mut line) {
                    // Only whole lines count: the child may die mid-line.
                    Ok(_) if line.ends_with(b"\n") => {
                        let l = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                        if let Some(at) = l.find(mark) {
                            let _ = tx.send(l[at + mark.len()..].to_string());
                        }
                    }
                    _ => return,
                }
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        ChildProc {
            child,
            lines: rx,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Waits for a line starting with `prefix`, keeping every line seen.
    pub fn wait_for(&mut self, prefix: &str, seen: &mut Vec<String>, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l.starts_with(prefix);
                    seen.push(l);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// Waits for the child to end by itself and returns every line it
    /// printed. Fails unless it exited successfully.
    pub fn wait_ok(mut self) -> Vec<String> {
        let status = self.child.wait().expect("wait for child");
        self.stdout.take().unwrap().join().unwrap();
        let lines: Vec<String> = self.lines.try_iter().collect();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        assert!(
            status.success(),
            "child failed ({status})\nstdout: {lines:?}\nstderr: {stderr}"
        );
        lines
    }

    /// Whether the child has ended (by itself: it is not killed here).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGKILLs the child if it still runs, reaps it, and returns every
    /// line it printed (after `seen`) and, if it had ended by itself, its
    /// exit status and stderr.
    pub fn kill9_if_running(mut self, mut seen: Vec<String>) -> (Vec<String>, Option<String>) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, not yet reaped (a zombie at worst).
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let status = self.child.wait().expect("wait for child");
        self.stdout.take().unwrap().join().unwrap();
        seen.extend(self.lines.try_iter());
        let stderr = self.stderr.take().unwrap().join().unwrap();
        let ended = (status.signal() != Some(libc::SIGKILL)).then(|| format!("{status}: {stderr}"));
        (seen, ended)
    }

    /// SIGKILLs the child, reaps it, and returns every line it printed
    /// (after `seen`). Fails unless the child was alive until the kill.
    pub fn kill9(mut self, mut seen: Vec<String>) -> Vec<String> {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child, which is not yet reaped.
        let rc = unsafe { libc::kill(pid, libc::SIGKILL) };
        assert_eq!(rc, 0, "kill -9 {pid}: {}", std::io::Error::last_os_error());
        let status = self.child.wait().expect("wait for child");
        self.stdout.take().unwrap().join().unwrap();
        seen.extend(self.lines.try_iter());
        let stderr = self.stderr.take().unwrap().join().unwrap();
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "child ended by itself ({status}) before the kill\nstdout: {seen:?}\nstderr: {stderr}"
        );
        seen
    }
}

/// Reads what a killed child reported: its `START <seq>` line must equal
/// `expect_start`, an `ERR` line fails the test, and the result is the
/// bound below which it reported records durable. A durable report is
/// `<durable> <n>`, where `n` is the last durable sequence number if
/// `n_is_last_seq`, else the bound itself.
pub fn durable_bound(
    lines: &[String],
    expect_start: u64,
    durable: &str,
    n_is_last_seq: bool,
    ctx: &str,
) -> u64 {
    let mut below = 0u64;
    for l in lines {
        if let Some(n) = l.strip_prefix("START ") {
            assert_eq!(
                n.parse::<u64>().unwrap(),
                expect_start,
                "{ctx}: the child's writer did not continue right after the last record"
            );
        } else if let Some(n) = l.strip_prefix(durable).and_then(|r| r.strip_prefix(' ')) {
            let n: u64 = n.parse().unwrap();
            below = below.max(if n_is_last_seq { n + 1 } else { n });
        } else if l.starts_with("ERR") {
            panic!("{ctx}: child reported {l}");
        }
    }
    below
}

/// Runs test `test_name` of this test binary in a child with `envs`, waits
/// (up to a minute) for its line starting with `prefix` (lines carry
/// `mark`), and SIGKILLs it there; fails, saying `ctx`, if the line never
/// comes. Returns every line the child printed.
pub fn kill_at_line(
    test_name: &str,
    envs: &[(&str, &OsStr)],
    mark: &'static str,
    prefix: &str,
    ctx: &str,
) -> Vec<String> {
    let mut c = ChildProc::spawn(test_name, envs, mark);
    let mut seen = Vec::new();
    assert!(
        c.wait_for(prefix, &mut seen, Duration::from_secs(60)),
        "{ctx}: {seen:?}"
    );
    c.kill9(seen)
}

/// In a child: prints `line` after `mark` with one write(2), so that a
/// kill never leaves half a line that looks whole.
pub fn say(mark: &str, line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{mark}{line}\n").as_bytes());
    let _ = out.flush();
}

/// A child process killed and reaped when this is dropped, also when the
/// test fails first: a follower (`binlog tail -f`) left running would hold
/// its files and locks after the test.
pub struct KillOnDrop(pub Child);

impl std::ops::Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
