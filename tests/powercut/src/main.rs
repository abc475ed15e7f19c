//! powercut: a FUSE filesystem that forgets what was not synced, to test
//! what survives a power cut (the model of LazyFS, "When Amnesia Strikes",
//! VLDB 2024). See README.md beside Cargo.toml.
//!
//! `powercut BACKING MOUNTPOINT [--seed N] [--torn 0|512|4096] [--keep-dir-ops]
//! [--fail-fsync] [--disk-full] [--fail-fsync-at N] [--disk-full-at N] [--cut-at N]`
//!
//! Serves the tree at BACKING on MOUNTPOINT, prints `mounted` on stdout,
//! then waits for signals:
//! - SIGUSR1 cuts the power: only what was synced (plus what `--torn` and
//!   `--keep-dir-ops` keep by the seed) is written back to BACKING, the
//!   mount is detached (programs still using it get errors) and the process
//!   exits 0;
//! - SIGTERM or SIGINT is a clean unmount: everything is synced first;
//! - the fault switches, each answered by a line on stdout once in force:
//!   SIGUSR2 fails every fsync with EIO (`fsync-eio`), SIGHUP fills the
//!   disk (`disk-full`: ENOSPC), SIGQUIT ends both (`faults-cleared`).
//!   Standard signals only: qemu-user renumbers real-time ones between an
//!   emulated test and this native tool.
//!   `--fail-fsync` and `--disk-full` start with them on;
//!   `--fail-fsync-at N` fails the Nth fsync from the mount (that one
//!   only), `--disk-full-at N` fills the disk at the Nth write or
//!   fallocate: faults at a point a test draws, not at a signal;
//! - `--cut-at N` cuts the power in place of the Nth change or sync from
//!   the mount (it never runs), as SIGUSR1 would; a clean unmount prints
//!   `changes N`, the count of them, before `unmounted`.

mod cut;
mod fs;
mod model;
mod rng;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

struct Args {
    backing: PathBuf,
    mountpoint: PathBuf,
    policy: cut::Policy,
    faults: model::Faults,
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "powercut: {msg}\nusage: powercut BACKING MOUNTPOINT [--seed N] [--torn 0|512|4096] [--keep-dir-ops] \
         [--fail-fsync] [--disk-full] [--fail-fsync-at N] [--disk-full-at N] [--cut-at N]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut positional = Vec::new();
    let mut policy = cut::Policy::default();
    let mut faults = model::Faults::default();
    let mut it = std::env::args_os().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> u64 {
            let v = it
                .next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")));
            v.to_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name}: not a number: {v:?}")))
        };
        match a.to_str() {
            Some("--seed") => policy.seed = value("--seed"),
            Some("--torn") => match value("--torn") {
                p @ (0 | 512 | 4096) => policy.torn = Some(p),
                p => usage(&format!("--torn: 0, 512 or 4096, not {p}")),
            },
            Some("--keep-dir-ops") => policy.keep_dir_ops = true,
            Some("--fail-fsync") => faults.fsync_eio = true,
            Some("--disk-full") => faults.disk_full = true,
            Some("--fail-fsync-at") => faults.fail_fsync_at = Some(value("--fail-fsync-at").max(1)),
            Some("--disk-full-at") => faults.disk_full_at = Some(value("--disk-full-at").max(1)),
            Some("--cut-at") => faults.cut_at = Some(value("--cut-at").max(1)),
            Some(s) if s.starts_with("--") => usage(&format!("unknown option {s}")),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [backing, mountpoint] = <[PathBuf; 2]>::try_from(positional)
        .unwrap_or_else(|_| usage("BACKING and MOUNTPOINT are needed"));
    Args {
        backing,
        mountpoint,
        policy,
        faults,
    }
}

/// What cutting the power does: the durable state (plus what the policy
/// keeps) written to the backing directory, the mount detached.
#[derive(Clone)]
pub struct PowerOff {
    backing: PathBuf,
    mountpoint: PathBuf,
    policy: cut::Policy,
}

impl PowerOff {
    /// Cuts the power now and ends the process; `m` is never unlocked, so
    /// no request completes after this point.
    pub fn cut(&self, m: &mut model::Model) -> ! {
        cut::survive(m, self.policy);
        self.finish(m, "cut")
    }

    /// Writes `m` to the backing directory, detaches the mount, says
    /// `done` and exits.
    fn finish(&self, m: &model::Model, done: &str) -> ! {
        let written = cut::write_durable(m, &self.backing);
        detach(&self.mountpoint);
        if let Err(e) = written {
            eprintln!("powercut: write {}: {e}", self.backing.display());
            std::process::exit(1)
        }
        say(done);
        // Exiting closes /dev/fuse: requests still waiting for the lock fail.
        std::process::exit(0)
    }
}

/// Applies the fault switch `sig` to `faults`; returns the line that says
/// so, or `None` for a signal that is no switch.
fn fault_switch(sig: i32, faults: &mut model::Faults) -> Option<&'static str> {
    if sig == libc::SIGUSR2 {
        faults.fsync_eio = true;
        Some("fsync-eio")
    } else if sig == libc::SIGHUP {
        faults.disk_full = true;
        Some("disk-full")
    } else if sig == libc::SIGQUIT {
        *faults = model::Faults::default();
        Some("faults-cleared")
    } else {
        None
    }
}

/// Prints `line` on stdout at once: the test waits for it.
fn say(line: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The signals the main thread waits for, blocked in every thread (the
/// FUSE threads inherit the mask) so that only `sigwait` takes them.
fn control_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use;
    // pthread_sigmask only reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        let switches = [libc::SIGUSR2, libc::SIGHUP, libc::SIGQUIT];
        for s in [libc::SIGUSR1, libc::SIGTERM, libc::SIGINT]
            .into_iter()
            .chain(switches)
        {
            libc::sigaddset(&mut set, s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

fn wait_signal(set: &libc::sigset_t) -> i32 {
    let mut sig = 0;
    // SAFETY: `set` and `sig` are valid for the call.
    let rc = unsafe { libc::sigwait(set, &mut sig) };
    assert_eq!(rc, 0, "sigwait failed");
    sig
}

fn detach(mountpoint: &std::path::Path) {
    let c = std::ffi::CString::new(mountpoint.as_os_str().as_encoded_bytes()).expect("no NUL");
    // SAFETY: `c` is NUL-terminated and lives through the call.
    if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } != 0 {
        eprintln!(
            "powercut: unmount {}: {}",
            mountpoint.display(),
            std::io::Error::last_os_error()
        );
    }
}

fn main() {
    let args = parse_args();
    let model = cut::load(&args.backing).unwrap_or_else(|e| {
        eprintln!("powercut: read {}: {e}", args.backing.display());
        std::process::exit(1)
    });
    let mut model = model;
    model.faults = args.faults;
    let model = Arc::new(Mutex::new(model));
    let signals = control_signals();
    let power_off = PowerOff {
        backing: args.backing.clone(),
        mountpoint: args.mountpoint.clone(),
        policy: args.policy,
    };
    let mut config = fuser::Config::default();
    config.mount_options = vec![fuser::MountOption::FSName("powercut".into())];
    let session = fuser::spawn_mount(
        fs::PowerCutFs {
            model: model.clone(),
            power_off: power_off.clone(),
        },
        &args.mountpoint,
        &config,
    )
    .unwrap_or_else(|e| {
        eprintln!("powercut: mount {}: {e}", args.mountpoint.display());
        std::process::exit(1)
    });
    say("mounted");
    let (sig, mut m) = loop {
        let sig = wait_signal(&signals);
        let mut m = model.lock().unwrap_or_else(|p| p.into_inner());
        // A switch is in force for every request answered after the lock
        // is released; after a cut or an unmount the lock is never
        // released: no operation completes after that point.
        match fault_switch(sig, &mut m.faults) {
            Some(line) => {
                drop(m);
                say(line);
            }
            None => break (sig, m),
        }
    };
    // The session is never dropped: exiting closes /dev/fuse.
    std::mem::forget(session);
    if sig == libc::SIGUSR1 {
        power_off.cut(&mut m);
    }
    m.sync_all();
    say(&format!("changes {}", m.changes));
    power_off.finish(&m, "unmounted")
}
