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
    /// In the file's order: each run starts where the last one ends.
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
    /// is built in memory, else through `buf` (grown to at most 1 MiB,
    /// once for all of a seal's runs) into the file.
    pub fn copy_run(
        &self,
        run: &SpillRun,
        out: &mut SealOut<'_>,
        at: u64,
        buf: &mut Vec<u8>,
        (path, records_end): (&Path, u64),
    ) -> Result<()> {
        let read = |e| Error::io_at(path, records_end, "read index spill", e);
        if let Some(bytes) = out.memory_at(at, run.len as usize) {
            return self.file.read_exact_at(bytes, run.at).map_err(read);
        }
        const CHUNK: u64 = 1 << 20;
        buf.resize(buf.len().max(run.len.min(CHUNK) as usize), 0);
        let mut done = 0;
        while done < run.len {
            let n = (run.len - done).min(CHUNK) as usize;
            self.file
                .read_exact_at(&mut buf[..n], run.at + done)
                .map_err(read)?;
            out.write_at(&buf[..n], at + done)
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
        self.memory_crcs_ahead = None;
        if self.spill.is_none() {
            let file = crate::sys::anonymous_file(dir)
                .map_err(|e| Error::io(dir, "create index spill file", e))?;
            let runs = Vec::new();
            self.spill = Some(Spill { file, runs });
        }
        let spill = self.spill.as_mut().expect("just created");
        for (t, offsets) in self.offsets.iter_mut().enumerate() {
            if offsets.is_empty() {
                continue;
            }
            let at = spill.runs.last().map_or(0, |r| r.at + r.len);
            spill
                .file
                .write_all_at(offsets, at)
                .map_err(|e| Error::io_at(dir, at, "write index spill file", e))?;
            spill.runs.push(SpillRun {
                type_id: t,
                at,
                len: offsets.len() as u64,
                crc: crate::format::crc32_sealing(offsets),
            });
            self.in_memory -= offsets.len() / OFFSET_LEN;
            offsets.clear();
        }
        Ok(())
    }
}
