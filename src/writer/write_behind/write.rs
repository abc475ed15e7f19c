//! Writing one job's buffer, and what a failed write leaves: the file cut
//! back to whole records, and every byte not written in it handed back.

use crate::format::frame::whole_frames_len;
use crate::writer::job::{Failed, Job};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Writes what is left of `job`'s buffer after its first `written` bytes.
pub(super) fn write_remainder(
    file: &File,
    job: Job,
    mut written: usize,
) -> Result<Vec<u8>, Failed> {
    while written < job.buf.len() {
        match file.write_at(&job.buf[written..], job.offset + written as u64) {
            Ok(0) => {
                return Err(failed_write(
                    file,
                    job,
                    written,
                    io::ErrorKind::WriteZero.into(),
                ))
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed_write(file, job, written, e)),
        }
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
    let cut_err = if whole < written {
        file.set_len(job.offset + whole as u64).err()
    } else {
        None
    };
    Failed {
        written_whole: whole as u64,
        cut_back: 0,
        unwritten: job.buf[whole..].to_vec(),
        err,
        cut_err,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_jobs::frame;
    use super::*;
    use crate::writer::test_file::TestFile;

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
