//! Built without the "compression" feature: no segment is read as a
//! compressed one (a `.binlog.zst` fails to open as not a segment).

use super::crc_ahead::CheckedAhead;
use super::frame_check::FrameCheck;
use super::record::BytesIn;
use super::Reader;
use crate::error::Result;
use std::fs::File;

/// No reader holds one.
pub(super) enum CompressedFrames {}

impl CompressedFrames {
    pub(super) fn local_file(&self) -> Option<&File> {
        match *self {}
    }

    pub fn held(&self) -> (&[u8], usize) {
        match *self {}
    }

    pub(super) fn scan_frame(&mut self) -> Option<(&[u8], usize, &mut CheckedAhead)> {
        match *self {}
    }

    pub fn set_seeking(&mut self, _: bool) {
        match *self {}
    }
}

impl Reader {
    pub(super) fn read_decoded_frame(
        &mut self,
        _: usize,
        _: bool,
        _: Option<usize>,
    ) -> Result<(FrameCheck, BytesIn)> {
        unreachable!("no compressed segment is read")
    }

    pub(super) fn resume_after_decoded(&mut self, _: usize) -> Result<Option<(usize, u64)>> {
        unreachable!("no compressed segment is read")
    }

    pub(super) fn check_seal_frames(&mut self) -> Result<()> {
        Ok(())
    }

    pub(super) fn check_frame_at_end(&mut self) -> Result<()> {
        Ok(())
    }

    /// Without compression no segment is decompressed: nothing to do.
    pub fn decode_threads(&mut self, _threads: usize) {}

    /// Nothing is decompressed, ahead or not.
    pub fn decodes_ahead(&self) -> bool {
        false
    }

    /// Whether this reader reads a compressed segment.
    pub fn is_compressed(&self) -> bool {
        false
    }

    /// Original bytes this reader decompressed so far: 0 for a plain
    /// segment.
    pub fn bytes_decompressed(&self) -> u64 {
        0
    }
}
