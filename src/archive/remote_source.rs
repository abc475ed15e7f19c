//! A remote compressed segment's bytes, read with ranged GETs: opening
//! fetches the object's tail in one suffix GET (its seek table, seal
//! frames and last record frames, for a segment of ordinary size); every
//! read outside what was fetched is one ranged GET into a window that
//! grows while reads are sequential (a full read streams with read-ahead,
//! in bounded memory) and starts small again after a jump (a seek fetches
//! about the frames it needs).

use super::remote::Remote;
use crate::compressed::Source;
use crate::error::{Error, ErrorKind, Result};
use std::cell::RefCell;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// How much of an object's end the suffix GET at open fetches.
pub const TAIL_BYTES: u64 = 128 << 10;
/// The first GET after a jump fetches at least this much.
const WINDOW_MIN: usize = 32 << 10;
/// Sequential GETs double up to this much each (the memory a full read
/// holds, besides the tail).
const WINDOW_MAX: usize = 4 << 20;

pub struct RemoteSource {
    remote: Arc<Remote>,
    key: String,
    len: u64,
    /// The object's bytes from `tail_at` to its end.
    tail: Vec<u8>,
    tail_at: u64,
    window: RefCell<Window>,
}

/// The bytes the last ranged GET fetched, and how much the next fetches.
struct Window {
    at: u64,
    bytes: Vec<u8>,
    next_len: usize,
}

impl RemoteSource {
    /// Fetches the tail of the object at `key`; a missing object is a
    /// `NotFound` error naming it.
    pub fn open(remote: Arc<Remote>, key: &str) -> Result<RemoteSource> {
        let Some((tail, len)) = remote.get_suffix(key, TAIL_BYTES)? else {
            let url = remote.location().url_of(key);
            return Err(Error::file(
                ErrorKind::NotFound,
                Path::new(&url),
                "no such object",
            ));
        };
        let tail_at = len.saturating_sub(tail.len() as u64);
        Ok(RemoteSource {
            remote,
            key: key.to_string(),
            len,
            tail,
            tail_at,
            window: RefCell::new(Window {
                at: 0,
                bytes: Vec::new(),
                next_len: WINDOW_MIN,
            }),
        })
    }

    /// Fetches bytes from `offset` (below `tail_at`) into the window: as
    /// many as `want`, at least the window's length, never into the tail.
    fn fetch(&self, w: &mut Window, offset: u64, want: usize) -> io::Result<()> {
        let sequential = !w.bytes.is_empty() && offset == w.at + w.bytes.len() as u64;
        w.next_len = match sequential {
            true => (w.next_len * 2).min(WINDOW_MAX),
            false => WINDOW_MIN,
        };
        let end = (offset + want.max(w.next_len) as u64).min(self.tail_at);
        let bytes = self
            .remote
            .get_range(&self.key, offset..end)
            .map_err(io::Error::other)?;
        if bytes.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        (w.at, w.bytes) = (offset, bytes);
        Ok(())
    }
}

/// Copies what `held` (bytes from `at`) has at `offset` into `buf`; how
/// many it copied (0 if it holds nothing there).
fn copy_from(held: &[u8], at: u64, offset: u64, buf: &mut [u8]) -> usize {
    let Some(skip) = offset.checked_sub(at) else {
        return 0;
    };
    let Some(rest) = usize::try_from(skip).ok().and_then(|s| held.get(s..)) else {
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
        let mut w = self.window.borrow_mut();
        let n = copy_from(&w.bytes, w.at, offset, buf);
        if n > 0 {
            return Ok(n);
        }
        self.fetch(&mut w, offset, buf.len())?;
        Ok(copy_from(&w.bytes, w.at, offset, buf))
    }
}
