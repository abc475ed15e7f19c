//! What the writer's state and its write-behind thread pass each other: a
//! full buffer to write (`Job`), what came of the buffers written since the
//! writer last looked (`Finished`, with a `Failed` write and the bytes it
//! left unwritten), how many buffers may be in flight, and the one rule of
//! a failed write, whichever thread wrote: the file cut back to whole
//! records, and every byte not written in it handed back.

use crate::format::{frame, frame::whole_frames_len};
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::time::Instant;

/// Full buffers that may be queued or being written at once: three 2 MiB
/// pairs, so that the caller may run a pair ahead of the pair being written
/// (4 coupled the threads at every pair: 600 B batches 1.07x faster with
/// 6, 8 no faster than 6; docs/PERFORMANCE.md, a).
pub const DEPTH: usize = 6;

/// A signed segment's running digest, which every byte written goes
/// through (`sign::Running`); `None` unsigned.
#[cfg(feature = "sign")]
pub type Tap = Option<std::sync::Arc<crate::sign::Running>>;
#[cfg(not(feature = "sign"))]
pub type Tap = Option<std::sync::Arc<()>>;

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
    /// The segment's running digest, fed the buffer before it is written
    /// (`sign::Running::wrote`).
    #[cfg_attr(not(feature = "sign"), allow(dead_code))]
    pub tap: Tap,
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

/// Writes what is left of `job`'s buffer after its first `written` bytes.
pub fn write_remainder(file: &File, job: Job, mut written: usize) -> Result<Vec<u8>, Failed> {
    while written < job.buf.len() {
        let err = match file.write_at(&job.buf[written..], job.offset + written as u64) {
            Ok(0) => io::ErrorKind::WriteZero.into(),
            Ok(n) => {
                written += n;
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => e,
        };
        return Err(failed_write(file, job, written, err));
    }
    Ok(job.buf)
}

/// `job`'s write failed after `written` bytes: cuts the file back to the
/// end of the last whole record (to the start of a record the job was to
/// complete, if that did not happen) and hands back every byte after it.
fn failed_write(file: &File, job: Job, written: usize, err: io::Error) -> Failed {
    if written < job.split_tail_len {
        // The record begun in the buffer before is not whole in the file:
        // cut it off from where it starts and give all of it back.
        let start = job.offset - job.split_head.len() as u64;
        let mut unwritten = job.split_head;
        unwritten.extend_from_slice(&job.buf);
        return Failed {
            written_whole: 0,
            cut_back: job.offset - start,
            unwritten,
            err,
            cut_err: file.set_len(start).err(),
        };
    }
    let whole = job.split_tail_len + whole_frames_len(&job.buf[job.split_tail_len..written]);
    let cut_err = (whole < written).then(|| file.set_len(job.offset + whole as u64).err());
    Failed {
        written_whole: whole as u64,
        cut_back: 0,
        unwritten: job.buf[whole..].to_vec(),
        err,
        cut_err: cut_err.flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::test_file::TestFile;

    /// A frame of `len` body bytes (`whole_frames_len` reads the length).
    fn frame(fill: u8, len: usize) -> Vec<u8> {
        let mut v = (len as u32).to_le_bytes().to_vec();
        v.extend_from_slice(&[0; 4]);
        v.resize(crate::format::FRAME_HEADER_LEN + len, fill);
        v
    }

    /// A buffer that starts by ending a record of the buffer before: a
    /// write that fails before that record is whole cuts the file back to
    /// the record's start and returns all of it; one that fails after keeps
    /// it and the whole records that follow.
    #[test]
    fn failed_write_inside_a_record_split_across_buffers() {
        let t = TestFile::new("behind-lead");
        let whole = frame(1, 100);
        let split = frame(2, 300);
        let after = frame(3, 50);
        let (head, tail) = split.split_at(120);
        let before = [whole.clone(), head.to_vec()].concat();
        std::fs::write(&t.path, &before).unwrap();
        let buf = [tail, &after[..]].concat();
        let job = || Job {
            buf: buf.clone(),
            offset: before.len() as u64,
            split_tail_len: tail.len(),
            split_head: head.to_vec(),
            unsealed: 0..0,
            due: None,
            tap: Default::default(),
        };
        let err = || io::Error::from(io::ErrorKind::StorageFull);

        // Failed 10 bytes into the record's end: cut back to its start.
        std::fs::write(&t.path, [&before[..], &tail[..10]].concat()).unwrap();
        let f = failed_write(&t.file, job(), 10, err());
        assert_eq!((f.written_whole, f.cut_back), (0, head.len() as u64));
        assert_eq!(f.unwritten, [split.clone(), after.clone()].concat());
        assert!(f.cut_err.is_none());
        assert_eq!(
            std::fs::read(&t.path).unwrap(),
            whole,
            "cut at the record's start"
        );

        // Failed inside the next record: the split one is whole and stays.
        std::fs::write(&t.path, [&before[..], &buf[..tail.len() + 7]].concat()).unwrap();
        let f = failed_write(&t.file, job(), tail.len() + 7, err());
        assert_eq!((f.written_whole, f.cut_back), (tail.len() as u64, 0));
        assert_eq!(f.unwritten, after);
        assert_eq!(
            std::fs::read(&t.path).unwrap(),
            [whole.clone(), split.clone()].concat()
        );
    }
}
