//! Preallocation: the writer reserves disk blocks a chunk ahead of its end
//! of file before writing into them, in one of two ways.
//!
//! **Reserved blocks** (durability `None`): fallocate with
//! FALLOC_FL_KEEP_SIZE. Appending into blocks that are already reserved
//! skips ext4's delayed-allocation bookkeeping on every page; a buffered
//! write of 256 MiB in 1 MiB calls took 38 ms instead of 52 ms on this
//! project's machine, and it keeps a segment's blocks together on disk. The
//! file's size never changes, so readers, scans and crash recovery see only
//! written bytes. Sealing truncates the file to its length, which releases
//! the unused reserve; closing without a seal and reopening a segment after
//! a crash do the same. A live segment holds up to one chunk past its end.
//!
//! **A zero tail** (every other durability): zeros written a chunk ahead of
//! the records and fdatasynced once. An fdatasync after an append must also
//! write the file's new size (and, in fallocated blocks, their extents):
//! overwriting zeros already on disk leaves the file's metadata as it is,
//! so each later fdatasync writes the data and flushes the disk cache, and
//! nothing else. Measured on the benchmark VM (ext4, 2,000 writes + fdatasync
//! each): 600 bytes 100 us against 140 appending; 4.8 KB (a group commit of
//! 8 records) 110 us against 190. It costs writing each byte twice and one
//! fdatasync of a 1 MiB chunk (about 1 ms) per chunk of records. Readers
//! stop at the zeros (FORMAT.md, "Zero tail"); sealing cuts them, and so
//! does reopening.
//!
//! Either is an optimisation only: a failure (a filesystem without
//! fallocate, or a full disk) is not an error; the write that follows
//! reports the real outcome.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// The largest zero-tail chunk: one fdatasync of it stalls the writer that
/// extends the tail (about 1 ms a MiB on the benchmark VM, 3-15 ms for
/// 4 MiB).
const MAX_ZERO_CHUNK: u64 = 1 << 20;

pub struct Prealloc {
    /// Shared by the caller's and the write-behind thread's trackers (their
    /// writes never overlap in time: see `State::flush_buf`), so that
    /// neither fills what the other filled.
    shared: Arc<Shared>,
    chunk: u64,
    /// No reserve past this offset (the segment's expected size).
    limit: u64,
    /// Write a zero tail rather than reserve blocks.
    zero_fill: bool,
}

struct Shared {
    /// Blocks below this offset were reserved (or zeroed, or written).
    end: AtomicU64,
    /// False once the filesystem said it cannot preallocate.
    supported: AtomicBool,
}

impl Prealloc {
    /// Reserves in chunks of four writer buffers, between 1 and 8 MiB (a
    /// zero tail: at most `MAX_ZERO_CHUNK`), up to `limit`; once the reserve
    /// reaches it, nothing more is reserved.
    pub fn new(file_len: u64, buffer_size: usize, limit: Option<u64>, zero_fill: bool) -> Prealloc {
        let chunk = (buffer_size as u64 * 4).clamp(1 << 20, 8 << 20);
        Prealloc {
            shared: Arc::new(Shared {
                end: AtomicU64::new(file_len),
                supported: AtomicBool::new(true),
            }),
            chunk: if zero_fill {
                chunk.min(MAX_ZERO_CHUNK)
            } else {
                chunk
            },
            limit: limit.unwrap_or(u64::MAX),
            zero_fill,
        }
    }

    /// A tracker of the same reserve, for the write-behind thread.
    pub fn share(&self) -> Prealloc {
        Prealloc {
            shared: Arc::clone(&self.shared),
            chunk: self.chunk,
            limit: self.limit,
            zero_fill: self.zero_fill,
        }
    }

    /// Called before writing bytes `[eof, upto)`, where `eof` is where the
    /// records end (no write is in flight past it).
    #[inline]
    pub fn ensure(&mut self, file: &File, eof: u64, upto: u64) {
        let end = self.shared.end.load(Ordering::Relaxed);
        if upto > end && self.shared.supported.load(Ordering::Relaxed) && end.max(eof) < self.limit
        {
            self.reserve(file, eof, upto);
        }
    }

    #[cold]
    fn reserve(&mut self, file: &File, eof: u64, upto: u64) {
        let from = self.shared.end.load(Ordering::Relaxed).max(eof);
        if self.zero_fill && upto - from > self.chunk {
            // A write larger than a chunk (a record larger than the
            // buffer): zeros under it would cost a second write of it and an
            // fdatasync more than its own, to spare one metadata update. It
            // extends the file; the next write starts a new tail.
            return;
        }
        let new_end = upto.saturating_add(self.chunk).min(self.limit.max(upto));
        let done = if self.zero_fill {
            write_zeros(file, from, new_end)
        } else {
            crate::sys::preallocate(file, from, new_end - from)
        };
        match done {
            Ok(()) => self.shared.end.store(new_end, Ordering::Relaxed),
            Err(e) if is_unsupported(&e) => self.shared.supported.store(false, Ordering::Relaxed),
            Err(_) => {
                // A full disk (ext4 and XFS keep what they reserved before
                // failing): give it all back, and reserve no more in this
                // segment; the write reports the real outcome. Zeros past
                // `eof` are cut (no record is past it).
                if self.zero_fill {
                    let _ = file.set_len(eof);
                } else {
                    release(file, eof);
                }
                self.shared.supported.store(false, Ordering::Relaxed);
            }
        }
    }
}

/// Writes zeros over `[from, to)` and fdatasyncs them.
fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    static ZEROS: [u8; 64 << 10] = [0; 64 << 10];
    let mut at = from;
    while at < to {
        let n = (to - at).min(ZEROS.len() as u64) as usize;
        match file.write_at(&ZEROS[..n], at) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(w) => at += w as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.sync_data()
}

/// Releases the blocks reserved past the end of a file whose size is
/// `len`: truncating a file to its own size frees them (ext4, XFS, tmpfs)
/// and changes no byte. Does nothing if the size is not `len`, and
/// ignores errors: the reserve is an optimisation, a leftover costs only
/// disk space.
pub fn release(file: &File, len: u64) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = file.metadata() else { return };
    if meta.len() == len
        && meta.blocks().saturating_mul(512) > len.next_multiple_of(meta.blksize().max(4096))
    {
        let _ = file.set_len(len);
    }
}

fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP | libc::ENOSYS | libc::ENODEV | libc::ESPIPE)
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_file::TestFile;
    use super::*;
    use std::os::unix::fs::{FileExt, MetadataExt};

    fn allocated(f: &File) -> u64 {
        f.metadata().unwrap().blocks() * 512
    }

    #[test]
    fn reserves_a_chunk_ahead_up_to_the_limit_and_releases() {
        let t = TestFile::new("prealloc-limit");
        let f = &t.file;
        f.set_len(4096).unwrap();
        let mut p = Prealloc::new(4096, 256 << 10, Some(3 << 20), false);
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
        // Another size than the file's: nothing happens.
        release(f, 8192);
        assert_eq!(allocated(f), got);
        release(f, 4096);
        assert!(allocated(f) <= 8192, "not released: {}", allocated(f));
        assert_eq!(f.metadata().unwrap().len(), 4096, "the size never changes");
    }

    #[test]
    fn a_zero_tail_is_written_a_chunk_ahead_once_for_both_trackers() {
        let t = TestFile::new("prealloc-zero");
        let f = &t.file;
        f.write_all_at(&[7u8; 4096], 0).unwrap();
        let mut p = Prealloc::new(4096, 256 << 10, Some(3 << 20), true);
        let mut behind = p.share();
        p.ensure(f, 4096, 8192);
        let len = f.metadata().unwrap().len();
        assert_eq!(len, 8192 + (1 << 20), "one chunk past the write's end");
        let mut bytes = vec![1u8; len as usize];
        f.read_exact_at(&mut bytes, 0).unwrap();
        assert!(bytes[..4096].iter().all(|&b| b == 7), "records overwritten");
        assert!(bytes[4096..].iter().all(|&b| b == 0));
        // Records written into the tail: the other tracker fills nothing
        // that is filled already.
        f.write_all_at(&[7u8; 4096], 4096).unwrap();
        behind.ensure(f, 8192, 1 << 20);
        assert_eq!(f.metadata().unwrap().len(), len);
        f.read_exact_at(&mut bytes[..8192], 0).unwrap();
        assert!(bytes[..8192].iter().all(|&b| b == 7), "records overwritten");
        // Past its end, from the records' end on; never past the limit.
        behind.ensure(f, 8192 + (1 << 20), 8192 + (1 << 20) + 10);
        assert_eq!(f.metadata().unwrap().len(), (2 << 20) + 8192 + 10);
        behind.ensure(f, 2 << 20, (2 << 20) + 500_000);
        assert_eq!(f.metadata().unwrap().len(), 3 << 20, "up to the limit");
        p.ensure(f, 3 << 20, (3 << 20) + 10);
        assert_eq!(f.metadata().unwrap().len(), 3 << 20, "past the limit");
    }
}
