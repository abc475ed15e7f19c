//! A progress bar on standard error for long operations (verify, repair,
//! stats), drawn only when standard error is a terminal and not turned off
//! with --no-progress. Position updates are batched so that a scan of
//! millions of small records does not pay for the bar.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static DISABLED: AtomicBool = AtomicBool::new(false);

/// `--no-progress`, on the commands that draw a bar (info, verify, repair,
/// stats, compress, decompress).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct ProgressArgs {
    /// Never draw a progress bar (it is drawn only when standard error is
    /// a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// `--no-progress` on the commands that draw no bar: accepted, as it was
/// when the option was global, and not shown in their help.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct NoProgressAccepted {
    #[arg(long = "no-progress", hide = true)]
    pub ignored: bool,
}

impl ProgressArgs {
    /// Runs the command `run`, the bar turned off first if asked to.
    pub fn run<T>(self, run: impl FnOnce() -> T) -> T {
        if self.no_progress {
            disable();
        }
        run()
    }
}

/// Turns every later bar off (`--no-progress`).
pub fn disable() {
    DISABLED.store(true, Ordering::Relaxed);
}

/// Progress in bytes over a known total.
pub struct Progress {
    bar: ProgressBar,
    /// Bytes done in earlier files.
    base: u64,
    shown: u64,
}

/// Bytes between two updates of the bar.
const STEP: u64 = 1 << 20;

impl Progress {
    pub fn bytes(total: u64, what: &str) -> Progress {
        if DISABLED.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Progress::of(bar)
    }

    pub fn hidden() -> Progress {
        Progress::of(ProgressBar::hidden())
    }

    fn of(bar: ProgressBar) -> Progress {
        Progress {
            bar,
            base: 0,
            shown: 0,
        }
    }

    /// Starts the next file: `done` bytes of the total are behind us.
    pub fn file_done(&mut self, file_len: u64) {
        self.base += file_len;
        self.shown = self.base;
        self.bar.set_position(self.base);
    }

    /// Position `pos` within the current file.
    #[inline]
    pub fn at(&mut self, pos: u64) {
        let p = self.base + pos;
        if p >= self.shown + STEP {
            self.shown = p;
            self.bar.set_position(p);
        }
    }

    /// Runs `f` (which prints) with the bar hidden.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
