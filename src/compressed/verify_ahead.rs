//! Verifying a compressed copy while it is written: a second thread reads
//! each frame back from the file once written, decompresses it and
//! compares it with the segment, so that compressing and checking overlap.
//! The seek table, written last, is checked by opening the copy
//! (`compress::check_layout`).

use super::durable::same_frame;
use super::frame_decoder::{Frame, FrameDecoder};
use super::seek_table::FrameEntry;
use super::source::read_frame;
use crate::error::Result;
use std::fs::File;
use std::path::Path;
use std::sync::mpsc::Receiver;

/// Frames written and not yet verified, at most: bounds how far the
/// writer runs ahead (each is re-read from the file, not held in memory).
pub(super) const FRAMES_AHEAD: usize = 8;

/// Verifies each frame `written` announces (once in the file `tmp`, read
/// through `copy`) against the bytes `plain` of the segment at
/// `plain_path`, until the sender is dropped; returns the frames verified.
pub(super) fn verify_frames(
    copy: &File,
    tmp: &Path,
    plain: &[u8],
    plain_path: &Path,
    written: Receiver<FrameEntry>,
) -> Result<Vec<FrameEntry>> {
    let mut decoder = FrameDecoder::new();
    let (mut compressed, mut ours) = (Vec::new(), Vec::new());
    let mut verified = Vec::new();
    for entry in written {
        read_frame(copy, tmp, &entry, &mut compressed)?;
        decoder.decode(
            Frame::new(tmp, verified.len(), entry),
            &compressed,
            &mut ours,
        )?;
        #[cfg(test)]
        failing::spoil_if_asked(tmp, entry.offset, &mut ours);
        let theirs = usize::try_from(entry.offset)
            .ok()
            .and_then(|at| plain.get(at..at.checked_add(ours.len())?));
        same_frame(tmp, entry.offset, &ours, theirs, plain_path)?;
        verified.push(entry);
    }
    Ok(verified)
}

/// Checks made to fail, for the tests of a compression whose checker
/// fails: the frame at an original offset of a copy decompresses, for the
/// checker, to other bytes than the segment's.
#[cfg(test)]
pub(super) mod failing {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// The copies (by path) and original offsets whose frames fail; by
    /// path, so that tests running at once do not fail each other's.
    static FAILING: Mutex<Vec<(PathBuf, u64)>> = Mutex::new(Vec::new());

    /// Makes the check of the frame at original offset `offset` of the
    /// copy written to `tmp` fail, until `stop_failing(tmp)`.
    pub fn fail_check_at(tmp: &Path, offset: u64) {
        FAILING.lock().unwrap().push((tmp.to_path_buf(), offset));
    }

    pub fn stop_failing(tmp: &Path) {
        FAILING.lock().unwrap().retain(|(p, _)| p != tmp);
    }

    /// Flips the first byte of the frame at `offset` of `tmp`, decompressed
    /// (`ours`, never empty), if its check is to fail.
    pub fn spoil_if_asked(tmp: &Path, offset: u64, ours: &mut [u8]) {
        let failing = FAILING.lock().unwrap();
        if failing.iter().any(|(p, at)| p == tmp && *at == offset) {
            ours[0] ^= 0xFF;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressed::frame_writer::SeekableWriter;
    use crate::error::ErrorKind;

    /// A file of frames compressed from `parts`, and their entries.
    fn frames_file(name: &str, parts: &[&[u8]]) -> (std::path::PathBuf, Vec<FrameEntry>) {
        let path = std::env::temp_dir().join(format!("verify-ahead-{}-{name}", std::process::id()));
        let file = File::create(&path).unwrap();
        let mut w = SeekableWriter::new(&file, 3).unwrap();
        let entries = parts.iter().map(|p| w.frame(p).unwrap()).collect();
        w.finish().unwrap();
        (path, entries)
    }

    fn verify(path: &Path, entries: &[FrameEntry], plain: &[u8]) -> Result<Vec<FrameEntry>> {
        let (tx, rx) = std::sync::mpsc::sync_channel(FRAMES_AHEAD);
        for e in entries {
            tx.send(*e).unwrap();
        }
        drop(tx);
        let copy = File::open(path).unwrap();
        verify_frames(&copy, path, plain, Path::new("seg.binlog"), rx)
    }

    #[test]
    fn frames_that_hold_the_segment_are_verified_and_others_refused_with_their_offset() {
        let (path, entries) = frames_file("ok", &[b"header..", b"records", b"seal"]);
        let plain = b"header..recordsseal";
        assert_eq!(verify(&path, &entries, plain).unwrap(), entries);
        let other = b"header..recordXseal";
        let e = verify(&path, &entries, other).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(e.to_string().contains("original offset 8"), "{e}");
        let e = verify(&path, &entries, &plain[..12]).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Corrupt,
            "a segment shorter than the frames: {e}"
        );
        std::fs::remove_file(path).unwrap();
    }
}
