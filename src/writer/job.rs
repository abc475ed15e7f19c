//! What the writer's state and its write-behind thread pass each other: a
//! full buffer to write (`Job`), what came of the buffers written since the
//! writer last looked (`Finished`, with a `Failed` write and the bytes it
//! left unwritten), how many buffers may be in flight, and where the whole
//! frames at a buffer's front end (both sides cut a failed write there).

use crate::format::frame;
use std::io;
use std::ops::Range;
use std::time::Instant;

/// Full buffers that may be queued or being written at once.
pub const DEPTH: usize = 4;

/// A buffer to write at `offset`; see `WriteBehind::submit`.
pub struct Job {
    pub buf: Vec<u8>,
    pub offset: u64,
    /// The buffer's first `split_tail_len` bytes end a record begun in the
    /// buffer before, whose bytes there `split_head` holds.
    pub split_tail_len: usize,
    pub split_head: Vec<u8>,
    /// The frames in this range of `buf` have no CRC yet (`split_head` and
    /// any bytes outside the range are sealed); see [`Job::seal`].
    pub unsealed: Range<usize>,
    /// When the buffer's oldest record must reach the OS
    /// (`Options::flush_delay`), if it holds a record a write call returned
    /// with: a pair's first half waits for the second no later.
    pub due: Option<Instant>,
}

impl Job {
    /// Fills in the CRCs the buffer lacks. Done before the first attempt to
    /// write it, and before its bytes go back to the writer unwritten, so
    /// that no unsealed frame ever reaches the file or the writer's buffer.
    #[inline]
    pub fn seal(&mut self) {
        let range = std::mem::take(&mut self.unsealed);
        frame::seal_frames(&mut self.buf[range]);
    }

    /// The file offset just past the buffer.
    #[inline]
    pub fn end(&self) -> u64 {
        self.offset + self.buf.len() as u64
    }
}

/// A write that failed, and everything queued behind it.
pub struct Failed {
    /// Bytes of the failed buffer (whole records) that are in the file; the
    /// file was cut there.
    pub written_whole: u64,
    /// Bytes before the failed buffer's start that were cut off with it:
    /// the first part of a record the buffer was to complete (0 if it did
    /// not start inside a record, or completed it).
    pub cut_back: u64,
    /// The bytes that were not written: the cut-back part, the rest of the
    /// failed buffer and every buffer queued after it, in order, sealed.
    pub unwritten: Vec<u8>,
    pub err: io::Error,
    /// Cutting a partial record off failed too: the file is suspect.
    pub cut_err: Option<io::Error>,
}

impl Failed {
    /// The thread panicked: the bytes in flight are lost and the file may
    /// hold part of them, so the writer must not go on (`cut_err`).
    pub fn panicked() -> Failed {
        let err = || io::Error::other("the write-behind thread panicked");
        Failed {
            written_whole: 0,
            cut_back: 0,
            unwritten: Vec::new(),
            err: err(),
            cut_err: Some(err()),
        }
    }
}

/// What the writer takes back from the thread.
#[derive(Default)]
pub struct Finished {
    /// Buffers written in full, in order, for reuse (not yet cleared).
    pub written: Vec<Vec<u8>>,
    pub failed: Option<Failed>,
}
