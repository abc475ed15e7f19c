//! The power-cut filesystem (tests/powercut, its own cargo package): a
//! FUSE mount over a backing directory that keeps only what was synced
//! when the power is cut. Needs root and /dev/fuse. The tool is
//! `BINLOG_POWERCUT` if set, else target/powercut/debug/powercut, built
//! there on first use (`make powercut` builds it too).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;

/// What a cut keeps besides what was synced (the tool's options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Nothing unsynced.
    Nothing,
    /// A seeded half of the unsynced pages of this size (0: 512 or 4096
    /// chosen per file), and of the unsynced truncations.
    TornPages(u64),
    /// The oldest of each directory's unsynced operations, and torn pages
    /// of both sizes.
    DirOpsAndPages,
}

impl Keep {
    pub const ALL: [Keep; 5] = [
        Keep::Nothing,
        Keep::TornPages(4096),
        Keep::TornPages(512),
        Keep::TornPages(0),
        Keep::DirOpsAndPages,
    ];

    fn args(self) -> Vec<String> {
        match self {
            Keep::Nothing => vec![],
            Keep::TornPages(p) => vec!["--torn".into(), p.to_string()],
            Keep::DirOpsAndPages => vec!["--torn".into(), "0".into(), "--keep-dir-ops".into()],
        }
    }
}

/// The tool's binary, built once per test process when missing.
pub fn tool() -> &'static Path {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(|| {
        if let Some(p) = std::env::var_os("BINLOG_POWERCUT") {
            return PathBuf::from(p);
        }
        let root = &super::repo_root();
        let target = root.join("target/powercut");
        let bin = target.join("debug/powercut");
        if !bin.exists() {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let ok = Command::new(cargo)
                .args(["build", "--quiet", "--manifest-path"])
                .arg(root.join("tests/powercut/Cargo.toml"))
                .arg("--target-dir")
                .arg(&target)
                .status()
                .expect("run cargo to build tests/powercut");
            assert!(
                ok.success(),
                "building tests/powercut failed (make powercut)"
            );
        }
        bin
    })
}

/// A mounted power-cut filesystem; dropping it without a cut unmounts it
/// cleanly (everything synced).
pub struct PowerCut {
    child: Option<Child>,
    /// The tool's stdout: it answers each fault switch with a line.
    out: BufReader<ChildStdout>,
    mountpoint: PathBuf,
}

impl PowerCut {
    /// Mounts `backing` on `mountpoint`; a cut keeps `keep`, seeded by
    /// `seed`.
    pub fn mount(backing: &Path, mountpoint: &Path, keep: Keep, seed: u64) -> PowerCut {
        let mut cmd = Command::new(tool());
        cmd.args(keep.args()).args(["--seed", &seed.to_string()]);
        PowerCut::start(backing, mountpoint, cmd)
    }

    /// Mounts `backing` on `mountpoint` with a fault armed at a count
    /// (`--fail-fsync-at N`, `--disk-full-at N`: `armed`), tracing each
    /// change and sync to `trace` if given; a cut keeps nothing unsynced.
    pub fn mount_armed(
        backing: &Path,
        mountpoint: &Path,
        armed: &[String],
        trace: Option<&Path>,
    ) -> PowerCut {
        let mut cmd = Command::new(tool());
        cmd.args(armed);
        if let Some(t) = trace {
            cmd.env("POWERCUT_TRACE", t);
        }
        PowerCut::start(backing, mountpoint, cmd)
    }

    /// Mounts `backing` on `mountpoint` with the power cut in place of
    /// the `n`th change or sync from the mount (`--cut-at N`), keeping
    /// nothing unsynced; `end` tells whether it struck.
    pub fn mount_cut_at(backing: &Path, mountpoint: &Path, n: u64) -> PowerCut {
        let mut cmd = Command::new(tool());
        cmd.args(["--cut-at", &n.to_string()]);
        PowerCut::start(backing, mountpoint, cmd)
    }

    /// Ends the mount: `None` if an armed cut struck (the backing directory
    /// holds what survived), else unmounts cleanly and returns how many
    /// changes and syncs the mount served.
    pub fn end(mut self) -> Option<u64> {
        let mut child = self.child.take().expect("mounted");
        // A tool that cut the power has exited, or exits without taking
        // this signal.
        // SAFETY: kill takes a pid and a signal number.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let lines: Vec<String> = (&mut self.out).lines().map(|l| l.unwrap()).collect();
        assert!(child.wait().expect("wait for powercut").success());
        match lines.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["cut"] => None,
            [changes, "unmounted"] => Some(changes["changes ".len()..].parse().unwrap()),
            _ => panic!("powercut ended saying {lines:?}"),
        }
    }

    fn start(backing: &Path, mountpoint: &Path, mut cmd: Command) -> PowerCut {
        let mut child = cmd
            .arg(backing)
            .arg(mountpoint)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start powercut");
        let mut out = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        let _ = out.read_line(&mut line);
        assert_eq!(
            line,
            "mounted\n",
            "powercut did not mount {}",
            mountpoint.display()
        );
        PowerCut {
            child: Some(child),
            out,
            mountpoint: mountpoint.to_path_buf(),
        }
    }

    /// From now on every fsync and fdatasync fails with EIO, and a file's
    /// failed fsync loses its unsynced pages (as Linux does).
    pub fn fail_fsync(&mut self) {
        self.switch(libc::SIGUSR2, "fsync-eio");
    }

    /// From now on the disk is full: writes past a file's end get ENOSPC.
    pub fn fill_disk(&mut self) {
        self.switch(libc::SIGHUP, "disk-full");
    }

    /// Ends both faults.
    pub fn clear_faults(&mut self) {
        self.switch(libc::SIGQUIT, "faults-cleared");
    }

    /// Sends a fault switch; returns once the tool says it is in force.
    fn switch(&mut self, signal: i32, answer: &str) {
        let child = self.child.as_ref().expect("mounted");
        // SAFETY: kill takes a pid and a signal number.
        unsafe { libc::kill(child.id() as i32, signal) };
        let mut line = String::new();
        let _ = self.out.read_line(&mut line);
        assert_eq!(
            line.trim_end(),
            answer,
            "powercut's answer to a fault switch"
        );
    }

    pub fn path(&self) -> &Path {
        &self.mountpoint
    }

    /// Cuts the power: when this returns, the backing directory holds what
    /// survived and the mount is gone (its users get errors).
    pub fn cut(mut self) {
        self.stop(libc::SIGUSR1);
    }

    fn stop(&mut self, signal: i32) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill takes a pid and a signal number.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().expect("wait for powercut");
        assert!(status.success(), "powercut failed: {status}");
    }
}

impl Drop for PowerCut {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Leave nothing mounted, whatever it keeps.
            if let Some(c) = &self.child {
                // SAFETY: as above.
                unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            }
            return;
        }
        self.stop(libc::SIGTERM);
    }
}
