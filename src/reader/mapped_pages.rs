//! The pages of the reader's mapping handed back behind a sequential read,
//! and the reads with pread that stand in for the mapping where a writer
//! may cut the file (see `source::map_file`).

use super::Reader;
use memmap2::UncheckedAdvice;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Frames up to this size that the per-type index points at may be copied
/// into the reader's buffer with pread (see `Reader::read_indexed`); larger
/// ones are read through the mapping, where faults are few per byte.
pub(super) const PREAD_MAX: usize = 64 * 1024;

/// A sequential reader hands back the pages behind it every this many bytes.
const RELEASE_EVERY: usize = 64 << 20;
/// Released ranges start and end on this boundary: a multiple of any page
/// size Linux uses for file mappings, and of the 2 MiB a large folio may be
/// mapped with (releasing part of one would split its mapping).
const RELEASE_ALIGN: usize = 2 << 20;

/// Reads `file` at `offset` into `buf[..len]` (growing `buf` if needed)
/// until `len` bytes or the end of the file; returns how many it read.
pub(super) fn read_upto(
    file: &File,
    buf: &mut Vec<u8>,
    offset: u64,
    len: usize,
) -> io::Result<usize> {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    let mut n = 0;
    while n < len {
        match file.read_at(&mut buf[n..len], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl Reader {
    /// Hands back to the kernel the mapped pages of records already passed,
    /// every `RELEASE_EVERY` bytes, so a pass over a multi-GB segment keeps
    /// a bounded resident size (the pages stay in the page cache).
    #[inline(always)]
    pub(super) fn release_behind(&mut self) {
        if self.pos >= self.released_below.saturating_add(RELEASE_EVERY) {
            self.release_behind_now();
        }
    }

    /// `release_behind`'s release, out of line: once every
    /// `RELEASE_EVERY` bytes.
    #[inline(never)]
    fn release_behind_now(&mut self) {
        // The position may be past the mapping (an index offset from a
        // hostile file): never advise beyond it.
        let pos = self.pos.min(self.map.len());
        if pos < self.released_below.saturating_add(RELEASE_EVERY) {
            return;
        }
        let upto = pos & !(RELEASE_ALIGN - 1);
        // SAFETY: called at the start of `next`/`next_found`, which take the
        // reader mutably: no record view into the mapping is alive (C views
        // are documented to die at the next call). MADV_DONTNEED on a shared
        // read-only file mapping only drops this process's mapping of the
        // pages; touching them again reads them back from the file.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                UncheckedAdvice::DontNeed,
                self.released_below,
                upto - self.released_below,
            )
        };
        self.released_below = upto;
    }
}
