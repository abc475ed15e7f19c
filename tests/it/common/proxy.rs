//! A loopback TCP proxy between a client and the S3 server that misbehaves
//! on purpose: for chosen requests (by method and a part of the path with
//! its query, e.g. `?uploads`, `?partNumber=2&`, `?uploadId=` for the
//! requests of a multipart upload) it answers 503 itself, resets the
//! connection part way through the body, stalls, or lets the server do
//! the request and loses its answer, then closes. Everything else passes through byte for byte. The
//! proxy reads requests one after another on each connection (the client
//! does not pipeline: a new request starts once the previous response
//! came), so it parses only their heads and Content-Length bodies;
//! responses are copied as they come. Std threads only; it stops when
//! dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to a request a fault matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Answers `503 Slow Down` without passing the request on.
    Answer503,
    /// Answers `501 Not Implemented` without passing the request on, with
    /// the error MinIO gives an encrypted PUT when it has no KMS
    /// (`NO_KMS`).
    Answer501,
    /// Answers `403 Forbidden` (`AccessDenied`) without passing the
    /// request on: what S3 answers credentials without the permission
    /// (a DELETE by a key that may only read and write).
    Answer403,
    /// Passes the head and half the body on, then resets both connections.
    ResetMidBody,
    /// Holds the request this long without passing it on, then closes.
    Stall(Duration),
    /// Passes the request on (on a connection of its own), waits for the
    /// server's answer, and answers `503 Slow Down` instead: done, but
    /// the client is told it failed.
    ServerThen503,
    /// As `ServerThen503`, but resets the client's connection instead.
    ServerThenReset,
}

/// A fault for the next `times` requests whose method is `method` and
/// whose path (with its query) contains `path_part`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: &'static str,
    pub path_part: String,
    pub action: Action,
    pub times: usize,
}

#[derive(Default)]
struct Shared {
    faults: Mutex<Vec<Fault>>,
    /// The requests faults were applied to: (method, path, action).
    hits: Mutex<Vec<(String, String, Action)>>,
    stop: AtomicBool,
}

pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Proxy {
    /// A proxy on a free port of 127.0.0.1 to `upstream` (a port there).
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(client, upstream, &s));
            }
        });
        Proxy { port, shared }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn add(&self, f: Fault) {
        self.shared.faults.lock().unwrap().push(f);
    }

    /// Removes every fault not used up yet.
    pub fn clear(&self) {
        self.shared.faults.lock().unwrap().clear();
    }

    /// The requests faults were applied to: (method, path, action).
    pub fn hits(&self) -> Vec<(String, String, Action)> {
        self.shared.hits.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)); // wakes accept
    }
}

/// One client connection: its requests in order, each passed on or
/// faulted; the upstream's bytes copied back by a thread of their own.
fn serve(client: TcpStream, upstream: u16, s: &Shared) {
    let Ok(server) = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream)) else {
        return; // the server is down: the client sees its connection closed
    };
    let (mut back_from, mut back_to) = (server.try_clone().unwrap(), client.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut back_from, &mut back_to);
        let _ = back_to.shutdown(Shutdown::Write);
    });
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut to_server = server;
    while let Some((head, method, path, length)) = read_head(&mut reader) {
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            break;
        }
        match take_fault(s, &method, &path) {
            None => {
                if to_server
                    .write_all(&head)
                    .and_then(|_| to_server.write_all(&body))
                    .is_err()
                {
                    break;
                }
            }
            Some(action) => {
                s.hits.lock().unwrap().push((method, path, action));
                apply(action, (&head, &body), &client, &mut to_server, upstream);
                break;
            }
        }
    }
    let _ = to_server.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
}

const SLOW_DOWN: &str = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// The message of MinIO's 501 to an encrypted PUT when it has no KMS.
pub const NO_KMS: &str = "Server side encryption specified but KMS is not configured";

/// A `501 Not Implemented` answer holding `NO_KMS`, as MinIO's.
fn not_implemented() -> String {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NotImplemented</Code>\
         <Message>{NO_KMS}</Message></Error>"
    );
    format!(
        "HTTP/1.1 501 Not Implemented\r\nContent-Type: application/xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn access_denied() -> String {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
                <Message>Access Denied</Message></Error>";
    format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn apply(
    action: Action,
    (head, body): (&[u8], &[u8]),
    client: &TcpStream,
    server: &mut TcpStream,
    upstream: u16,
) {
    match action {
        Action::Answer503 => {
            let _ = (&*client).write_all(SLOW_DOWN.as_bytes());
        }
        Action::Answer501 => {
            let _ = (&*client).write_all(not_implemented().as_bytes());
        }
        Action::Answer403 => {
            let _ = (&*client).write_all(access_denied().as_bytes());
        }
        Action::ServerThen503 | Action::ServerThenReset => {
            done_upstream(head, body, upstream);
            match action {
                Action::ServerThen503 => {
                    let _ = (&*client).write_all(SLOW_DOWN.as_bytes());
                }
                _ => reset(client),
            }
        }
        Action::ResetMidBody => {
            let _ = server.write_all(head);
            let _ = server.write_all(&body[..body.len() / 2]);
            reset(server);
            reset(client);
        }
        Action::Stall(d) => std::thread::sleep(d),
    }
}

/// Sends a request on a new connection to the server and reads its
/// answer's head and Content-Length body: once this returns, the server
/// has done the request (the answer is dropped).
fn done_upstream(head: &[u8], body: &[u8], upstream: u16) {
    let Ok(mut server) = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream)) else {
        return;
    };
    if server
        .write_all(head)
        .and_then(|_| server.write_all(body))
        .is_err()
    {
        return;
    }
    let mut answer = BufReader::new(server);
    if let Some((_, _, _, length)) = read_head(&mut answer) {
        let _ = answer.read_exact(&mut vec![0u8; length]);
    }
}

/// Closes `s` with a reset (SO_LINGER 0) instead of an orderly FIN.
fn reset(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a linger struct of the size given.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    let _ = s.shutdown(Shutdown::Both);
}

/// The first fault matching the request, used once.
fn take_fault(s: &Shared, method: &str, path: &str) -> Option<Action> {
    let mut faults = s.faults.lock().unwrap();
    let f = faults
        .iter_mut()
        .find(|f| f.times > 0 && f.method == method && path.contains(&f.path_part))?;
    f.times -= 1;
    Some(f.action)
}

/// A request's head (bytes as received), method, path and Content-Length
/// (of an answer: its version, status and Content-Length); `None` at the
/// end of the connection.
fn read_head(r: &mut BufReader<TcpStream>) -> Option<(Vec<u8>, String, String, usize)> {
    let mut head = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.extend_from_slice(line.as_bytes());
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if line == "\r\n" {
            break;
        }
    }
    let first = String::from_utf8_lossy(&head).lines().next()?.to_string();
    let mut parts = first.split(' ');
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    Some((head, method, path, length))
}
