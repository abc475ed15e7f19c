//! What a rolling log promises about stable storage beyond its current
//! segment: older segments not synced yet, and a failed fdatasync that
//! poisons the log.

use super::Shared;
use crate::error::{Error, ErrorKind, Result};

impl Shared {
    /// fdatasyncs the older segments not known to be synced (`unsynced`),
    /// then the directory. A failure poisons the log: its descriptor has
    /// reported the error, and a fresh one would not.
    pub(super) fn sync_older(&self) -> Result<()> {
        let older = self.state.lock().unsynced.clone();
        if older.is_empty() {
            return Ok(());
        }
        // Err((error, whether an fdatasync itself failed)).
        let synced = older
            .iter()
            .try_for_each(|(_, path)| match std::fs::File::open(path) {
                Ok(f) => {
                    crate::sys::sync_data(&f).map_err(|e| (Error::io(path, "fdatasync", e), true))
                }
                // Removed by retention: nothing left to keep.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err((Error::io(path, "open to fdatasync", e), false)),
            })
            // Their names too: segments created under `None` were not.
            .and_then(|()| {
                crate::sys::sync_dir(&self.dir)
                    .map_err(|e| (Error::io(&self.dir, "sync directory", e), true))
            });
        let mut st = self.state.lock();
        match &synced {
            Ok(()) => st.unsynced.retain(|u| !older.contains(u)),
            Err((e, true)) => st.poisoned = Some(poisoned_by(e)),
            Err((_, false)) => {}
        }
        synced.map_err(|(e, _)| e)
    }
}

/// The log's state after `e`, a failed fdatasync of its records.
pub(super) fn poisoned_by(e: &Error) -> Error {
    e.clone().with_kind(ErrorKind::Poisoned).with_detail(|d| {
        format!(
            "{d} (records written since the last successful sync may be lost; the log \
             refuses further writes: close it, check the disk, and open it again)"
        )
    })
}
