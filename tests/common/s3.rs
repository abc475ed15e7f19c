//! A real S3-compatible server for the archive tests: versitygw (an S3
//! gateway over a directory) on 127.0.0.1, on a free port, over a fresh
//! directory, with known test credentials. `make s3-server` installs the
//! pinned binary (the Makefile's tools cache); `BINLOG_VERSITYGW` names
//! another. The server is stopped (SIGKILL, then reaped) when dropped.

use super::TempDir;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "binlog-test-access";
pub const SECRET_KEY: &str = "binlog-test-secret";
pub const REGION: &str = "us-east-1";
/// The version the Makefile pins (VERSITYGW_VERSION).
pub const VERSION: &str = "1.8.0";

pub struct S3Server {
    child: Child,
    pub port: u16,
    /// The directory the gateway serves: each subdirectory is a bucket.
    pub root: TempDir,
}

/// The versitygw binary: `BINLOG_VERSITYGW`, or where `make s3-server`
/// puts it.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("BINLOG_VERSITYGW") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").expect("HOME");
    PathBuf::from(home).join(format!(".cache/libbinlog-tools/bin/versitygw-{VERSION}"))
}

impl S3Server {
    /// Starts a server with the buckets `buckets` (made as directories
    /// before it starts) and waits until it answers.
    pub fn start(buckets: &[&str]) -> S3Server {
        let bin = binary();
        assert!(
            bin.exists(),
            "{} is missing: run `make s3-server` (or set BINLOG_VERSITYGW)",
            bin.display()
        );
        let root = TempDir::new("s3-root");
        for b in buckets {
            std::fs::create_dir_all(root.join(b)).unwrap();
        }
        let port = free_port();
        let child = spawn(&bin, port, root.path());
        let server = S3Server { child, port, root };
        server.wait_until_answering();
        server
    }

    /// Stops the server (SIGKILL), keeping its port and directory.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the stopped server again, on its port, over its directory.
    pub fn restart(&mut self) {
        self.child = spawn(&binary(), self.port, self.root.path());
        self.wait_until_answering();
    }

    fn wait_until_answering(&self) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "versitygw did not answer on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The connection settings of this server, with short timeouts.
    pub fn connection(&self) -> binlog::archive::Connection {
        binlog::archive::Connection {
            endpoint: Some(self.endpoint()),
            region: Some(REGION.into()),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(SECRET_KEY.into()),
            virtual_hosted_style: Some(false),
            request_timeout: Some(Duration::from_secs(20)),
            retry_timeout: Some(Duration::from_secs(5)),
        }
    }

    /// The environment a `binlog ship` child uses to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
            ("AWS_REGION", REGION.into()),
        ]
    }

    /// The file holding object `key` of `bucket` (the posix backend keeps
    /// each object as a file of its key's path).
    pub fn object_file(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// versitygw on 127.0.0.1:`port` over `root`.
fn spawn(bin: &std::path::Path, port: u16, root: &std::path::Path) -> Child {
    Command::new(bin)
        .args(["--port", &format!("127.0.0.1:{port}")])
        .args([
            "--access", ACCESS_KEY, "--secret", SECRET_KEY, "--region", REGION, "--quiet",
        ])
        .arg("posix")
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()))
}

/// A port nothing listens on now (the kernel's pick, released).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
