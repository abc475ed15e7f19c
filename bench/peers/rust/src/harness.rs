//! Interleaved pairs: each pair runs libbinlog and the peer once each, in
//! alternating order, in fresh directories; a row's line carries every
//! pair's records per second for both sides.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One side of a row: returns the time of what it measured.
type Side<'a> = &'a mut dyn FnMut(&Path) -> Duration;

pub struct Params {
    pub pairs: usize,
    pub records_600: u64,
    pub records_32: u64,
    pub records_durable: u64,
    dir: PathBuf,
}

pub struct Row {
    peer: &'static str,
    name: String,
    records: u64,
}

impl Row {
    pub fn new(peer: &'static str, name: String, records: u64) -> Row {
        Row {
            peer,
            name,
            records,
        }
    }
}

impl Row {
    /// Whether the row runs: every row, or with BENCH_PEERS_ROWS set, the
    /// rows whose name holds one of its comma-separated parts (to time or
    /// profile a few rows alone). Instructions a record: one pair under
    /// `valgrind --tool=callgrind --collect-atstart=no
    /// --toggle-collect='*harness::timed' --dump-after='*harness::timed'`
    /// writes a file per timed side, in row order, the library's first.
    fn selected(&self) -> bool {
        match std::env::var("BENCH_PEERS_ROWS") {
            Ok(rows) if !rows.is_empty() => rows.split(',').any(|r| self.name.contains(r)),
            _ => true,
        }
    }
}

impl Params {
    pub fn from_args() -> Params {
        let a: Vec<String> = std::env::args().collect();
        assert!(
            a.len() == 6,
            "usage: {} PAIRS RECORDS_600 RECORDS_32 RECORDS_DURABLE DIR",
            a[0]
        );
        let num = |i: usize| a[i].parse::<u64>().expect("a number");
        Params {
            pairs: num(1) as usize,
            records_600: num(2),
            records_32: num(3),
            records_durable: num(4),
            dir: PathBuf::from(&a[5]),
        }
    }

    /// Runs `lib` and `peer` `self.pairs` times each, interleaved; each
    /// returns the time of what it measured.
    pub fn pairs(
        &self,
        row: &Row,
        mut lib: impl FnMut(&Path) -> Duration,
        mut peer: impl FnMut(&Path) -> Duration,
    ) {
        if !row.selected() {
            return;
        }
        let (mut lib_rate, mut peer_rate) = (Vec::new(), Vec::new());
        for i in 0..self.pairs {
            let mut sides: [(Side, &mut Vec<f64>); 2] =
                [(&mut lib, &mut lib_rate), (&mut peer, &mut peer_rate)];
            if i % 2 == 1 {
                sides.reverse();
            }
            for (run, rates) in sides {
                // BENCH_PEERS_IDLE_S: seconds idle before each run, for the
                // host to take freed memory back (a VM's fresh memory).
                if let Some(s) = std::env::var("BENCH_PEERS_IDLE_S")
                    .ok()
                    .and_then(|s| s.parse().ok())
                {
                    std::thread::sleep(Duration::from_secs(s));
                }
                let dir = self.fresh_dir();
                let t = run(&dir);
                rates.push(row.records as f64 / t.as_secs_f64());
                std::fs::remove_dir_all(&dir).expect("remove the bench directory");
            }
        }
        println!(
            "{{\"suite\":\"rust\",\"peer\":\"{}\",\"row\":\"{}\",\"records\":{},\"lib_per_s\":{:?},\"peer_per_s\":{:?}}}",
            row.peer, row.name, row.records, lib_rate, peer_rate
        );
    }

    fn fresh_dir(&self) -> PathBuf {
        let dir = self.dir.join("run");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the bench directory");
        dir
    }
}

/// The time `f` takes: wall-clock, or with BENCH_PEERS_CPU=1 the calling
/// thread's CPU time (for a single-threaded row on a loaded machine: the
/// time other processes take the core is not counted). Never inlined: a
/// profiler toggles its collection on this function, in an LTO build too.
#[inline(never)]
pub fn timed(f: impl FnOnce()) -> Duration {
    if std::env::var_os("BENCH_PEERS_CPU").is_some_and(|v| v == "1") {
        let start = thread_cpu();
        f();
        return thread_cpu() - start;
    }
    let start = Instant::now();
    f();
    start.elapsed()
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
