//! Sealing a closing segment: the seal built in memory while the last
//! buffers drain, or written piece by piece; the file cut to its end and
//! synced.

use super::State;
use crate::error::{Error, ErrorKind, Result};
use crate::writer::index::{SealOut, SignSeal};
use std::os::unix::fs::FileExt;

impl State {
    /// With a background writer: hands it the last, partly filled buffer
    /// and builds the seal in memory while it drains. Only for seals up to
    /// `PREBUILT_SEAL_MAX`: a larger one is written piece by piece later
    /// (faulting in a fresh buffer for it cost more than the overlap saved,
    /// docs/PERFORMANCE.md), as a signed one is, with what can be computed
    /// ahead (`SegmentIndex::checksum_ahead`).
    pub(super) fn prebuild_seal(&mut self) -> Result<Option<Vec<u8>>> {
        const PREBUILT_SEAL_MAX: u64 = 2 << 20;
        let records_end = self.len();
        let estimate = self
            .index
            .seal_estimate(self.types.names())
            .len(self.index.summary.record_count, records_end);
        if self.write_behind.is_none() {
            return Ok(None);
        }
        if !self.buf.is_empty() {
            self.hand_off()?;
        }
        // A signed seal's digest covers every record: it is built once they
        // are all written (and hashed: `sign::Running`).
        if estimate > PREBUILT_SEAL_MAX || self.tap.is_some() {
            self.index.checksum_ahead(self.types.names().len());
            return Ok(None);
        }
        let mut bytes = std::mem::take(&mut self.seal_buf);
        bytes.clear();
        bytes.reserve(estimate as usize);
        let mut out = SealOut::Memory {
            base: records_end,
            bytes,
        };
        self.index
            .write_seal(&mut out, &self.path, records_end, self.types.names(), None)?;
        match out {
            SealOut::Memory { bytes, .. } => Ok(Some(bytes)),
            SealOut::File(_) => unreachable!("built in memory"),
        }
    }

    /// Writes the seal (`prebuilt`, or built here), truncates the file to
    /// its end and syncs it if the durability asks for it.
    pub(super) fn seal(&mut self, prebuilt: Option<Vec<u8>>) -> Result<()> {
        let sealed = self.write_seal(prebuilt).and_then(|n| self.end_file_at(n));
        if sealed.is_err() {
            // An unsealed segment is still whole: readers scan it.
            let file = self.file.as_ref().expect("open");
            let _ = file.set_len(self.unsealed_len());
        }
        #[cfg(feature = "sign")]
        if let (Ok(()), Some((signing, _))) = (&sealed, &self.signing) {
            signing.sealed();
        }
        sealed
    }

    /// Makes the file end at `len`, the seal's end, and syncs it if the
    /// durability asks for it. Zeros prepared past the seal are cut only
    /// once the seal is durable, and the cut is synced too: a reader (or a
    /// power loss) sees the whole seal before the file shrinks under it.
    fn end_file_at(&mut self, len: u64) -> Result<()> {
        let file = self.file.as_ref().expect("open");
        let prepared = file.metadata().is_ok_and(|m| m.len() > len);
        if prepared {
            self.sync_seal()?;
        }
        let file = self.file.as_ref().expect("open");
        file.set_len(len)
            .map_err(|e| Error::io_at(&self.path, self.file_len, "sync seal", e))?;
        self.sync_seal()
    }

    /// Writes the seal after the records (`prebuilt`, whose buffer is kept
    /// for reuse, or built here piece by piece) and returns the file's
    /// length with it.
    fn write_seal(&mut self, prebuilt: Option<Vec<u8>>) -> Result<u64> {
        let file = self.file.as_ref().expect("open");
        let records_end = self.file_len;
        match prebuilt {
            Some(bytes) => {
                let r = file
                    .write_all_at(&bytes, records_end)
                    .map(|()| records_end + bytes.len() as u64)
                    .map_err(|e| Error::io_at(&self.path, records_end, "write seal", e));
                self.seal_buf = bytes;
                r
            }
            None => {
                #[cfg(feature = "sign")]
                let block = |dir: &crate::format::seal::SealDirectory| {
                    let (signing, no) = self.signing.as_ref().expect("signs");
                    Ok(signing.block(self.digest(dir.records_end)?, *no, dir))
                };
                #[cfg(feature = "sign")]
                let sign = self.signing.as_ref().map(|_| &block as SignSeal<'_>);
                #[cfg(not(feature = "sign"))]
                let sign: Option<SignSeal<'_>> = None;
                let names = self.types.names();
                let out = &mut SealOut::File(file);
                self.index
                    .write_seal(out, &self.path, records_end, names, sign)
            }
        }
    }

    /// BLAKE3 of the signed segment's bytes before `end`, for its seal or
    /// a checkpoint: its running digest finalized (`sign::Running`).
    #[cfg(feature = "sign")]
    pub(crate) fn digest(&self, end: u64) -> Result<crate::sign::Digest> {
        let (file, tap) = (
            self.file.as_ref().expect("open"),
            self.tap.as_ref().expect("signs"),
        );
        let digest = tap.digest(end, |at, buf| file.read_exact_at(buf, at));
        digest.map_err(|e| Error::io_at(&self.path, end, "digest of the records", e))
    }

    /// fdatasyncs the sealed file if the durability asks for it. A failure
    /// poisons the writer: the kernel may have dropped the records' pages,
    /// and no later fdatasync of this writer may count them durable.
    fn sync_seal(&mut self) -> Result<()> {
        if !self.sync_on_seal {
            return Ok(());
        }
        let file = self.file.as_ref().expect("open");
        crate::sys::sync_data(file).map_err(|e| {
            self.poison_after_failed_sync(Error::io_at(&self.path, self.file_len, "sync seal", e))
        })
    }

    /// Poisons the writer after `e`, a failed fdatasync (of records or of
    /// the seal), and returns `e`: the kernel may have dropped the records'
    /// dirty pages (fsyncgate), and no later fdatasync of this writer may
    /// count them durable, so further writes are refused rather than
    /// pretended.
    pub fn poison_after_failed_sync(&mut self, e: Error) -> Error {
        self.poisoned = Some(e.clone().with_kind(ErrorKind::Poisoned).with_detail(|d| {
            format!("{d}; records since the last successful sync may be lost: close and reopen the segment")
        }));
        e
    }
}

#[cfg(feature = "sign")]
#[cfg(test)]
mod tests {
    use crate::writer::test_file::temp_segment;
    use crate::writer::{Entry, Options, Writer};

    /// Every byte a signed writer writes goes through its running digest,
    /// whichever way it goes: its write-behind thread's buffers, whole,
    /// paired and in pieces, one piece in two hashed ahead by the caller,
    /// a flush's part-full buffer on the caller's thread, a record larger
    /// than the buffer written directly. Before the seal it covers the
    /// whole file, nothing left to read back, and is BLAKE3 of its bytes:
    /// a piece missed is read back (an error here), a piece merged out of
    /// place changes it.
    #[test]
    fn a_signed_writers_running_digest_covers_every_byte_it_writes() {
        let path = temp_segment("sign-running");
        let key = path.with_file_name("k");
        crate::sign::Signing::new_key_files(&key).unwrap();
        let opts = Options {
            signing: Some(crate::sign::Signing::from_key_file(&key).unwrap()),
            // Pairs however late the caller (a loaded host): no deadline.
            flush_delay: None,
            ..Options::default()
        };
        let w = Writer::open(&path, opts).unwrap();
        // Whichever kind the thread's times prefer: both, however loaded.
        w.shared
            .state
            .lock()
            .write_behind_thread()
            .write_both_kinds();
        let payload = [3u8; 700];
        let parts = [&payload[..]];
        let entries = vec![Entry::of("t", &parts); 256];
        for i in 0..200 {
            w.write_batch(&entries[..1 + i % 256]).unwrap();
            if i % 50 == 0 {
                w.write("t", &vec![i as u8; 3 << 20]).unwrap();
                w.flush().unwrap();
            }
        }
        w.flush().unwrap();
        let st = w.shared.state.lock();
        let (pairs, pieces) = st.write_behind_writes();
        assert!(pairs > 0 && pieces > 0, "{pairs} pairs, {pieces} in pieces");
        let bytes = std::fs::read(&path).unwrap();
        let file_len = st.file_len as usize;
        let digest = *blake3::hash(&bytes[..file_len]).as_bytes();
        let unread = |_, _: &mut [u8]| Err(std::io::Error::other("a piece read back"));
        let held = st.tap.as_ref().unwrap().digest(st.file_len, unread);
        assert_eq!(held.expect("every piece hashed"), digest);
        drop(st);
        w.close().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let dir = crate::format::seal::read_seal(&bytes, 0).unwrap();
        assert_eq!(dir.chain.unwrap().digest, digest);
    }
}
