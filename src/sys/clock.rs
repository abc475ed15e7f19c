//! The kernel's clocks, and what the TSC clock (x86_64) reads: the
//! time-stamp counter, a monotonic clock to measure its rate against, and
//! whether the kernel and the CPU vouch for it. Which clock each OS has
//! for monotonic and boot time is the backend's (`backend::MONOTONIC`,
//! `backend::BOOT`).

/// CLOCK_REALTIME in nanoseconds since the Unix epoch.
#[inline]
pub fn realtime_ns() -> i64 {
    clock_ns(libc::CLOCK_REALTIME)
}

/// The monotonic clock in nanoseconds (never stepped; it stops while the
/// machine sleeps): what the TSC clock's rate is measured against.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn monotonic_ns() -> i64 {
    clock_ns(super::backend::MONOTONIC)
}

/// The boot-time clock in nanoseconds: elapsed time since boot, never
/// stepped, suspend included where the OS counts it (Linux, macOS).
pub fn boottime_ns() -> i64 {
    clock_ns(super::backend::BOOT)
}

#[inline]
#[allow(clippy::useless_conversion)]
fn clock_ns(clock: libc::clockid_t) -> i64 {
    let mut ts = timespec(std::time::Duration::ZERO);
    // SAFETY: clock_gettime writes one timespec, which we own; it cannot
    // fail for these clocks with a valid address.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    // time_t and c_long are i64 on the 64-bit targets we build for.
    i64::from(ts.tv_sec)
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(ts.tv_nsec))
}

/// `d` as a `timespec`.
pub(super) fn timespec(d: std::time::Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    }
}

/// The CPU's time-stamp counter (one `rdtsc`, not serializing).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn tsc() -> u64 {
    // SAFETY: rdtsc reads a register; every x86_64 CPU has it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The clock source the kernel keeps its time with ("tsc", "hpet",
/// "kvm-clock"...); empty if it cannot be read.
#[cfg(target_arch = "x86_64")]
pub fn kernel_clocksource() -> String {
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The first CPU's line of flags in /proc/cpuinfo (all CPUs have the
/// same); empty if there is none. The file is long on big machines, so it
/// is read only that far.
#[cfg(target_arch = "x86_64")]
pub fn cpu_flags() -> String {
    std::fs::File::open("/proc/cpuinfo")
        .map(std::io::BufReader::new)
        .into_iter()
        .flat_map(std::io::BufRead::lines)
        .map_while(std::result::Result::ok)
        .find(|l| l.starts_with("flags"))
        .unwrap_or_default()
}
