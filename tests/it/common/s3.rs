//! A real S3-compatible server for the archive tests: versitygw (an S3
//! gateway over a directory) on 127.0.0.1, on a free port, over a fresh
//! directory, with known test credentials. `make s3-server` installs the
//! pinned binary (the Makefile's tools cache); `BINLOG_VERSITYGW` names
//! another. With `BINLOG_S3_SERVER=minio` the server is MinIO instead
//! (`make s3-server-minio`; `BINLOG_MINIO` names another binary), as `make
//! torture` runs the archive tests a second time: MinIO keeps objects in
//! its own layout, so `object_file` is versitygw's only; it has a static
//! encryption key, so it stores objects encrypted when asked to (SSE-S3).
//! With `BINLOG_S3_SERVER=moto` it is moto's server (`make
//! s3-server-moto`, a Python program from PyPI; `BINLOG_MOTO` names
//! another `moto_server`): an S3 written by others than versitygw's and
//! MinIO's authors, which keeps its objects in memory, so that neither
//! `object_file` nor `restart` (which would find an empty server) is
//! available; it makes the buckets when asked to over HTTP.
//! The server is stopped (SIGKILL, then reaped) when dropped.

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
/// The version the Makefile pins (MOTO_VERSION).
pub const MOTO_VERSION: &str = "5.2.5";
/// The version the Makefile pins (MINIO_VERSION).
pub const MINIO_VERSION: &str = "v0.0.0-20260212201848-7aac2a2c5b7c";
/// The static key MinIO encrypts with (`MINIO_KMS_SECRET_KEY`,
/// `<name>:<32 bytes, base64>`), so that it stores an object sent with
/// `x-amz-server-side-encryption: AES256` encrypted (SSE-S3) and says so
/// in its HEAD; without a key it refuses such a PUT (501 NotImplemented,
/// "KMS is not configured"). Objects sent without that header stay
/// unencrypted. The same key on every start: a restarted server reads
/// what it encrypted before.
pub const MINIO_KMS_SECRET_KEY: &str =
    "binlog-test-key:YmlubG9nLXRlc3Qtc3NlLXMzLWtleS1mb3ItbWluaW8=";
/// The name of MinIO's static key (`MINIO_KMS_SECRET_KEY`'s first part):
/// the one key id it encrypts an SSE-KMS object with.
pub const MINIO_KMS_KEY_ID: &str = "binlog-test-key";

pub struct S3Server {
    child: Child,
    pub port: u16,
    /// The directory the gateway serves: each subdirectory is a bucket.
    pub root: TempDir,
}

/// Whether the tests run against MinIO (`BINLOG_S3_SERVER=minio`) rather
/// than versitygw.
pub fn is_minio() -> bool {
    std::env::var("BINLOG_S3_SERVER").is_ok_and(|s| s == "minio")
}

/// Whether the tests run against moto's server (`BINLOG_S3_SERVER=moto`).
pub fn is_moto() -> bool {
    std::env::var("BINLOG_S3_SERVER").is_ok_and(|s| s == "moto")
}

/// The server's name and version, for messages.
pub fn server_name() -> String {
    if is_moto() {
        return format!("moto {MOTO_VERSION}");
    }
    match is_minio() {
        true => format!("MinIO {MINIO_VERSION}"),
        false => format!("versitygw {VERSION}"),
    }
}

/// The server's binary: `BINLOG_VERSITYGW` (`BINLOG_MINIO`, `BINLOG_MOTO`),
/// or where `make s3-server` (`make s3-server-minio`, `make
/// s3-server-moto`: a virtual environment's script) puts it.
pub fn binary() -> PathBuf {
    let (var, name) = if is_moto() {
        (
            "BINLOG_MOTO",
            format!("moto-{MOTO_VERSION}/bin/moto_server"),
        )
    } else if is_minio() {
        ("BINLOG_MINIO", format!("bin/minio-{MINIO_VERSION}"))
    } else {
        ("BINLOG_VERSITYGW", format!("bin/versitygw-{VERSION}"))
    };
    match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => tool(&name),
    }
}

/// `name` in the Makefile's tools cache (`~/.cache/libbinlog-tools`).
pub fn tool(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME");
    PathBuf::from(home)
        .join(".cache/libbinlog-tools")
        .join(name)
}

impl S3Server {
    /// Starts a server with the buckets `buckets` (made as directories
    /// before it starts) and waits until it answers.
    pub fn start(buckets: &[&str]) -> S3Server {
        let bin = binary();
        assert!(
            bin.exists(),
            "{} is missing: run `make s3-server` (or set BINLOG_VERSITYGW; \
             for {}, see tests/it/common/s3.rs)",
            bin.display(),
            server_name()
        );
        let root = TempDir::new("s3-root");
        for b in buckets {
            std::fs::create_dir_all(root.join(b)).unwrap();
        }
        // On another port when the server exits at once: the port the
        // kernel picked was taken again before the server bound it.
        let port = free_port();
        let child = spawn(&bin, port, root.path());
        let mut server = S3Server { child, port, root };
        let mut tries = 1;
        while !server.wait_until_answering() {
            assert!(tries < 3, "{} exited at once 3 times", server_name());
            tries += 1;
            server.port = free_port();
            server.child = spawn(&bin, server.port, server.root.path());
        }
        if is_moto() {
            buckets.iter().for_each(|b| server.make_bucket(b));
        }
        server
    }

    /// Makes bucket `name` with Object Lock enabled (as S3 allows only at
    /// a bucket's creation): for versitygw, its directory with the
    /// attribute its posix backend keeps that setting in (as a create with
    /// `x-amz-bucket-object-lock-enabled` writes it); for moto, that create.
    pub fn make_locked_bucket(&self, name: &str) {
        if is_moto() {
            return self.make_bucket_with(name, "x-amz-bucket-object-lock-enabled: true\r\n");
        }
        assert!(
            !is_minio(),
            "the Object Lock tests run on versitygw or moto"
        );
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let setting =
            br#"{"Enabled":true,"DefaultRetention":null,"CreatedAt":"2026-01-01T00:00:00Z"}"#;
        let path = std::ffi::CString::new(dir.into_os_string().into_encoded_bytes()).unwrap();
        let at = setting.as_ptr().cast();
        // SAFETY: a NUL-terminated path and the setting's bytes, both alive.
        let r = unsafe {
            libc::setxattr(
                path.as_ptr(),
                c"user.bucket-lock".as_ptr(),
                at,
                setting.len(),
                0,
            )
        };
        assert_eq!(r, 0, "setxattr: {}", std::io::Error::last_os_error());
    }

    /// Makes bucket `name` (moto's server, which keeps no directory): an
    /// unsigned PUT, which moto accepts as it checks no signature.
    fn make_bucket(&self, name: &str) {
        self.make_bucket_with(name, "")
    }

    /// `make_bucket`, the PUT carrying `headers` (each line ending "\r\n").
    fn make_bucket_with(&self, name: &str, headers: &str) {
        use std::io::{Read, Write};
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut s = TcpStream::connect(addr).expect("connect to moto");
        let put = format!(
            "PUT /{name} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n{headers}Content-Length: 0\r\n\r\n",
            self.port
        );
        s.write_all(put.as_bytes()).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
            "moto did not make bucket {name}: {answer}"
        );
    }

    /// Stops the server (SIGKILL), keeping its port and directory.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the stopped server again, on its port, over its directory.
    pub fn restart(&mut self) {
        assert!(!is_moto(), "moto's server keeps nothing across a restart");
        self.child = spawn(&binary(), self.port, self.root.path());
        assert!(
            self.wait_until_answering(),
            "{} exited at once",
            server_name()
        );
    }

    /// Whether the server this started still runs.
    fn child_runs(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until the server answers; false if it exited first (what
    /// answers then is not it).
    fn wait_until_answering(&mut self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        // moto's server, a Python program, takes about 4 s to start on an
        // idle 2-core host, and several times that on a loaded one.
        let wait = Duration::from_secs(if is_moto() { 90 } else { 20 });
        let deadline = Instant::now() + wait;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if !self.child_runs() {
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer on {addr}",
                server_name()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        while is_minio() && !minio_ready(addr) {
            assert!(Instant::now() < deadline, "MinIO not ready on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child_runs()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The connection settings of this server, with short timeouts.
    pub fn connection(&self) -> binlog::archive::Connection {
        connection_to(self.endpoint())
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
    /// each object as a file of its key's path; not MinIO).
    pub fn object_file(&self, bucket: &str, key: &str) -> PathBuf {
        assert!(
            !is_minio() && !is_moto(),
            "{} keeps no object as a file of its own",
            server_name()
        );
        self.root.join(bucket).join(key)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server on 127.0.0.1:`port` over `root`.
fn spawn(bin: &std::path::Path, port: u16, root: &std::path::Path) -> Child {
    let mut c = Command::new(bin);
    if is_moto() {
        c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    } else if is_minio() {
        c.args([
            "server",
            "--quiet",
            "--address",
            &format!("127.0.0.1:{port}"),
        ])
        .arg(root)
        .envs([
            ("MINIO_ROOT_USER", ACCESS_KEY),
            ("MINIO_ROOT_PASSWORD", SECRET_KEY),
            ("MINIO_REGION", REGION),
            ("MINIO_BROWSER", "off"),
            ("MINIO_KMS_SECRET_KEY", MINIO_KMS_SECRET_KEY),
        ]);
    } else {
        c.args(["--port", &format!("127.0.0.1:{port}")])
            .args([
                "--access", ACCESS_KEY, "--secret", SECRET_KEY, "--region", REGION, "--quiet",
            ])
            .arg("posix")
            .arg(root);
    }
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()))
}

/// Whether MinIO at `addr` says it is ready (it accepts connections
/// before it serves requests).
fn minio_ready(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0u8; 12];
    s.write_all(b"GET /minio/health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_ok()
        && s.read_exact(&mut answer).is_ok()
        && &answer[9..12] == b"200"
}

/// A port nothing listens on now (the kernel's pick, released).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The connection settings of the test servers (their keys, short
/// timeouts) to `endpoint`.
pub fn connection_to(endpoint: String) -> binlog::archive::Connection {
    binlog::archive::Connection {
        endpoint: Some(endpoint),
        region: Some(REGION.into()),
        access_key_id: Some(ACCESS_KEY.into()),
        secret_access_key: Some(SECRET_KEY.into()),
        virtual_hosted_style: Some(false),
        request_timeout: Some(Duration::from_secs(20)),
        retry_timeout: Some(Duration::from_secs(5)),
    }
}
