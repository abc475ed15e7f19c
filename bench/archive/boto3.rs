//! The boto3 baselines: boto3_baseline.py, run once for the whole bench by
//! the Python of moto's virtual environment (`make s3-server-moto`, which
//! holds boto3 at the version tests/moto-constraints.txt pins), or by
//! `BINLOG_BENCH_PYTHON`; it talks to the bench's server with the bench's
//! credentials and times its own work, so that Python's start and boto3's
//! set-up are not in the figures.

use crate::common::s3::{self, S3Server, ACCESS_KEY, REGION, SECRET_KEY};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/bench/archive/boto3_baseline.py"
);

pub struct Boto3 {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// A listing of every key under a prefix.
pub struct Listed {
    pub secs: f64,
    pub pages: u64,
    pub keys: u64,
    /// The Python process's CPU seconds.
    pub cpu: f64,
}

/// Objects downloaded and decompressed by `zstd -d`.
pub struct Fetched {
    pub secs: f64,
    /// Bytes downloaded.
    pub bytes: u64,
    /// CPU seconds: the Python process's, and the zstd processes'.
    pub cpu: f64,
    pub zstd_cpu: f64,
}

/// `BINLOG_BENCH_PYTHON`, else the Python of moto's virtual environment.
fn python() -> PathBuf {
    match std::env::var_os("BINLOG_BENCH_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => s3::tool(&format!("moto-{}/bin/python", s3::MOTO_VERSION)),
    }
}

impl Boto3 {
    /// Starts the script for `server`'s bench bucket; returns once its
    /// client is made.
    pub fn start(server: &S3Server) -> Boto3 {
        let python = python();
        assert!(
            python.exists(),
            "{} is missing: run `make s3-server-moto` (or set BINLOG_BENCH_PYTHON to a Python \
             with boto3)",
            python.display()
        );
        let mut child = Command::new(&python)
            .arg(SCRIPT)
            .args([
                &server.endpoint(),
                crate::BUCKET,
                ACCESS_KEY,
                SECRET_KEY,
                REGION,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {} {SCRIPT}: {e}", python.display()));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut b = Boto3 {
            child,
            stdin,
            stdout,
        };
        assert_eq!(b.answer(), "ready", "{SCRIPT} did not start");
        b
    }

    fn answer(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from boto3");
        assert!(!line.is_empty(), "{SCRIPT} exited (its error is above)");
        line.trim_end().to_string()
    }

    /// Sends one command; its answer's numbers.
    fn ask(&mut self, command: &str) -> Vec<f64> {
        writeln!(self.stdin, "{command}").expect("write to boto3");
        self.stdin.flush().expect("write to boto3");
        let line = self.answer();
        let numbers: Option<Vec<f64>> = line.split(' ').map(|n| n.parse().ok()).collect();
        numbers.unwrap_or_else(|| panic!("{SCRIPT}: answered {line:?} to {command:?}"))
    }

    /// Every key under `prefix` (which ends in '/'), paged.
    pub fn list(&mut self, prefix: &str) -> Listed {
        let n = self.ask(&format!("list {prefix}"));
        Listed {
            secs: n[0],
            pages: n[1] as u64,
            keys: n[2] as u64,
            cpu: n[3],
        }
    }

    /// Downloads each of `keys` into `zstd -d` (output discarded).
    pub fn fetch(&mut self, keys: &[String]) -> Fetched {
        let n = self.ask(&format!("fetch {}", keys.join(" ")));
        assert_eq!(n[2] as usize, keys.len(), "objects fetched");
        Fetched {
            secs: n[0],
            bytes: n[1] as u64,
            cpu: n[3],
            zstd_cpu: n[4],
        }
    }
}

impl Drop for Boto3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
