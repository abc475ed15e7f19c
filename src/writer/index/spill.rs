//! The index's spill file: when the offsets in memory reach the index's
//! bound, each type's are appended to an unlinked temporary file as one run
//! of its seal array, with the run's CRC, and memory is reused. At sealing a
//! type's array is its runs in order, then its offsets still in memory;
//! its CRC is the runs' CRCs combined with that of the rest, so the spilled
//! bytes are copied into the seal without being looked at.

use super::{SealOut, SegmentIndex, OFFSET_LEN};
use crate::error::{Error, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

pub(super) struct Spill {
    file: File,
    len: u64,
    runs: Vec<SpillRun>,
}

/// Offsets of one type, spilled together: `len` bytes at `at` in the spill
/// file, whose CRC is `crc`.
pub(super) struct SpillRun {
    type_id: usize,
    at: u64,
    pub len: u64,
    pub crc: u32,
}

impl Spill {
    /// Type `t`'s runs, in the order they were spilled.
    pub fn runs_of(&self, t: usize) -> impl Iterator<Item = &SpillRun> {
        self.runs.iter().filter(move |r| r.type_id == t)
    }

    /// Copies `run` into `out` at `at`: read into the seal's bytes when it
    /// is built in memory, else inside the kernel from file to file, and
    /// what that could not copy through `buf` (grown to at most 1 MiB,
    /// once for all of a seal's runs).
    pub fn copy_run(
        &self,
        run: &SpillRun,
        out: &mut SealOut<'_>,
        at: u64,
        buf: &mut Vec<u8>,
        (path, records_end): (&Path, u64),
    ) -> Result<()> {
        let read = |e| Error::io_at(path, records_end, "read index spill", e);
        let to = match out {
            SealOut::File(to) => *to,
            SealOut::Memory { base, bytes } => {
                let from = (at - *base) as usize;
                let end = from + run.len as usize;
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                let into = &mut bytes[from..end];
                return self.file.read_exact_at(into, run.at).map_err(read);
            }
        };
        let done = crate::sys::copy_range(&self.file, run.at, to, at, run.len);
        self.copy_through(buf, run, done, (to, at), (path, records_end))
    }

    /// Copies `run` from its byte `done` on into `to` at `at` (its start)
    /// through `buf`.
    fn copy_through(
        &self,
        buf: &mut Vec<u8>,
        run: &SpillRun,
        mut done: u64,
        (to, at): (&File, u64),
        (path, records_end): (&Path, u64),
    ) -> Result<()> {
        let read = |e| Error::io_at(path, records_end, "read index spill", e);
        const CHUNK: u64 = 1 << 20;
        while done < run.len {
            let n = (run.len - done).min(CHUNK) as usize;
            if buf.len() < n {
                buf.resize(n, 0);
            }
            self.file
                .read_exact_at(&mut buf[..n], run.at + done)
                .map_err(read)?;
            to.write_all_at(&buf[..n], at + done)
                .map_err(|e| Error::io_at(path, records_end, "write seal", e))?;
            done += n as u64;
        }
        Ok(())
    }
}

impl SegmentIndex {
    /// Appends each type's offsets in memory to the spill file as a run,
    /// keeping the arrays' memory for what comes next. A type's offsets
    /// leave memory only once its run is written, so a failure leaves every
    /// type's array whole (its runs, then what is still in memory).
    pub(super) fn spill_out(&mut self, dir: &Path) -> Result<()> {
        if self.spill.is_none() {
            let file = crate::sys::anonymous_file(dir)
                .map_err(|e| Error::io(dir, "create index spill file", e))?;
            self.spill = Some(Spill {
                file,
                len: 0,
                runs: Vec::new(),
            });
        }
        let spill = self.spill.as_mut().expect("just created");
        for (t, offsets) in self.offsets.iter_mut().enumerate() {
            if offsets.is_empty() {
                continue;
            }
            spill
                .file
                .write_all_at(offsets, spill.len)
                .map_err(|e| Error::io(dir, "write index spill file", e))?;
            spill.runs.push(SpillRun {
                type_id: t,
                at: spill.len,
                len: offsets.len() as u64,
                crc: crate::format::crc32_sealing(offsets),
            });
            spill.len += offsets.len() as u64;
            self.in_memory -= offsets.len() / OFFSET_LEN;
            offsets.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::test_file::TestFile;
    use super::*;

    /// A run copied inside the kernel and one copied through the buffer
    /// (what the kernel could not copy, here all of it, or all but its
    /// first 1000 bytes) land as the same bytes in the seal's file.
    #[test]
    fn a_run_copied_through_the_buffer_equals_one_copied_in_the_kernel() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let mut index = SegmentIndex::new(4096, 300_000);
        for seq in 0..300_000u64 {
            index.add(0, seq * 37 + 5, seq, 0, 37, &dir);
        }
        let spill = index.spill.as_ref().expect("spilled");
        let run = spill.runs_of(0).next().expect("one run");
        assert_eq!(run.len, 300_000 * 8, "over two buffers' worth");
        let copied = |done: Option<u64>| {
            let t = TestFile::new("spill-copy");
            let at = 4096;
            match done {
                None => spill
                    .copy_run(
                        run,
                        &mut SealOut::File(&t.file),
                        at,
                        &mut Vec::new(),
                        (&t.path, 0),
                    )
                    .unwrap(),
                Some(done) => spill
                    .copy_through(&mut Vec::new(), run, done, (&t.file, at), (&t.path, 0))
                    .unwrap(),
            }
            let mut bytes = vec![0u8; run.len as usize];
            t.file.read_exact_at(&mut bytes, at).unwrap();
            bytes
        };
        let in_kernel = copied(None);
        assert_eq!(&in_kernel[8..16], &(37u64 + 5).to_le_bytes());
        assert!(copied(Some(0)) == in_kernel, "all through the buffer");
        let mut rest = copied(Some(1000));
        assert!(rest[..1000].iter().all(|&b| b == 0), "not copied twice");
        rest[..1000].copy_from_slice(&in_kernel[..1000]);
        assert!(rest == in_kernel, "the rest through the buffer");
    }
}
