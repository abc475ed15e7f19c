//! The pages of the reader's mapping handed back behind a sequential read,
//! and the reads with pread that stand in for the mapping where a writer
//! may cut the file (see `source::map_file`).

use super::Reader;
use memmap2::{Mmap, UncheckedAdvice};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// A reader's mapping of its segment file, kept mapped while a `Mapping`
/// of it lives, whatever the reader does meanwhile (remap a grown file,
/// move to another segment, close). Bytes of records the reader returned
/// from it stay readable there: for callers that hand out record
/// positions rather than copies (the C ABI's `binlog_reader_next_mapped`).
#[derive(Clone)]
pub struct Mapping(Arc<Mmap>);

impl Mapping {
    /// The mapped bytes (empty for a compressed segment, whose records are
    /// decoded elsewhere).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether `part` lies wholly in the mapping.
    #[inline]
    pub fn holds(&self, part: &[u8]) -> bool {
        self.offset_of(part.as_ptr() as usize, part.len()).is_some()
    }

    /// The offset in the mapping of the `len` bytes at address `addr`, if
    /// they lie wholly in it.
    #[inline]
    pub fn offset_of(&self, addr: usize, len: usize) -> Option<usize> {
        let at = addr.checked_sub(self.0.as_ptr() as usize)?;
        (at <= self.0.len() && len <= self.0.len() - at).then_some(at)
    }
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mapping({} bytes)", self.0.len())
    }
}

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
    /// The mapping the records are read from now (see [`Mapping`]). A
    /// record's payload may lie elsewhere (a copy read with pread, a
    /// compressed segment's decoded frames): `Mapping::holds` says. For the
    /// C ABI's mapped reads; not part of the Rust API.
    #[doc(hidden)]
    pub fn mapping(&self) -> Mapping {
        Mapping(Arc::clone(&self.map))
    }

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
