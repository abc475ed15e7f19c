//! Compressing sealed segments (`LogOptions::compression`): on a thread of
//! the log's own at low priority (or in `tick` without background
//! threads), never on the write path, oldest first. Each is converted
//! crash safely by `compress_segment`: a crash leaves the segment or a
//! verified compressed copy, and the log's next writer finishes or redoes
//! the step when it opens (`finish_interrupted`).

use super::Shared;
use crate::compressed::compress_segment_with_copies;
use crate::error::{Error, Result};
use crate::format::naming;
use crate::log::events::{SegmentEvent, SegmentInfo};
use crate::log::segments;
use crate::log::Compression;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often the compressing thread looks for a segment due without being
/// woken by a roll.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The longest the compressing thread waits after passes that failed,
/// waiting twice as long after each (from `LOOK_EVERY`): on a disk that
/// stays full, every try fills it to its last byte before it fails, which
/// other writers on the disk feel, so the tries thin out. A roll still
/// wakes it at once.
const RETRY_AT_MOST: Duration = Duration::from_secs(64);

/// Finishes what a crash left of compressions of log `name`'s segments in
/// `dir`, before the log's writer lists them: a `<segment>.binlog.zst.tmp`
/// (never verified) is removed; a segment found both plain and compressed
/// keeps its compressed copy if it holds the segment's bytes (checked
/// again), else the plain one (see `compress_segment`). Only the writer
/// does this, holding the log's lock: readers take such a pair as one
/// segment.
pub(super) fn finish_interrupted(dir: &Path, name: &str, opts: &Compression) -> Result<()> {
    let mut removed = false;
    for (file_name, entry) in segments::dir_entries(dir, "list log directory")? {
        let file_name = file_name.as_str();
        if let Some(plain) = file_name.strip_suffix(".zst.tmp") {
            if naming::parse_segment_name(name, plain).is_some() {
                let tmp = entry.path();
                std::fs::remove_file(&tmp)
                    .map_err(|e| Error::io(&tmp, "remove leftover of a compression", e))?;
                removed = true;
            }
            continue;
        }
        let plain = naming::plain_name(file_name);
        if plain != file_name && naming::parse_segment_name(name, plain).is_some() {
            let plain = dir.join(plain);
            if plain.exists() {
                // Verifies the copy: removes the plain file, or the copy
                // and compresses again.
                compress(&plain, opts)?;
            }
        }
    }
    if removed {
        crate::sys::sync_dir(dir).map_err(|e| Error::io(dir, "fsync directory", e))?;
    }
    Ok(())
}

/// Compresses the sealed segment at `path` as the log's options say.
fn compress(path: &Path, c: &Compression) -> Result<crate::compressed::Converted> {
    compress_segment_with_copies(path, &c.options(), &c.type_copies(), |_| {})
}

impl Shared {
    /// Compresses the sealed segments due, oldest first, until none is or
    /// the log is closing. A segment that fails for another reason than
    /// I/O is left plain until the log is opened again; an I/O failure (a
    /// full disk too) is returned, and retried on the next pass. With
    /// `closing` (the close's own pass, after its last segment is sealed,
    /// on the closing thread), every sealed segment due is compressed and
    /// its events go to the close's, and the first failure is returned.
    pub(super) fn compress_due(&self, mut closing: Option<&mut Vec<SegmentEvent>>) -> Result<()> {
        let Some(c) = self.opts.compression else {
            return Ok(());
        };
        while closing.is_some() || !*self.stop.lock() || !self.opts.background {
            let Some(path) = self.take_due(c.after_segments, closing.is_some()) else {
                return Ok(());
            };
            let result = compress(&path, &c);
            match closing.as_deref_mut() {
                Some(events) => self.compressed(&path, result, events)?,
                None => self.reporting(|events| self.compressed(&path, result, events))?,
            }
        }
        Ok(())
    }

    /// The oldest plain sealed segment with at least `after` newer sealed
    /// segments, marked as being compressed (retention leaves it until it
    /// is); `None` if there is none, or if the log is closed unless
    /// `closing` (the close's own pass).
    fn take_due(&self, after: u64, closing: bool) -> Option<PathBuf> {
        let mut st = self.state.lock();
        if !closing {
            st.current.as_ref()?;
        }
        let eligible = (st.sealed.len() as u64).saturating_sub(after) as usize;
        let due = st
            .sealed
            .iter()
            .take(eligible)
            .find(|s| !naming::is_compressed_path(&s.path) && !st.uncompressible.contains(&s.path))
            .map(|s| s.path.clone())?;
        st.compressing = Some(due.clone());
        Some(due)
    }

    /// Records the outcome of compressing the sealed segment at `path`:
    /// on success its entry names the compressed file and counts its size
    /// (for retention and the manifest), and it is reported `Compressed`.
    fn compressed(
        &self,
        path: &Path,
        result: Result<crate::compressed::Converted>,
        events: &mut Vec<SegmentEvent>,
    ) -> Result<()> {
        let mut st = self.state.lock();
        st.compressing = None;
        let done = result.inspect_err(|e| {
            if !e.kind().is_io() {
                st.uncompressible.push(path.to_path_buf());
            }
        })?;
        // Fsynced and verified: nothing of it is left to sync.
        st.unsynced.retain(|(_, p)| p != path);
        if let Some(s) = st.sealed.iter_mut().find(|s| s.path == path) {
            s.path = done.path.clone();
            s.entry.file = super::found::file_name(&done.path);
            s.entry.bytes = done.compressed_len;
            let info = SegmentInfo::of_sealed(&s.path, &s.entry);
            events.push(SegmentEvent::Compressed(info));
        }
        self.enforce_retention(&mut st);
        self.manifest_changed(&mut st)
    }

    /// The compressing thread: at the lowest normal priority, it
    /// compresses what is due after each roll (a roll wakes it) and at
    /// least every second, until the log closes. A pass that fails is
    /// counted in `callback_failures`, and the wait grows.
    pub(super) fn compressor_loop(&self) {
        // Lowering one's own priority needs no privilege; where a sandbox
        // refuses the calls anyway, compressing at normal priority is still
        // off the write path, and not a failure of the log's work.
        let _ = crate::sys::lower_thread_priority();
        let mut backoff = Duration::ZERO;
        let mut stop = self.stop.lock();
        while !*stop {
            drop(stop);
            backoff = match self.compress_due(None) {
                Ok(()) => Duration::ZERO,
                Err(e) => {
                    self.count_failure(e);
                    backoff_after_failure(backoff)
                }
            };
            stop = self.stop.lock();
            if !*stop {
                self.stop_cv.wait_for(&mut stop, backoff.max(LOOK_EVERY));
            }
        }
    }
}

/// How long the compressing thread waits after a failed pass, `before`
/// being what it waited after the pass before (zero if that one did not
/// fail): twice as long, from `LOOK_EVERY` up to `RETRY_AT_MOST`.
fn backoff_after_failure(before: Duration) -> Duration {
    (before * 2).clamp(LOOK_EVERY, RETRY_AT_MOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_passes_in_a_row_wait_1_2_4_seconds_and_so_on_up_to_64() {
        let mut wait = Duration::ZERO;
        let waits: Vec<u64> = (0..9)
            .map(|_| {
                wait = backoff_after_failure(wait);
                wait.as_secs()
            })
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
    }
}
