//! Preallocation: the writer reserves disk blocks a chunk ahead of its end
//! of file (fallocate with FALLOC_FL_KEEP_SIZE) before writing into them:
//! that skips ext4's delayed-allocation bookkeeping on every page
//! (docs/PERFORMANCE.md) and keeps a segment's blocks together. The file's
//! size never changes, so readers and recovery see only written bytes;
//! sealing, closing unsealed and recovery truncate the unused reserve.
//!
//! An optimisation only: a failure is not an error; the write that follows
//! reports the real outcome. A durable writer prepares zeros instead
//! (`prepared`).

use super::prepared::Prepared;
use std::fs::File;

/// The default reserves nothing (as on a filesystem that cannot).
#[derive(Default)]
pub struct Prealloc {
    /// Blocks below this offset were reserved by this tracker (or written).
    end: u64,
    /// How far ahead this tracker reserves, and so prepares.
    pub chunk: u64,
    /// False once the filesystem said it cannot preallocate.
    supported: bool,
    /// No reserve past this offset (the segment's expected size).
    limit: u64,
    /// Zeros are prepared ahead instead of blocks reserved (durable
    /// writers).
    zeros: Option<Prepared>,
}

impl Prealloc {
    /// Reserves in chunks of four writer buffers, between 1 and 8 MiB, up
    /// to `limit`; once the reserve reaches it, nothing more is reserved.
    pub fn new(file_len: u64, buffer_size: usize, limit: Option<u64>) -> Prealloc {
        Prealloc {
            end: file_len,
            chunk: (buffer_size as u64 * 4).clamp(1 << 20, 8 << 20),
            supported: true,
            limit: limit.unwrap_or(u64::MAX),
            zeros: None,
        }
    }

    /// Uses the zeros `zeros` prepares instead of reserving blocks.
    pub fn zero_filled(mut self, zeros: Option<Prepared>) -> Prealloc {
        self.zeros = zeros;
        self
    }

    /// Called before writing bytes `[eof, upto)`, where `eof` is the
    /// file's current size (another thread may have reserved up to there).
    #[inline]
    pub fn ensure(&mut self, file: &File, eof: u64, upto: u64) {
        if let Some(z) = &self.zeros {
            return z.before_write(upto);
        }
        if upto > self.end && self.supported && self.end.max(eof) < self.limit {
            self.reserve(file, eof, upto);
        }
    }

    #[cold]
    fn reserve(&mut self, file: &File, eof: u64, upto: u64) {
        let from = self.end.max(eof);
        let new_end = upto.saturating_add(self.chunk).min(self.limit.max(upto));
        match crate::sys::preallocate(file, from, new_end - from) {
            Ok(()) => self.end = new_end,
            Err(e) if crate::sys::preallocation_unsupported(&e) => self.supported = false,
            Err(_) => {
                // A full disk (ext4 and XFS keep what they reserved before
                // failing): give it all back, and reserve no more in this
                // segment; the write reports the real outcome.
                release(file, eof);
                self.supported = false;
            }
        }
    }
}

/// Releases what a writer prepared past `len`, the end of its records:
/// zeros past the records, cut off, and the blocks reserved past the end,
/// freed by truncating the file to its own size (ext4, XFS, tmpfs). Ignores
/// errors: readers take zeros after the records as their end.
pub fn release(file: &File, len: u64) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = file.metadata() else { return };
    let reserved =
        meta.blocks().saturating_mul(512) > len.next_multiple_of(meta.blksize().max(4096));
    if meta.len() > len || (meta.len() == len && reserved) {
        let _ = file.set_len(len);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_file::TestFile;
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn allocated(f: &File) -> u64 {
        f.metadata().unwrap().blocks() * 512
    }

    #[test]
    #[cfg_attr(
        feature = "posix-backend",
        ignore = "the POSIX backend reserves on macOS only"
    )]
    fn reserves_a_chunk_ahead_up_to_the_limit_and_releases() {
        let t = TestFile::new("prealloc-limit");
        let f = &t.file;
        f.set_len(4096).unwrap();
        let mut p = Prealloc::new(4096, 256 << 10, Some(3 << 20));
        p.ensure(f, 4096, 8192);
        // 1 MiB chunk past the write's end.
        assert!(allocated(f) >= 1 << 20, "{}", allocated(f));
        p.ensure(f, 4096, 2 << 20);
        let got = allocated(f);
        assert!(got <= (3 << 20) + 4096, "reserve past the limit: {got}");
        assert!(got >= (3 << 20) - 4096, "reserve short of the limit: {got}");
        // Past the limit nothing more is reserved.
        p.ensure(f, 4096, 5 << 20);
        assert_eq!(allocated(f), got);
        // Past the file's end: nothing happens.
        release(f, 8192);
        assert_eq!(allocated(f), got);
        release(f, 4096);
        assert!(allocated(f) <= 8192, "not released: {}", allocated(f));
        assert_eq!(f.metadata().unwrap().len(), 4096, "the size never changes");
    }
}
