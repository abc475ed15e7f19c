//! A remote segment's bytes, compressed or plain, read with ranged GETs:
//! its tail in one suffix GET at open; a seek's span in one GET
//! (`will_read`); any other read in one GET into a window that doubles
//! while reads are sequential and starts small again after a jump, until
//! a read-ahead thread (read_ahead.rs) streams the rest, in bounded
//! memory, up to where sequential reads end (`streams_end_at`). The last
//! few windows are kept, so that reads that alternate between places (the
//! seal's parts, the header's frame, a record's frame) fetch nothing twice.

use super::metadata::{check_size, ObjectMetadata};
use super::read_ahead::ReadAhead;
use super::remote::Remote;
use crate::compressed::Source;
use crate::error::Result;
use std::cell::{Cell, RefCell};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// How much of a compressed object's end the suffix GET at open fetches:
/// the seek table and the last frame (the sparse index, the seal directory
/// and the trailer), 9 KB for a segment of 480,000 records in 1 MiB
/// frames. What an open reads below it (the header's frame, a larger last
/// frame) costs one small ranged GET each.
pub const TAIL_BYTES: u64 = 16 << 10;
/// The same for a plain object: its trailer, seal directory and sparse
/// index (24 bytes per `sparse_interval` of records: 23 KB for a segment
/// of 63 MB), not its per-type offset arrays (8 bytes a record).
pub const PLAIN_TAIL_BYTES: u64 = 64 << 10;
/// The first GET after a jump fetches at least this much: a small frame
/// (the header's, `SEAL_BEGIN`) and the few small frames after it.
const WINDOW_MIN: usize = 4 << 10;
/// Sequential GETs double up to this much each.
const WINDOW_MAX: usize = 4 << 20;
/// Windows kept (at most `WINDOWS * WINDOW_MAX` bytes, besides the tail
/// and the read-ahead's 8 MiB).
const WINDOWS: usize = 3;
/// A sequential read whose window has doubled to this (the fourth GET in
/// a row) starts a read-ahead: a seek and the frame after it do not.
const READ_AHEAD_AFTER: usize = 8 * WINDOW_MIN;

pub struct RemoteSource {
    remote: Arc<Remote>,
    key: String,
    len: u64,
    /// The object's bytes from `tail_at` to its end.
    tail: Vec<u8>,
    tail_at: u64,
    /// Where the object's records end (the sequence number after its
    /// last), as its metadata says; `None` for an object without it.
    pub records_end: Option<u64>,
    /// Whether its size is not the one its metadata says (which only an
    /// open with `salvage` lets pass).
    pub resized: bool,
    /// The bytes of the last few ranged GETs, the most recently used first.
    windows: RefCell<Vec<Window>>,
    /// The read-ahead of a sequential read, if one is streaming.
    ahead: RefCell<Option<ReadAhead>>,
    /// Where a read-ahead stops (`streams_end_at`; at most `tail_at`).
    stream_end: Cell<u64>,
}

/// The bytes one ranged GET fetched, and how much a GET that continues
/// them fetches.
struct Window {
    at: u64,
    bytes: Vec<u8>,
    next_len: usize,
}

impl Window {
    fn end(&self) -> u64 {
        self.at + self.bytes.len() as u64
    }
}

impl RemoteSource {
    /// Fetches the last `tail_bytes` of the object at `key`; a missing
    /// object is a `NotFound` error naming it. Unless `salvage`, an object
    /// whose size is not the one its metadata says is a `Corrupt` error
    /// naming it and the offset where the two part (`check_size`).
    pub fn open(
        remote: Arc<Remote>,
        key: &str,
        tail_bytes: u64,
        salvage: bool,
    ) -> Result<RemoteSource> {
        let Some(suffix) = remote.get_suffix(key, tail_bytes)? else {
            return Err(remote.no_such_object(key));
        };
        if !salvage {
            let url = remote.location().url_of(key);
            check_size(Path::new(&url), suffix.size, suffix.metadata.as_ref())?;
        }
        let meta = suffix.metadata.as_ref();
        let records_end = meta.map(ObjectMetadata::records_end);
        let resized = meta.is_some_and(|m| m.bytes != suffix.size);
        let (tail, len) = (suffix.bytes, suffix.size);
        let tail_at = len.saturating_sub(tail.len() as u64);
        Ok(RemoteSource {
            remote,
            key: key.to_string(),
            len,
            tail,
            tail_at,
            records_end,
            resized,
            windows: RefCell::new(Vec::new()),
            ahead: RefCell::new(None),
            stream_end: Cell::new(tail_at),
        })
    }

    /// Fetches bytes from `offset` (below `tail_at`) into a new window,
    /// the first of `windows`: as many as `want`, at least twice the
    /// window it continues (or `WINDOW_MIN`), never into the tail; from
    /// the read-ahead once sequential reads have grown the window enough.
    fn fetch(&self, windows: &mut Vec<Window>, offset: u64, want: usize) -> io::Result<()> {
        let continued = windows.iter().position(|w| w.end() == offset);
        let len = match continued {
            // Past where sequential reads end, reads are the seal's few.
            Some(_) if offset >= self.stream_end.get() => WINDOW_MIN,
            // The window continued stays (while one of the last
            // `WINDOWS`): a record cut across the two reads both again.
            Some(i) => (windows[i].next_len * 2).min(WINDOW_MAX),
            None => WINDOW_MIN,
        };
        let bytes = match self.read_ahead(offset, len)? {
            Some(bytes) => bytes,
            None => {
                let end = (offset + want.max(len) as u64).min(self.tail_at);
                self.remote
                    .get_range(&self.key, offset..end)
                    .map_err(io::Error::other)?
            }
        };
        if bytes.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        keep(windows, offset, bytes, len);
        Ok(())
    }

    /// The read-ahead's next bytes, if they start at `offset`: one is
    /// started for a sequential read whose window reached `len` (below
    /// `stream_end`), and stopped by a read elsewhere, its end or a
    /// failure. `None`: no read-ahead.
    fn read_ahead(&self, offset: u64, len: usize) -> io::Result<Option<Vec<u8>>> {
        let mut ahead = self.ahead.borrow_mut();
        let stale = |a: &ReadAhead| a.next_at() != offset || a.is_done();
        if ahead.as_ref().is_some_and(stale) {
            *ahead = None;
        }
        let end = self.stream_end.get();
        if ahead.is_none() && len >= READ_AHEAD_AFTER && offset < end {
            let remote = Arc::clone(&self.remote);
            *ahead = Some(ReadAhead::start(remote, &self.key, offset..end)?);
        }
        let Some(a) = ahead.as_mut() else {
            return Ok(None);
        };
        let taken = a.take();
        if taken.is_err() {
            *ahead = None;
        }
        taken.map(Some)
    }
}

/// Keeps `bytes`, fetched from `at`, as the first of `windows` (the most
/// recently used), continued by a GET of `next_len`.
fn keep(windows: &mut Vec<Window>, at: u64, bytes: Vec<u8>, next_len: usize) {
    windows.insert(
        0,
        Window {
            at,
            bytes,
            next_len,
        },
    );
    windows.truncate(WINDOWS);
}

/// Copies what `held` (bytes from `at`) has at `offset` into `buf`; how
/// many it copied (0 if it holds nothing there).
fn copy_from(held: &[u8], at: u64, offset: u64, buf: &mut [u8]) -> usize {
    let skip = offset.checked_sub(at).and_then(|s| usize::try_from(s).ok());
    let Some(rest) = skip.and_then(|s| held.get(s..)) else {
        return 0;
    };
    let n = rest.len().min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    n
}

impl Source for RemoteSource {
    fn size(&self) -> io::Result<u64> {
        Ok(self.len)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        if offset >= self.tail_at {
            return Ok(copy_from(&self.tail, self.tail_at, offset, buf));
        }
        let mut windows = self.windows.borrow_mut();
        let holding = |w: &Window| (w.at..w.end()).contains(&offset);
        match windows.iter().position(holding) {
            // The window holding it becomes the first (the most recently used).
            Some(i) => windows[..=i].rotate_right(1),
            None => self.fetch(&mut windows, offset, buf.len())?,
        }
        let w = &windows[0];
        Ok(copy_from(&w.bytes, w.at, offset, buf))
    }

    /// Fetches `offset..offset + len` (up to `WINDOW_MAX` bytes, not into
    /// the tail) in one GET unless it is held: a new window, which a read
    /// that continues it continues as it does a jump's first window. A
    /// failed GET is left to the reads, which fail with their own.
    fn will_read(&self, offset: u64, len: u64) {
        if offset >= self.tail_at || self.holds(offset, len) {
            return;
        }
        let end = offset.saturating_add(len.min(WINDOW_MAX as u64));
        // A failed GET fetched nothing, as an empty one.
        let got = self
            .remote
            .get_range(&self.key, offset..end.min(self.tail_at));
        let bytes = got.unwrap_or_default();
        if !bytes.is_empty() {
            keep(&mut self.windows.borrow_mut(), offset, bytes, WINDOW_MIN);
        }
    }

    fn streams_end_at(&self, end: u64) {
        self.stream_end.set(end.min(self.tail_at));
    }

    /// In the tail or in one of the windows kept (not in a read-ahead's
    /// queue: a streaming read does not open segments).
    fn holds(&self, offset: u64, len: u64) -> bool {
        let Some(end) = offset.checked_add(len).filter(|&e| e <= self.len) else {
            return false;
        };
        let held = |w: &Window| w.at <= offset && end <= w.end();
        offset >= self.tail_at || self.windows.borrow().iter().any(held)
    }
}
