//! The arithmetic of the TSC clock (`tsc.rs`), free of global state so that
//! it can be tested with made-up readings: when to trust a sample, the rate,
//! and each new anchor.
//!
//! An anchor says "at counter value `tsc` the wall clock read `ns`; add
//! `mult` ns per tick for the next `span` ticks". Each resync publishes the
//! next one. Where the real clock is found a little behind the old anchor's
//! extrapolation (a rate or pairing error of some ns), the new anchor starts
//! where the old one left off and runs slow enough to meet the real clock at
//! its end: readings never step back, and the error is corrected within one
//! span. A real clock further behind than MAX_SLEW_NS was set back: it is
//! followed at once, as clock_gettime would.

/// How long one real reading is extrapolated.
pub const RESYNC_NS: u64 = 100_000;
/// How long the rate is measured over before it is used: a 20 ns pairing
/// error over 1 ms is 2e-5, 2 ns per span. The measurement restarts every
/// ROLL_NS, so that the rate follows NTP's and a changed counter rate
/// (a resumed machine) ages out.
pub const CALIBRATE_NS: i64 = 1_000_000;
pub const ROLL_NS: i64 = 1_000_000_000;
/// Largest tolerated miss of an extrapolation of CLOCK_MONOTONIC over at most
/// JUDGE_NS, and over longer in proportion; a larger one (a paused or
/// resumed counter) starts the calibration over. 2 us in 10 ms is 200 ppm,
/// beyond NTP's corrections.
pub const MAX_MISS_NS: u64 = 2_000;
pub const JUDGE_NS: i64 = 10_000_000;
/// Most a new anchor runs slow to absorb the old one's lead.
pub const MAX_SLEW_NS: i64 = 1_000;
/// Widest sample used once the rate is known (half of it is the worst
/// pairing error).
pub const MAX_WIDTH_NS: i64 = 100;

/// One reading of both clocks, each paired with the middle of the counter
/// readings just before and after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub tsc: u64,
    pub real: i64,
    pub mono_tsc: u64,
    pub mono: i64,
    /// Ticks around the slower of the two readings: a wide sample was
    /// interrupted, and its pairing is off by up to half of this.
    pub width: u64,
}

impl Sample {
    pub fn from_readings(t0: u64, real: i64, t1: u64, mono: i64, t2: u64) -> Sample {
        Sample {
            tsc: t0.wrapping_add(t1.wrapping_sub(t0) / 2),
            real,
            mono_tsc: t1.wrapping_add(t2.wrapping_sub(t1) / 2),
            mono,
            width: t1.wrapping_sub(t0).max(t2.wrapping_sub(t1)),
        }
    }

    /// A (counter, CLOCK_MONOTONIC) point to measure the rate from.
    pub fn point(&self) -> Point {
        Point::new(self.mono_tsc, self.mono)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Point {
    pub tsc: u64,
    pub mono: i64,
}

impl Point {
    pub const fn new(tsc: u64, mono: i64) -> Point {
        Point { tsc, mono }
    }
}

/// The published extrapolation; `mult == 0` is none (real readings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anchor {
    pub tsc: u64,
    pub ns: i64,
    /// ns per tick, 32.32 fixed point: the rate, slowed while absorbing a
    /// lead.
    pub mult: u64,
    /// Ticks this anchor is good for.
    pub span: u64,
    /// The measured rate and the CLOCK_MONOTONIC point at `tsc`, to judge
    /// the anchor at the next resync.
    pub rate: u64,
    pub mono: Point,
}

impl Anchor {
    pub fn is_some(&self) -> bool {
        self.mult != 0
    }

    /// The reading at counter value `tsc` (at or after the anchor's).
    #[inline]
    pub fn at(&self, tsc: u64) -> i64 {
        self.ns
            .wrapping_add(scale(tsc.wrapping_sub(self.tsc), self.mult))
    }

    /// Whether `now`'s counter, at the measured rate, misses `now`'s
    /// CLOCK_MONOTONIC by more than MAX_MISS_NS, or, more than JUDGE_NS
    /// after the anchor, by more than that ratio (200 ppm: a few ppm of rate
    /// error would fail a fixed bound over a long gap, and not judging it
    /// at all let a counter that ran on while CLOCK_MONOTONIC stood still,
    /// a suspend, into the rate).
    pub fn missed(&self, now: &Sample) -> bool {
        if !self.is_some() {
            return false;
        }
        let ticks = now.mono_tsc.wrapping_sub(self.mono.tsc);
        if ticks > 1 << 63 {
            return true; // the counter went back
        }
        let elapsed = now.mono.wrapping_sub(self.mono.mono);
        let predicted = self.mono.mono.wrapping_add(scale(ticks, self.rate));
        let allowed = MAX_MISS_NS.max(elapsed.max(0) as u64 / (JUDGE_NS as u64 / MAX_MISS_NS));
        predicted.wrapping_sub(now.mono).unsigned_abs() > allowed
    }
}

/// What the rate is measured from: `older` until `newer` is ROLL_NS old.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calibration {
    pub older: Point,
    pub newer: Point,
    /// CLOCK_REALTIME minus CLOCK_MONOTONIC when it started. Before the
    /// first anchor there is no rate to judge the counter by; a change of
    /// this (a suspend, which the real clock counts and CLOCK_MONOTONIC
    /// leaves out while the counter may run on, or a step of the real
    /// clock) starts the calibration over.
    pub offset: i64,
}

/// Everything a resync reads and writes, published together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub anchor: Anchor,
    pub cal: Calibration,
}

impl State {
    /// No anchor yet, the calibration starting at `s`.
    pub fn start(s: &Sample) -> State {
        let cal = Calibration {
            older: s.point(),
            newer: s.point(),
            offset: s.real.wrapping_sub(s.mono),
        };
        State {
            anchor: Anchor::default(),
            cal,
        }
    }
}

/// What a call that reads the real clock at `now` returns: the real time,
/// or the anchor's extrapolation where that is ahead of it by at most
/// MAX_SLEW_NS (so that no caller sees time step back).
pub fn reading(anchor: &Anchor, now: &Sample) -> i64 {
    if anchor.is_some() && now.tsc >= anchor.tsc {
        let lead = anchor.at(now.tsc).wrapping_sub(now.real);
        if lead > 0 && lead <= MAX_SLEW_NS {
            return now.real + lead;
        }
    }
    now.real
}

/// The state after a resync at `now`. A sample a little older than the
/// anchor (another CPU's counter, or an `rdtsc` run early) changes nothing;
/// a counter further back went back, a miss.
pub fn advance(state: &State, now: &Sample) -> State {
    let prev = &state.anchor;
    if prev.is_some()
        && now.tsc < prev.tsc
        && scale(prev.tsc - now.tsc, prev.rate) <= MAX_MISS_NS as i64
    {
        return *state;
    }
    let offset_moved = || {
        let offset = now.real.wrapping_sub(now.mono);
        offset.wrapping_sub(state.cal.offset).unsigned_abs() > MAX_MISS_NS
    };
    if prev.missed(now) || (!prev.is_some() && offset_moved()) {
        return State::start(now);
    }
    let mut cal = state.cal;
    if now.mono.wrapping_sub(cal.newer.mono) >= ROLL_NS {
        (cal.older, cal.newer) = (cal.newer, now.point());
    }
    let Some(rate) = rate(cal.older, now.point()) else {
        return State {
            anchor: Anchor::default(),
            cal,
        };
    };
    let span = u64::try_from(((RESYNC_NS as u128) << 32).div_ceil(rate as u128)).unwrap_or(0);
    let ns = reading(prev, now);
    // Slow by the lead over one span: meets the real clock at its end.
    let lead = (ns - now.real) as u64;
    let mult = rate - (rate as u128 * lead as u128 / RESYNC_NS as u128) as u64;
    State {
        anchor: Anchor {
            tsc: now.tsc,
            ns,
            mult,
            span,
            rate,
            mono: now.point(),
        },
        cal,
    }
}

/// The rate from `from` to `to` in 32.32 ns per tick, once CALIBRATE_NS have
/// passed; `None` before, or if the counter did not move forward.
pub fn rate(from: Point, to: Point) -> Option<u64> {
    let ns = to.mono.checked_sub(from.mono)?;
    let ticks = to.tsc.checked_sub(from.tsc)?;
    if ns < CALIBRATE_NS || ticks == 0 {
        return None;
    }
    u64::try_from(((ns as u128) << 32) / ticks as u128)
        .ok()
        .filter(|&m| m != 0)
}

/// `ticks` at `mult` (32.32 ns per tick) in ns.
#[inline]
pub fn scale(ticks: u64, mult: u64) -> i64 {
    ((ticks as u128 * mult as u128) >> 32) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample of a 3 GHz counter that started with the clocks at 0 and
    /// real = mono + 10^18, read `off` ns late.
    fn at(ns: i64, off: i64) -> Sample {
        let tsc = 3 * ns as u64;
        Sample {
            tsc,
            real: 1_000_000_000_000_000_000 + ns + off,
            mono_tsc: tsc,
            mono: ns,
            width: 30,
        }
    }

    fn calibrated(ns: i64) -> State {
        let s0 = State::start(&at(0, 0));
        advance(&s0, &at(ns, 0))
    }

    #[test]
    fn rate_is_ns_per_tick_once_measured_long_enough() {
        let from = Point::new(1_000, 0);
        let to = |ns: i64| Point::new(1_000 + 3 * ns as u64, ns);
        assert_eq!(rate(from, to(CALIBRATE_NS - 1)), None);
        let m = rate(from, to(CALIBRATE_NS)).unwrap();
        assert_eq!(scale(3_000_000, m), 999_999); // 1/3 rounds down
        assert_eq!(rate(from, Point::new(999, 2_000_000)), None);
    }

    #[test]
    fn the_first_anchor_comes_once_the_rate_is_measured() {
        let s0 = State::start(&at(0, 0));
        let early = advance(&s0, &at(CALIBRATE_NS / 2, 0));
        assert!(!early.anchor.is_some());
        let s = advance(&early, &at(2_000_000, 0));
        let a = s.anchor;
        assert!(a.is_some());
        assert_eq!(a.ns, at(2_000_000, 0).real);
        // 100 us later it reads 100 us later (to the ns).
        let t = at(2_000_000 + RESYNC_NS as i64, 0);
        assert!((a.at(t.tsc) - t.real).abs() <= 1);
        assert!(a.span >= 299_999 && a.span <= 300_001, "{}", a.span);
    }

    #[test]
    fn a_real_clock_behind_the_extrapolation_is_absorbed_without_a_step_back() {
        let s = calibrated(2_000_000);
        // At the next resync the real clock reads 40 ns behind.
        let now = at(2_100_000, -40);
        let cont = s.anchor.at(now.tsc);
        assert_eq!(reading(&s.anchor, &now), cont);
        let next = advance(&s, &now);
        assert_eq!(next.anchor.ns, cont, "continues where the old anchor ends");
        assert!(next.anchor.mult < next.anchor.rate);
        // ...and meets the real clock (which keeps its 40 ns lag) one span on.
        let end = at(2_200_000, -40);
        assert!((next.anchor.at(end.tsc) - end.real).abs() <= 1);
    }

    #[test]
    fn a_real_clock_ahead_or_set_back_is_followed() {
        let s = calibrated(2_000_000);
        let ahead = at(2_100_000, 500);
        assert_eq!(advance(&s, &ahead).anchor.ns, ahead.real);
        let set_back = at(2_100_000, -5_000_000_000);
        assert_eq!(reading(&s.anchor, &set_back), set_back.real);
        let a = advance(&s, &set_back).anchor;
        assert_eq!((a.ns, a.mult), (set_back.real, a.rate));
    }

    #[test]
    fn a_counter_that_paused_or_ran_on_starts_over() {
        let s = calibrated(2_000_000);
        // CLOCK_MONOTONIC ran 5 us more than the counter says, or less.
        for skew in [5_000u64, 0u64.wrapping_sub(5_000)] {
            let mut now = at(2_100_000, 0);
            now.mono_tsc = now.mono_tsc.wrapping_sub(skew.wrapping_mul(3));
            now.tsc = now.mono_tsc;
            let next = advance(&s, &now);
            assert!(!next.anchor.is_some());
            assert_eq!(next.cal, State::start(&now).cal);
        }
        // Within tolerance: kept.
        let mut now = at(2_100_000, 0);
        now.mono += 1_900;
        assert!(advance(&s, &now).anchor.is_some());
        // Beyond JUDGE_NS, judged in proportion: 5 us in 100 ms is kept,
        // 30 us is not.
        let mut late = at(2_000_000 + 10 * JUDGE_NS, 0);
        late.mono += 5_000;
        assert!(!s.anchor.missed(&late));
        late.mono += 25_000;
        assert!(s.anchor.missed(&late));
    }

    #[test]
    fn a_sample_older_than_the_anchor_changes_nothing() {
        let s = calibrated(2_000_000);
        assert_eq!(advance(&s, &at(1_999_999, 0)), s);
    }

    #[test]
    fn the_rate_is_measured_over_the_last_one_to_two_seconds() {
        let mut s = calibrated(2_000_000);
        assert_eq!(s.cal.older, at(0, 0).point());
        s = advance(&s, &at(ROLL_NS, 0));
        assert_eq!(s.cal.older, at(0, 0).point());
        assert_eq!(s.cal.newer, at(ROLL_NS, 0).point());
        s = advance(&s, &at(2 * ROLL_NS, 0));
        assert_eq!(s.cal.older, at(ROLL_NS, 0).point());
        // The counter runs 100 ppm faster from here on (too little to be
        // a miss): within two rolls the rate is the new one.
        let (base_tsc, base_ns) = (s.anchor.tsc, 2 * ROLL_NS);
        for ms in 1..=2_100i64 {
            let tsc = base_tsc + (ms as u64) * 3_000_300;
            let ns = base_ns + ms * 1_000_000;
            let now = Sample {
                tsc,
                real: 1_000_000_000_000_000_000 + ns,
                mono_tsc: tsc,
                mono: ns,
                width: 30,
            };
            s = advance(&s, &now);
            assert!(s.anchor.is_some(), "kept at {ms} ms");
        }
        let second = scale(3_000_300_000, s.anchor.rate);
        assert!((second - 1_000_000_000).abs() <= 2, "{second}");
    }

    /// A counter that went back a long way (reset by a resume, or a move to
    /// another host) is a miss, not a stale sample: the rate is measured
    /// again and the counter is used again once it is.
    #[test]
    fn a_counter_that_went_back_is_measured_again() {
        let s = calibrated(2_000_000);
        // 1 s later the counter reads 1 ms.
        let mut now = at(1_002_000_000, 0);
        now.tsc = 3_000_000;
        now.mono_tsc = now.tsc;
        let next = advance(&s, &now);
        assert!(!next.anchor.is_some());
        assert_eq!(next.cal, State::start(&now).cal);
        // 2 ms on, an anchor again, and it reads the real clock.
        let mut later = at(1_004_000_000, 0);
        later.tsc = 3_000_000 + 6_000_000;
        later.mono_tsc = later.tsc;
        let a = advance(&next, &later).anchor;
        assert!(a.is_some());
        assert_eq!(a.ns, later.real);
    }

    /// A counter that ran on while CLOCK_MONOTONIC stood still (a machine
    /// suspended to idle: the counter keeps counting, CLOCK_MONOTONIC leaves
    /// the sleep out) is caught even when the resync comes more than
    /// JUDGE_NS after the anchor: the anchor after it reads the real clock.
    #[test]
    fn a_counter_that_ran_on_over_a_long_gap_is_caught() {
        let s = calibrated(2_000_000);
        // 50 ms of CLOCK_MONOTONIC later; the counter and the real clock
        // ran an hour more.
        let hour = 3_600_000_000_000i64;
        let mut now = at(52_000_000 + hour, 0);
        now.mono = 52_000_000;
        let next = advance(&s, &now);
        let a = next.anchor;
        if a.is_some() {
            let end = at(52_000_000 + hour + RESYNC_NS as i64, 0);
            let err = a.at(end.tsc) - end.real;
            assert!(err.abs() <= 1_000, "{err} ns off one span on");
        }
        assert!(s.anchor.missed(&now));
    }

    /// The same before the first anchor, where there is no rate to judge
    /// by: a writer opened (the calibration starts), the machine suspended
    /// to idle for an hour, then the first write 5 ms of CLOCK_MONOTONIC
    /// on. The jump shows as the real clock running an hour ahead of
    /// CLOCK_MONOTONIC: the calibration starts over.
    #[test]
    fn a_counter_that_ran_on_during_the_calibration_is_not_measured() {
        let s0 = State::start(&at(0, 0));
        let hour = 3_600_000_000_000i64;
        let mut now = at(5_000_000 + hour, 0);
        now.mono = 5_000_000;
        let next = advance(&s0, &now);
        let a = next.anchor;
        if a.is_some() {
            let end = at(5_000_000 + hour + RESYNC_NS as i64, 0);
            let err = a.at(end.tsc) - end.real;
            assert!(err.abs() <= 1_000, "{err} ns off one span on");
        }
        assert_eq!(next.cal, State::start(&now).cal);
    }
}
