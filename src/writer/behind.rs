//! Write-behind: when the writer's buffer fills, a per-writer thread hands
//! it to the OS while the writer fills the next one, so that encoding and
//! checksumming overlap the kernel's copy into the page cache. At most one
//! buffer is in flight; the writer settles it (waits for it and takes its
//! outcome) before the next hand-off and before any synchronous write,
//! flush, sync or close, so errors still surface in order and nothing is
//! written out of order.

use parking_lot::{Condvar, Mutex};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::thread::JoinHandle;

/// What became of a buffer handed to the thread.
pub enum Outcome {
    /// All of it is in the file; the buffer comes back for reuse.
    Written(Vec<u8>),
    /// `whole` bytes (whole records) are in the file and the file was cut
    /// there; `rest` was not written.
    Failed {
        whole: u64,
        rest: Vec<u8>,
        err: io::Error,
        /// Cutting a partial record off failed too: the file is suspect.
        cut_err: Option<io::Error>,
    },
}

struct Job {
    buf: Vec<u8>,
    offset: u64,
}

#[derive(Default)]
struct Slot {
    job: Option<Job>,
    outcome: Option<Outcome>,
    busy: bool,
    stop: bool,
}

struct Shared {
    slot: Mutex<Slot>,
    cv: Condvar,
}

pub struct WriteBehind {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl WriteBehind {
    pub fn start(file: File) -> io::Result<WriteBehind> {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
            cv: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("binlog-write".into())
            .spawn(move || run(&s, &file))?;
        Ok(WriteBehind {
            shared,
            thread: Some(thread),
        })
    }

    /// Hands `buf` (to be written at `offset`) to the thread. The previous
    /// buffer must have been settled.
    pub fn submit(&self, buf: Vec<u8>, offset: u64) {
        let mut slot = self.shared.slot.lock();
        debug_assert!(!slot.busy && slot.outcome.is_none());
        slot.job = Some(Job { buf, offset });
        slot.busy = true;
        self.shared.cv.notify_all();
    }

    /// Waits for the buffer in flight, if any, and returns its outcome.
    pub fn settle(&self) -> Option<Outcome> {
        let mut slot = self.shared.slot.lock();
        while slot.busy {
            self.shared.cv.wait(&mut slot);
        }
        slot.outcome.take()
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        self.shared.slot.lock().stop = true;
        self.shared.cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, file: &File) {
    loop {
        let job = {
            let mut slot = shared.slot.lock();
            loop {
                if let Some(job) = slot.job.take() {
                    break job;
                }
                if slot.stop {
                    return;
                }
                shared.cv.wait(&mut slot);
            }
        };
        let outcome = write(file, job);
        let mut slot = shared.slot.lock();
        slot.outcome = Some(outcome);
        slot.busy = false;
        shared.cv.notify_all();
    }
}

fn write(file: &File, job: Job) -> Outcome {
    let mut written = 0usize;
    while written < job.buf.len() {
        match file.write_at(&job.buf[written..], job.offset + written as u64) {
            Ok(0) => return failed(file, job, written, io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return failed(file, job, written, e),
        }
    }
    Outcome::Written(job.buf)
}

fn failed(file: &File, job: Job, written: usize, err: io::Error) -> Outcome {
    let whole = super::state::complete_frames(&job.buf[..written]);
    let cut_err = if whole < written {
        file.set_len(job.offset + whole as u64).err()
    } else {
        None
    };
    Outcome::Failed {
        whole: whole as u64,
        rest: job.buf[whole..].to_vec(),
        err,
        cut_err,
    }
}
