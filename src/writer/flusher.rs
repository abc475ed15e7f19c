//! The interval flusher (`Durability::Interval`): a thread that syncs every
//! record written so far once a period, and keeps a failure for the next
//! write call to report.

use super::shared::Shared;
use super::Writer;
use crate::error::{Error, Result};
use crate::options::Durability;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Starts the flusher if `durability` asks for one.
pub(super) fn start(shared: &Arc<Shared>) -> Result<Option<JoinHandle<()>>> {
    let Durability::Interval(period) = shared.durability else {
        return Ok(None);
    };
    let s = Arc::clone(shared);
    let handle = std::thread::Builder::new()
        .name("binlog-flusher".into())
        .spawn(move || s.run_interval_flusher(period))
        .map_err(|e| Error::io(&shared.path, "start flusher thread", e))?;
    Ok(Some(handle))
}

impl Writer {
    /// Stops the flusher, if there is one, and waits for it to end.
    pub(super) fn stop_flusher(&self) {
        *self.shared.stop.lock() = true;
        self.shared.stop_cv.notify_all();
        if let Some(h) = self.flusher.lock().take() {
            let _ = h.join();
        }
    }
}

impl Shared {
    /// The flusher's body: every `period`, syncs every record written so
    /// far, until told to stop.
    fn run_interval_flusher(&self, period: Duration) {
        let mut stop = self.stop.lock();
        while !*stop {
            self.stop_cv.wait_for(&mut stop, period);
            if *stop {
                break;
            }
            drop(stop);
            self.flush_interval();
            stop = self.stop.lock();
        }
    }

    /// Syncs every record written so far. A failure is kept for the next
    /// write call to return, unless that is moot: a poisoned or closed
    /// writer tells every later call itself, and a flush by a caller since
    /// this one's told that caller its own result.
    fn flush_interval(&self) {
        let (to, flushes) = {
            let st = self.state.lock();
            (st.next_seq, st.flushes)
        };
        if let Err(e) = self.sync_upto(to, None) {
            let mut st = self.state.lock();
            if st.file.is_some() && st.poisoned.is_none() && st.flushes == flushes + 1 {
                st.flusher_failed = Some(e.with_detail(|d| {
                    format!(
                        "{d} (in the background flush; the records written before stay \
                         buffered and are retried; this call's records were not written)"
                    )
                }));
            }
        }
    }
}
