//! For tests of what a forked child sees: fork, run a check in the child,
//! wait for its verdict.

/// A child process forked to run one check.
pub struct ForkedChild {
    /// Negative when the fork failed.
    pid: libc::pid_t,
}

impl ForkedChild {
    /// Forks; the child runs `check` under a 5 s alarm (a hung child dies
    /// of SIGALRM) and exits 0 if it returned true, 1 if not. The child of
    /// a multi-threaded process may only make async-signal-safe calls:
    /// `check` must keep to those. A failed fork is reported by `wait`, so
    /// that the caller can undo what it set up for the child first.
    pub fn spawn(check: impl FnOnce() -> bool) -> ForkedChild {
        // SAFETY: the child runs `check` (the caller's promise above),
        // alarm and _exit, all async-signal-safe.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            unsafe { libc::alarm(5) };
            let ok = check();
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        ForkedChild { pid }
    }

    /// Waits for the child: `Ok` if it exited 0, else what became of it.
    pub fn wait(self) -> Result<(), String> {
        if self.pid < 0 {
            return Err("fork failed".into());
        }
        let mut status = 0;
        // SAFETY: waits for our own child, writing one int we own.
        let waited = unsafe { libc::waitpid(self.pid, &mut status, 0) };
        if waited != self.pid {
            return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
        }
        match (libc::WIFEXITED(status), libc::WIFSIGNALED(status)) {
            (true, _) if libc::WEXITSTATUS(status) == 0 => Ok(()),
            (true, _) => Err(format!("exit status {}", libc::WEXITSTATUS(status))),
            (_, true) => Err(format!("killed by signal {}", libc::WTERMSIG(status))),
            _ => Err(format!("status {status:#x}")),
        }
    }
}
