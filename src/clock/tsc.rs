//! CLOCK_REALTIME at a fraction of the vDSO's cost, where the clock is a
//! large part of a small record's write (docs/PERFORMANCE.md): the last
//! real reading plus the time-stamp counter's ticks since, at a rate
//! measured against CLOCK_MONOTONIC. Low-latency loggers do the same
//! (Quill's TSC clock). The arithmetic is in `extrapolate.rs`.
//!
//! Only where the kernel keeps its own time with the TSC (clocksource "tsc",
//! which it keeps only while the TSC is invariant and in step across CPUs)
//! and the CPU says the TSC neither changes rate nor stops. The real clock is
//! read again every 100 us, so a step of the wall clock shows within that;
//! readings stay within about 100 ns of clock_gettime's and never step back
//! unless the wall clock is set back or the counter misbehaves (see
//! `extrapolate::Anchor::missed`). `BINLOG_TSC=0` in the environment turns
//! this off.
//!
//! The state is process-wide atomics behind a seqlock, so that a call costs
//! a few loads and one `rdtsc`, and needs no thread-local storage (which in
//! a shared library goes through `__tls_get_addr`).

use std::sync::atomic::{fence, AtomicI64, AtomicU32, AtomicU64, AtomicU8, Ordering::*};

use super::extrapolate::{self, Sample, State, MAX_WIDTH_NS};
use crate::sys;

const UNDECIDED: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;
/// One thread is deciding; calls meanwhile read the real clock (none waits,
/// so that a child forked now, without that thread, is not stuck).
const DECIDING: u8 = 3;
static MODE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// The `State`, behind the seqlock `SEQ` (odd while being rewritten).
static SEQ: AtomicU64 = AtomicU64::new(0);

/// An atomic static per field of the `State` (`STATIC: Atomic = field`),
/// and `load` and `store` of them all (relaxed: the seqlock orders them).
macro_rules! state_in_statics {
    ($($name:ident: $atomic:ident = $($field:ident).+;)*) => {
        $(static $name: $atomic = $atomic::new(0);)*

        fn load() -> State {
            let mut s = State::default();
            $(s.$($field).+ = $name.load(Relaxed);)*
            s
        }

        fn store(s: &State) {
            $($name.store(s.$($field).+, Relaxed);)*
        }
    };
}

state_in_statics! {
    TSC: AtomicU64 = anchor.tsc;
    NS: AtomicI64 = anchor.ns;
    MULT: AtomicU64 = anchor.mult;
    // 0 (no anchor) sends every call to the slow path.
    SPAN: AtomicU64 = anchor.span;
    RATE: AtomicU64 = anchor.rate;
    MONO_TSC: AtomicU64 = anchor.mono.tsc;
    MONO: AtomicI64 = anchor.mono.mono;
    OLDER_TSC: AtomicU64 = cal.older.tsc;
    OLDER_MONO: AtomicI64 = cal.older.mono;
    NEWER_TSC: AtomicU64 = cal.newer.tsc;
    NEWER_MONO: AtomicI64 = cal.newer.mono;
    OFFSET: AtomicI64 = cal.offset;
}

/// Wall-clock nanoseconds since the Unix epoch.
#[inline]
pub fn now_ns() -> i64 {
    if MODE.load(Relaxed) == ON {
        let seq = SEQ.load(Acquire);
        let tsc = TSC.load(Relaxed);
        let ns = NS.load(Relaxed);
        let mult = MULT.load(Relaxed);
        let span = SPAN.load(Relaxed);
        fence(Acquire);
        // A counter behind the anchor's (another CPU's) wraps to a huge
        // `ticks` and takes the slow path.
        let ticks = sys::tsc().wrapping_sub(tsc);
        if seq & 1 == 0 && SEQ.load(Relaxed) == seq && ticks < span {
            return ns.wrapping_add(extrapolate::scale(ticks, mult));
        }
    }
    slow()
}

/// Whether calls are being answered from the counter.
#[cfg(test)]
pub fn extrapolating() -> bool {
    MODE.load(Acquire) == ON && SPAN.load(Acquire) != 0
}

/// The process whose thread last took the seqlock or the decision. A child
/// forked while a thread of its parent held either inherits it held, with
/// no thread to let it go: a caller that finds it held by another process
/// takes it over instead of waiting for good. (No `pthread_atfork` handler:
/// that would be an `extern "C"` function in the core, and would run in
/// every child of the host process, clock user or not.)
static OWNER: AtomicU32 = AtomicU32::new(0);

/// Whether what `OWNER` names was taken by a thread of another process
/// (the parent of this forked child). A system call: only on slow paths.
fn held_elsewhere() -> bool {
    OWNER.load(Acquire) != std::process::id()
}

/// Decides whether to use the TSC, if not done yet and no other thread is
/// doing it.
pub fn prepare() {
    if MODE.load(Acquire) == DECIDING && held_elsewhere() {
        // Inherited from a parent forked while it was deciding.
        let _ = MODE.compare_exchange(DECIDING, UNDECIDED, AcqRel, Relaxed);
    }
    if MODE.load(Acquire) == UNDECIDED {
        OWNER.store(std::process::id(), Relaxed);
        if MODE
            .compare_exchange(UNDECIDED, DECIDING, AcqRel, Relaxed)
            .is_ok()
        {
            MODE.store(decide(), Release);
        }
    }
}

#[cold]
#[inline(never)]
fn slow() -> i64 {
    prepare();
    if MODE.load(Acquire) == ON {
        resync()
    } else {
        sys::realtime_ns()
    }
}

fn decide() -> u8 {
    if trusted() {
        write(&starting_over());
        ON
    } else {
        OFF
    }
}

/// A state with no anchor, its calibration started from the narrowest of
/// three samples, so that a preempted reading does not start it.
fn starting_over() -> State {
    let s = (0..3)
        .map(|_| take())
        .min_by_key(|s| s.width)
        .expect("three samples");
    State::start(&s)
}

/// Whether the kernel and the CPU vouch for the TSC, and the user did not
/// opt out.
fn trusted() -> bool {
    if std::env::var_os("BINLOG_TSC").is_some_and(|v| v == "0") {
        return false;
    }
    sys::kernel_clocksource() == "tsc"
        && has_flags(&sys::cpu_flags(), &["constant_tsc", "nonstop_tsc"])
}

fn has_flags(line: &str, wanted: &[&str]) -> bool {
    wanted
        .iter()
        .all(|w| line.split_whitespace().any(|f| f == *w))
}

/// Reads the real clocks, publishes the next state, and returns the time.
fn resync() -> i64 {
    let mut spins = 0u32;
    loop {
        let Some((seq, state)) = read() else {
            // Being published by another thread, unless the seqlock came
            // odd from the parent of this forked child.
            spins += 1;
            if spins % 1024 == 0 && held_elsewhere() {
                take_over();
            }
            std::hint::spin_loop();
            continue;
        };
        let now = take();
        let a = &state.anchor;
        if a.is_some() && now.tsc.wrapping_sub(a.tsc) < a.span {
            return a.at(now.tsc); // published by another thread meanwhile
        }
        // The rate the next anchor will use: the anchor's, or before the
        // first one, the calibration's so far.
        let rate = match a.rate {
            0 => extrapolate::rate(state.cal.older, now.point()).unwrap_or(0),
            r => r,
        };
        if rate != 0 && extrapolate::scale(now.width, rate) > MAX_WIDTH_NS {
            // Interrupted between the readings: not an anchor (the next call
            // tries again), but the time is right.
            return extrapolate::reading(a, &now);
        }
        // Named before the seqlock is taken (the CAS releases it), so that a
        // thread of this process that finds the seqlock odd finds it ours.
        OWNER.store(std::process::id(), Relaxed);
        if SEQ.compare_exchange(seq, seq + 1, AcqRel, Relaxed).is_err() {
            continue;
        }
        fence(Release);
        let next = extrapolate::advance(&state, &now);
        store(&next);
        SEQ.store(seq + 2, Release);
        return if next.anchor.is_some() && next.anchor.tsc == now.tsc {
            next.anchor.ns
        } else {
            extrapolate::reading(a, &now)
        };
    }
}

fn take() -> Sample {
    let t0 = sys::tsc();
    let real = sys::realtime_ns();
    let t1 = sys::tsc();
    let mono = sys::monotonic_ns();
    let t2 = sys::tsc();
    Sample::from_readings(t0, real, t1, mono, t2)
}

/// A consistent copy of the state and its sequence number, or `None` while
/// it is being rewritten.
fn read() -> Option<(u64, State)> {
    let seq = SEQ.load(Acquire);
    let state = load();
    fence(Acquire);
    (seq & 1 == 0 && SEQ.load(Relaxed) == seq).then_some((seq, state))
}

/// Ends a publication a thread of the parent process began before this
/// child was forked: the state may be torn, so it starts over from a fresh
/// calibration. Of the child's threads that find it, one does it.
#[cold]
fn take_over() {
    let stale = OWNER.load(Acquire);
    let seq = SEQ.load(Acquire);
    if seq & 1 == 0
        || stale == std::process::id()
        || OWNER
            .compare_exchange(stale, std::process::id(), AcqRel, Relaxed)
            .is_err()
    {
        return;
    }
    store(&starting_over());
    SEQ.store(seq + 1, Release);
}

/// Publishes `state` (only `decide`, while MODE says DECIDING: no reader
/// looks at the state, and the seqlock may have come odd from a parent
/// forked while it was publishing, so it is set rather than counted on).
fn write(state: &State) {
    let seq = SEQ.load(Relaxed) | 1;
    OWNER.store(std::process::id(), Relaxed);
    SEQ.store(seq, Relaxed);
    fence(Release);
    store(state);
    SEQ.store(seq + 1, Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_whole_words() {
        let line = "flags\t\t: fpu tsc constant_tsc rep_good nonstop_tsc cpuid";
        assert!(has_flags(line, &["constant_tsc", "nonstop_tsc"]));
        assert!(!has_flags(
            "flags : tsc constant_tsc nonstop_tsc_s",
            &["nonstop_tsc"]
        ));
        assert!(!has_flags("", &["constant_tsc"]));
    }

    /// On this machine, four threads for at least 50 ms and 2,000 readings
    /// each (a loaded host may give a thread few of those 50 ms; 10 s at
    /// most): every reading lies within 1 us of real readings taken just
    /// before and after it, no thread sees time step back, and where the
    /// kernel uses the TSC the readings come from it.
    #[test]
    fn readings_track_the_real_clock_and_never_step_back() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    let start = sys::monotonic_ns();
                    let (end, give_up) = (start + 50_000_000, start + 10_000_000_000);
                    let (mut worst, mut n, mut last) = (0i64, 0u64, i64::MIN);
                    while (sys::monotonic_ns() < end || n < 2000) && sys::monotonic_ns() < give_up {
                        let before = sys::realtime_ns();
                        let t = now_ns();
                        let after = sys::realtime_ns();
                        assert!(t >= last, "stepped back {} ns", last - t);
                        worst = worst.max(before - t).max(t - after);
                        (n, last) = (n + 1, t);
                    }
                    (worst, n)
                })
            })
            .collect();
        for t in threads {
            let (worst, n) = t.join().unwrap();
            assert!(n >= 2000, "{n} readings in 10 s");
            assert!(
                worst <= 1_000,
                "a reading {worst} ns outside the real clock's bracket"
            );
        }
        assert_eq!(extrapolating(), trusted(), "mode {}", MODE.load(Relaxed));
    }

    /// Whether a reading lies within 1 ms of real readings taken just
    /// before and after it (a thread preempted between them only widens
    /// the bracket: no bound on how long that takes).
    fn reads_real_time() -> bool {
        let before = sys::realtime_ns();
        let t = now_ns();
        let after = sys::realtime_ns();
        t >= before - 1_000_000 && t <= after + 1_000_000
    }

    /// A child forked while another thread of the parent was publishing
    /// (the seqlock odd) has no such thread: its first call must still
    /// return, with the real time. The publishing thread is played by this
    /// one, which holds the seqlock across the fork.
    #[test]
    fn a_child_forked_while_the_clock_was_being_published_reads_it() {
        prepare();
        while matches!(MODE.load(Acquire), DECIDING | UNDECIDED) {
            std::thread::yield_now(); // another test's thread is deciding
        }
        if MODE.load(Acquire) != ON {
            return; // no TSC here: no seqlock
        }
        let seq = loop {
            let s = SEQ.load(Acquire);
            if s & 1 == 0 && SEQ.compare_exchange(s, s + 1, Acquire, Relaxed).is_ok() {
                break s;
            }
        };
        // The child calls only the clock (atomics, rdtsc, clock_gettime).
        let child = sys::ForkedChild::spawn(reads_real_time);
        SEQ.store(seq + 2, Release);
        if let Err(e) = child.wait() {
            panic!("child: {e}");
        }
    }

    /// A child forked while a thread of its parent was deciding whether to
    /// use the TSC decides again (it has no thread to finish the parent's
    /// decision), rather than reading the real clock for good. The parent's
    /// deciding thread is played by this one.
    #[test]
    fn a_child_forked_while_the_parent_decided_decides_again() {
        prepare();
        // Another test's thread may be the one deciding: prepare() does
        // not wait for it.
        let decided = loop {
            match MODE.load(Acquire) {
                DECIDING | UNDECIDED => std::thread::yield_now(),
                m => break m,
            }
        };
        // The child uses atomics and the clock only.
        let child = sys::ForkedChild::spawn(|| {
            MODE.store(DECIDING, Release);
            OWNER.store(std::process::id() + 1, Release); // the parent's
            reads_real_time() && MODE.load(Acquire) == decided
        });
        if let Err(e) = child.wait() {
            panic!("child: {e}: it did not decide again ({decided} before)");
        }
    }
}
