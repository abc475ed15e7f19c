//! A record larger than the buffer goes to the file straight from the
//! caller's buffers, with one gathering write, not through the buffer.

use super::State;
use crate::error::{Error, Result};
use crate::format::frame::RecordHead;
use crate::format::FRAME_HEADER_LEN;
use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};

impl State {
    /// Writes one record larger than the buffer straight from the caller's
    /// buffers, with one gathering write.
    pub(super) fn write_direct(
        &mut self,
        head: &RecordHead<'_>,
        parts: &[&[u8]],
        total: u64,
    ) -> Result<()> {
        let mut h = Vec::with_capacity(FRAME_HEADER_LEN + head.encoded_len());
        h.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
        head.encode(&mut h);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&h[FRAME_HEADER_LEN..]);
        for p in parts {
            crc.update(p);
        }
        h[0..4].copy_from_slice(&((total - FRAME_HEADER_LEN as u64) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        let mut slices: Vec<IoSlice<'_>> = std::iter::once(&h[..])
            .chain(parts.iter().copied())
            .map(IoSlice::new)
            .collect();
        let mut file = self.file.as_ref().expect("checked open");
        self.prealloc
            .ensure(file, self.file_len, self.file_len + total);
        let result = file
            .seek(SeekFrom::Start(self.file_len))
            .and_then(|_| write_all_vectored(file, &mut slices));
        match result {
            Ok(()) => {
                self.file_len += total;
                Ok(())
            }
            Err(e) => {
                self.cut_file(self.file_len);
                Err(Error::io_at(&self.path, self.file_len, "write", e))
            }
        }
    }
}

fn write_all_vectored(mut file: &File, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
