//! An object's next bytes fetched ahead of a sequential reader: ranged
//! GETs of `CHUNK` bytes each, issued in order on a thread of their own,
//! so that fetching overlaps what the reader does with the bytes before
//! (decompressing, checking records). At most `QUEUED` chunks wait to be
//! taken and one is being fetched: memory stays bounded whatever the
//! object's size.
//!
//! The thread stops after a failed or short GET (the error, or the end,
//! goes to the reader in order), at the end of its range, or once the
//! reader drops its `ReadAhead` (its next send fails). It is not joined:
//! a GET in flight when the reader is dropped (a stalled server) ends on
//! its own, bounded by the client's timeout, without holding the reader.

use super::remote::Remote;
use std::io;
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Bytes each GET of the read-ahead fetches.
pub const CHUNK: u64 = 4 << 20;
/// Chunks fetched and not yet taken, at most (besides the one a GET is
/// fetching): at most `(QUEUED + 1) * CHUNK` bytes ahead of the reader.
pub const QUEUED: usize = 1;

/// A GET's outcome, as the fetching thread hands it over.
type Chunk = io::Result<Vec<u8>>;

pub struct ReadAhead {
    /// Where the next chunk taken starts.
    next: u64,
    /// Where the range fetched ends.
    end: u64,
    chunks: Receiver<Chunk>,
}

impl ReadAhead {
    /// Starts fetching bytes `range` of the object at `key`, in order.
    pub fn start(remote: Arc<Remote>, key: &str, range: Range<u64>) -> io::Result<ReadAhead> {
        let (tx, chunks) = sync_channel(QUEUED);
        let (key, next, end) = (key.to_string(), range.start, range.end);
        std::thread::Builder::new()
            .name("binlog-read-ahead".into())
            .spawn(move || fetch(&remote, &key, range, &tx))?;
        Ok(ReadAhead { next, end, chunks })
    }

    /// Where the next chunk `take` returns starts.
    pub fn next_at(&self) -> u64 {
        self.next
    }

    /// Whether it fetched its whole range and every chunk was taken.
    pub fn is_done(&self) -> bool {
        self.next >= self.end
    }

    /// The next chunk's bytes (never empty), from `next_at`. A failed GET
    /// is its error; an object that ended before the range did is
    /// `UnexpectedEof` once its last bytes were taken.
    pub fn take(&mut self) -> io::Result<Vec<u8>> {
        // The thread stopped (the channel is closed): nothing more.
        let bytes = self.chunks.recv().unwrap_or(Ok(Vec::new()))?;
        if bytes.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.next += bytes.len() as u64;
        Ok(bytes)
    }
}

/// The fetching thread: GETs `range` a chunk at a time into `tx` until
/// the range ends, a GET fails or comes back short, or the reader is
/// gone.
fn fetch(remote: &Remote, key: &str, range: Range<u64>, tx: &SyncSender<Chunk>) {
    let mut at = range.start;
    while at < range.end {
        let end = range.end.min(at + CHUNK);
        let got = remote.get_range(key, at..end).map_err(io::Error::other);
        let whole = got.as_ref().is_ok_and(|b| b.len() as u64 == end - at);
        if tx.send(got).is_err() || !whole {
            return;
        }
        at = end;
    }
}
