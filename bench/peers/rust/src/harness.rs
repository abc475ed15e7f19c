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
        let (mut lib_folios, mut peer_folios) = (Vec::new(), Vec::new());
        for i in 0..self.pairs {
            let mut sides: [(Side, &mut Vec<f64>, &mut Vec<f64>); 2] = [
                (&mut lib, &mut lib_rate, &mut lib_folios),
                (&mut peer, &mut peer_rate, &mut peer_folios),
            ];
            if i % 2 == 1 {
                sides.reverse();
            }
            for (run, rates, folios) in sides {
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
                folios.push(share_in_2mib_folios(&dir));
                std::fs::remove_dir_all(&dir).expect("remove the bench directory");
            }
        }
        println!(
            "{{\"suite\":\"rust\",\"peer\":\"{}\",\"row\":\"{}\",\"records\":{},\"lib_per_s\":{:?},\"peer_per_s\":{:?},\"lib_2mib_folios\":{:?},\"peer_2mib_folios\":{:?}}}",
            row.peer, row.name, row.records, lib_rate, peer_rate, lib_folios, peer_folios
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

/// The share of the bytes of the files under `dir` (what a side wrote and
/// read) that the page cache holds in 2 MiB folios, or -1 where the frame
/// numbers cannot be read (not root): a full scan through a mapping costs
/// about twice as much in 64 KiB folios, three times in 4 KiB pages
/// (docs/PERFORMANCE.md, e; bench/folios.py prints a file's histogram).
/// Each page is touched through a mapping (reading in any page evicted),
/// and its frame's flags read from /proc/self/pagemap and /proc/kpageflags:
/// a folio is a head page and the tail pages after it.
fn share_in_2mib_folios(dir: &Path) -> f64 {
    let (mut in_2mib, mut pages) = (0u64, 0u64);
    for path in files_under(dir) {
        match folio_pages(&path) {
            Some((a, b)) => (in_2mib, pages) = (in_2mib + a, pages + b),
            None => return -1.0,
        }
    }
    if pages == 0 {
        return -1.0;
    }
    in_2mib as f64 / pages as f64
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(files_under(&e.path())),
            Ok(t) if t.is_file() => out.push(e.path()),
            _ => {}
        }
    }
    out
}

/// The pages of the file at `path` in 2 MiB folios, and its pages.
fn folio_pages(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::FileExt;
    const PAGE: usize = 4096;
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len() as usize;
    if len == 0 {
        return Some((0, 0));
    }
    let (pm, kf) = (
        std::fs::File::open("/proc/self/pagemap").ok()?,
        std::fs::File::open("/proc/kpageflags").ok()?,
    );
    let pages = len.div_ceil(PAGE);
    // SAFETY: a read-only shared mapping of a file this process opened,
    // read a byte a page while mapped, and unmapped below.
    let m = unsafe {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    if m == libc::MAP_FAILED {
        return None;
    }
    let base = m as usize;
    let read_u64 = |f: &std::fs::File, at: u64| {
        let mut b = [0u8; 8];
        f.read_exact_at(&mut b, at)
            .ok()
            .map(|_| u64::from_le_bytes(b))
    };
    let (mut in_2mib, mut run, mut ok) = (0u64, 0u64, true);
    for i in 0..=pages {
        if i < pages {
            // SAFETY: inside the mapping.
            unsafe { std::ptr::read_volatile((base + i * PAGE) as *const u8) };
            let entry = read_u64(&pm, ((base / PAGE + i) * 8) as u64);
            let frame = entry.map(|e| e & ((1 << 55) - 1)).filter(|&f| f != 0);
            let Some(flags) = frame.and_then(|f| read_u64(&kf, f * 8)) else {
                ok = false;
                break;
            };
            if flags & (1 << 16) != 0 && run > 0 {
                run += 1; // KPF_COMPOUND_TAIL: the folio goes on
                continue;
            }
        }
        if run == 512 {
            in_2mib += run;
        }
        run = 1;
    }
    // SAFETY: the mapping made above, no longer read.
    unsafe { libc::munmap(m, len) };
    ok.then_some((in_2mib, pages as u64))
}
