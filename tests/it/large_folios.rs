//! A segment written with the default 1 MiB buffer reaches the page cache in
//! 2 MiB writes (the write-behind thread pairs buffers, see
//! `src/writer/write_behind/pair.rs`; but for the buffers it writes in
//! pieces, `pieces.rs`), so that the page cache holds it in 2 MiB folios
//! and a reader's mapping maps them with one page-table entry each: what
//! makes reading a rare type through the per-type index fast.
//!
//! Measured through `/proc/self/smaps` (`FilePmdMapped`: file pages mapped
//! by 2 MiB entries) after touching every page of a mapping, against two
//! raw files written in the same directory: one in 2 MiB writes (what the
//! filesystem can do) and one in 1 MiB writes (which can never be mapped
//! so), so that the test also shows it can tell them apart.

use crate::common;

use binlog::{Entry, Options, Writer};
use common::TempDir;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const MIB: usize = 1 << 20;
/// Each file's size.
const FILE_BYTES: usize = 16 * MIB;
const PIECES: u64 = (FILE_BYTES / (2 * MIB)) as u64;

/// KiB of `path` mapped by 2 MiB page-table entries once every page of a
/// fresh mapping of it was read.
fn pmd_mapped_kib(path: &Path) -> u64 {
    let file = File::open(path).unwrap();
    // SAFETY: nothing truncates the file while it is mapped here.
    let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
    let mut sum = 0u64;
    for page in map.chunks(4096) {
        sum = sum.wrapping_add(page[0] as u64);
    }
    std::hint::black_box(sum);
    let start = format!("{:x}-", map.as_ptr() as usize);
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&start));
    assert!(lines.next().is_some(), "the mapping is in smaps");
    lines
        .take_while(|l| !l.contains('-') || l.contains(':'))
        .find_map(|l| l.strip_prefix("FilePmdMapped:"))
        .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap())
        .expect("smaps gives FilePmdMapped")
}

/// A raw file of `FILE_BYTES` written in writes of `chunk` bytes.
fn raw_file(path: &Path, chunk: usize) {
    let mut f = File::create(path).unwrap();
    let buf = vec![7u8; chunk];
    for _ in 0..FILE_BYTES / chunk {
        f.write_all(&buf).unwrap();
    }
}

/// `FILE_BYTES` of 600-byte records written with the default options, in
/// batches of 256 (as fast as it goes), or one at a time with a pause of a
/// millisecond after each 60 KiB (a writer that fills a buffer in over 16
/// ms, many times what its write-behind thread takes to write one, even in
/// a debug build, and well inside `PAIR_WAIT_MAX` on a loaded machine).
/// The slow writer has no flush delay: with one (10 ms by default) it
/// hands its buffer over before it fills, in pieces no folio spans
/// (docs/PERFORMANCE.md, "The flush delay and 2 MiB folios").
/// Returns the write-behind thread's writes: pairs, and buffers written in
/// 64 KiB pieces (where whole writes were slow: fresh VM memory).
fn segment(path: &Path, slow: bool) -> (u64, u64) {
    let opts = Options {
        flush_delay: if slow {
            None
        } else {
            Options::default().flush_delay
        },
        ..Options::default()
    };
    let w = Writer::open(path, opts).unwrap();
    let payload = vec![5u8; 600];
    let parts = [&payload[..]];
    let entry = Entry {
        type_name: "t",
        meta: &[],
        timestamp_ns: None,
        parts: &parts,
    };
    let batch = vec![entry; if slow { 1 } else { 256 }];
    while w.bytes() < FILE_BYTES as u64 {
        w.write_batch(&batch).unwrap();
        if slow && w.record_count() % 100 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let writes = w.write_behind_writes();
    w.close().unwrap();
    writes
}

#[test]
fn a_segment_written_with_the_default_buffer_is_mapped_in_2_mib_pages() {
    let dir = TempDir::new("large-folios");
    let (two, one) = (dir.join("raw-2m"), dir.join("raw-1m"));
    raw_file(&two, 2 * MIB);
    raw_file(&one, MIB);
    let (two_kib, one_kib) = (pmd_mapped_kib(&two), pmd_mapped_kib(&one));
    assert_eq!(one_kib, 0, "1 MiB writes make no 2 MiB folios");
    // A 2 MiB write gets a 2 MiB folio only where the kernel finds 2 MiB
    // free at that moment (make test's other lanes take and give memory):
    // up to 3 tries, each with new segments, for every pair to get one.
    let mut tries = 0;
    let (fast_pairs, fast_pieces, slow_pairs, slow_pieces) = loop {
        tries += 1;
        let name = |what: &str| dir.join(format!("{what}{tries}"));
        let (fast, slow) = (name("fast"), name("slow"));
        let (fast_pairs, fast_pieces) = segment(&fast, false);
        let (slow_pairs, slow_pieces) = segment(&slow, true);
        let (fast_kib, slow_kib) = (pmd_mapped_kib(&fast), pmd_mapped_kib(&slow));
        eprintln!(
            "KiB mapped in 2 MiB pages: raw 2 MiB writes {two_kib}, raw 1 MiB writes {one_kib}, \
             segment written fast {fast_kib} ({fast_pairs} pairs, {fast_pieces} buffers in pieces), \
             slowly {slow_kib} ({slow_pairs} pairs, {slow_pieces} in pieces)"
        );
        if two_kib == 0 {
            // A filesystem (or kernel) without large folios: nothing gets them.
            assert_eq!((fast_kib, slow_kib), (0, 0));
            return;
        }
        // Every pair is a 2 MiB folio, where the kernel found 2 MiB of free
        // memory for every raw piece written before the segments and after.
        let after = name("raw-2m-after");
        raw_file(&after, 2 * MIB);
        let after_kib = pmd_mapped_kib(&after);
        let folios = slow_kib >= slow_pairs * 2048 && fast_kib >= fast_pairs * 2048;
        if (two_kib, after_kib) != (PIECES * 2048, PIECES * 2048) {
            eprintln!(
                "memory too fragmented for 2 MiB folios ({two_kib} and {after_kib} KiB of the raw \
                 files): the segments' folios are not checked, their pairs are"
            );
        } else if !folios && tries < 3 {
            // Their page cache goes too, leaving its memory to the next try.
            for file in [fast, slow, after] {
                std::fs::remove_file(file).unwrap();
            }
            continue;
        } else {
            assert!(slow_kib >= slow_pairs * 2048, "slow writer: {slow_kib} KiB");
            assert!(fast_kib >= fast_pairs * 2048, "fast writer: {fast_kib} KiB");
        }
        break (fast_pairs, fast_pieces, slow_pairs, slow_pieces);
    };
    // The thread waits for every second half: with the slow writer every
    // piece is a pair but the first (which holds the segment's header,
    // written on its own), the last (which ends with the seal) and those
    // the thread wrote in pieces (one as a try, the rest only where whole
    // writes were the slower).
    let want = (PIECES - 2).saturating_sub(slow_pieces);
    assert!(
        slow_pairs >= want,
        "slow writer: {slow_pairs} pairs, want {want}"
    );
    // A fast writer's pairs: a first half whose second comes later than
    // the flush delay (10 ms: a loaded machine's debug build) goes alone,
    // so how many depends on the machine, but never none unless the thread
    // wrote in pieces.
    assert!(fast_pairs >= 1 || fast_pieces > 0, "fast writer: no pair");
}
