//! Failed and missing fdatasyncs of a rolling log, checked against the page
//! cache itself: a page of a file written and not yet synced is dirty (or
//! under writeback) until fdatasync cleans it, which /proc/self/pagemap and
//! /proc/kpageflags show (root). A failing disk is an ext4 without a journal
//! on a loop device backed by a small tmpfs: writeback runs out of room and
//! fdatasync fails; after which, as on any Linux filesystem (fsyncgate), a
//! later fdatasync returns OK although the data never reached the disk. The
//! log must not count such records durable.

use crate::common;
use binlog::{Durability, ErrorKind, Options};
use binlog::{LogOptions, LogWriter};
use common::TempDir;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Pages of `path` that are dirty or under writeback (not yet synced).
fn unsynced_pages(path: &Path) -> usize {
    let f = File::open(path).unwrap();
    let len = f.metadata().unwrap().len() as usize;
    if len == 0 {
        return 0;
    }
    let page = 4096usize;
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    let mut pagemap = File::open("/proc/self/pagemap").unwrap();
    let mut flags = File::open("/proc/kpageflags").unwrap();
    let mut n = 0;
    for off in (0..len).step_by(page) {
        let addr = p as usize + off;
        unsafe { std::ptr::read_volatile(addr as *const u8) };
        let mut e = [0u8; 8];
        pagemap
            .seek(SeekFrom::Start((addr / page * 8) as u64))
            .unwrap();
        pagemap.read_exact(&mut e).unwrap();
        let e = u64::from_le_bytes(e);
        assert!(e >> 63 == 1, "page present");
        let pfn = e & ((1 << 55) - 1);
        assert!(pfn != 0, "need root for PFNs");
        let mut fl = [0u8; 8];
        flags.seek(SeekFrom::Start(pfn * 8)).unwrap();
        flags.read_exact(&mut fl).unwrap();
        let fl = u64::from_le_bytes(fl);
        // KPF_DIRTY = 4, KPF_WRITEBACK = 8
        if fl & (1 << 4 | 1 << 8) != 0 {
            n += 1;
        }
    }
    unsafe { libc::munmap(p, len) };
    n
}

#[test]
fn the_page_cache_oracle_sees_fdatasync() {
    let d = TempDir::new("oracle");
    let p = d.join("f");
    std::fs::write(&p, vec![1u8; 20000]).unwrap();
    assert!(unsynced_pages(&p) > 0);
    File::open(&p).unwrap().sync_data().unwrap();
    assert_eq!(unsynced_pages(&p), 0);
}

/// A log written under `None` and reopened under a durable policy: the
/// reopen counts every record it found as durable, so it must have synced
/// every segment holding them, not only the one it resumes.
#[test]
fn a_log_reopened_under_a_durable_policy_syncs_its_older_segments() {
    let tmp = TempDir::new("reopen-none-then-durable");
    let d = tmp.path().to_path_buf();
    let o = common::log_opts;
    let w = LogWriter::open(&d, "d", o(Durability::None)).unwrap();
    for _ in 0..25 {
        w.write("t", &[7u8; 3000]).unwrap();
    }
    drop(w); // like a process that exits without sync: nothing fsynced
    let w = LogWriter::open(&d, "d", o(Durability::EveryRecord)).unwrap();
    let durable = w.durable_seq().unwrap();
    let dirty: Vec<(PathBuf, usize)> = common::binlog_files(&d)
        .into_iter()
        .map(|p| {
            let n = unsynced_pages(&p);
            (p, n)
        })
        .collect();
    eprintln!("durable_seq {durable}, unsynced pages per segment: {dirty:?}");
    assert!(
        durable == 0 || dirty.iter().all(|(_, n)| *n == 0),
        "durable_seq {durable} counts records of segments never synced: {dirty:?}"
    );
}

/// An ext4 without a journal on a loop device whose backing store is a
/// 16 MiB tmpfs: writes land in the page cache, writeback runs out of room,
/// and fdatasync fails (ENOSPC, then EIO) -- after which, as on any Linux
/// filesystem (fsyncgate), a later fdatasync returns OK although the data
/// never reached the disk.
struct FailingFs {
    _base: TempDir,
    backing: PathBuf,
    mnt: PathBuf,
}

impl FailingFs {
    fn mount(name: &str) -> FailingFs {
        let base = TempDir::new(name);
        let backing = base.join("backing");
        let mnt = base.join("mnt");
        let sh = format!(
            "set -e; mkdir -p {b} {m}; mount -t tmpfs -o size=16m tmpfs {b}; truncate -s 200M {b}/img; \
             mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=0 {b}/img; \
             L=$(losetup -f --show {b}/img); mount $L {m}",
            b = backing.display(),
            m = mnt.display()
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&sh)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "setup failed (needs root, loop devices): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        FailingFs {
            _base: base,
            backing,
            mnt,
        }
    }
}

impl FailingFs {
    /// Gives the backing store room again: writeback can succeed from now on.
    fn grow(&self) {
        let st = std::process::Command::new("mount")
            .args(["-o", "remount,size=400m"])
            .arg(&self.backing)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for FailingFs {
    fn drop(&mut self) {
        let sh = format!(
            // Detaching the loop device lets go of its backing file a moment
            // later: the tmpfs under it stays busy until then (an umount
            // right away failed and left the tmpfs mounted).
            "L=$(findmnt -n -o SOURCE {m}); umount {m}; [ -n \"$L\" ] && losetup -d $L; \
             for i in $(seq 100); do umount {b} 2>/dev/null && exit 0; sleep 0.05; done; umount -l {b}",
            b = self.backing.display(),
            m = self.mnt.display()
        );
        let _ = std::process::Command::new("sh").arg("-c").arg(&sh).status();
    }
}

/// Under `None`, `LogWriter::sync` fdatasyncs the segments rolled away from
/// through a fresh descriptor of each. When that fails (the writeback of
/// their pages failed), the log is not poisoned: the next `sync` opens them
/// again, the kernel (having reported the error once) returns OK, the
/// segments leave `unsynced`, and `durable_seq` covers records that never
/// reached the disk (fsyncgate).
#[test]
fn a_failed_sync_of_rolled_segments_is_not_retried_into_success() {
    let fs = FailingFs::mount("fsyncgate-log-none");
    let opts = LogOptions {
        segment: Options {
            durability: Durability::None,
            ..Options::default()
        },
        max_segment_records: Some(1000),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(&fs.mnt, "d", opts).unwrap();
    // About 30 MiB, more than the backing store holds, in 8 segments.
    for _ in 0..7_500 {
        w.write("t", &[2u8; 4000]).unwrap();
    }
    let first = w.sync();
    eprintln!("first sync: {first:?}");
    assert!(first.is_err(), "writeback ran out of room");
    assert_eq!(w.durable_seq().unwrap(), 0);
    // The segment whose fdatasync failed, and where its records start.
    let failed_first = match &first {
        Err(e) => {
            let name = e.message().split(": fdatasync").next().unwrap().to_string();
            let seg_no: u64 = name
                .rsplit('/')
                .next()
                .unwrap()
                .split('-')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            seg_no * 1000
        }
        Ok(()) => unreachable!(),
    };
    // The disk has room again (an operator freed space): syncs succeed.
    fs.grow();
    for attempt in 2..=6 {
        let again = w.sync();
        let durable = w.durable_seq().unwrap();
        eprintln!("sync #{attempt}: {again:?}; durable_seq {durable}");
        if durable > failed_first {
            // What the disk holds: drop the page cache and read it back.
            std::fs::write("/proc/sys/vm/drop_caches", "3").unwrap();
            let seg = common::binlog_files(&fs.mnt)
                .into_iter()
                .nth((failed_first / 1000) as usize)
                .unwrap();
            let got = std::fs::read(&seg).map(|b| b.iter().filter(|&&x| x == 2).count());
            eprintln!(
                "on disk, {}: {got:?} payload bytes of {}",
                seg.display(),
                1000 * 4000
            );
        }
        assert!(
            durable <= failed_first,
            "records from {failed_first} on are in a segment whose fdatasync failed \
             (their pages were dropped from writeback), yet durable_seq is {durable}"
        );
    }
    // The log refuses further writes, with the reason.
    let e = w.write("t", b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Poisoned, "{e}");
    assert!(e.message().contains("fdatasync"), "{e}");
}

/// The current segment's fdatasync fails: the segment writer is poisoned
/// ("records since the last successful sync may be lost"). A roll then
/// fails to seal it and the log reopens it to go on (`reopen_current`);
/// that open fdatasyncs again, which succeeds once the kernel has reported
/// the error, and counts every record it finds as durable.
#[test]
fn a_failed_sync_is_not_laundered_by_a_roll_that_reopens_the_segment() {
    let fs = FailingFs::mount("fsyncgate-log-reopen");
    let opts = LogOptions {
        segment: Options {
            // Never syncs by itself during the test.
            durability: Durability::Interval(std::time::Duration::from_secs(3600)),
            ..Options::default()
        },
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(&fs.mnt, "d", opts).unwrap();
    for _ in 0..10 {
        w.write("t", &[1u8; 4000]).unwrap();
    }
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 10);
    for _ in 0..7_500 {
        w.write("t", &[2u8; 4000]).unwrap();
    }
    let e = w.sync().expect_err("writeback runs out of room");
    eprintln!("sync: {e}");
    assert!(w.write("t", b"x").is_err(), "poisoned");
    fs.grow();
    let r = w.roll();
    eprintln!("roll: {r:?}");
    let durable = w.durable_seq().unwrap();
    eprintln!(
        "durable_seq after the roll: {durable}; next_seq {:?}",
        w.next_seq()
    );
    if durable > 10 {
        std::fs::write("/proc/sys/vm/drop_caches", "3").unwrap();
        let seg = common::binlog_files(&fs.mnt).into_iter().next().unwrap();
        let got = std::fs::read(&seg).map(|b| b.iter().filter(|&&x| x == 2).count());
        eprintln!("on disk: {got:?} payload bytes of {}", 7_500 * 4000);
    }
    assert_eq!(
        durable, 10,
        "records whose fdatasync failed are reported durable"
    );
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Poisoned);
    assert_eq!(w.write("t", b"x").unwrap_err().kind(), ErrorKind::Poisoned);
    assert_eq!(w.sync().unwrap_err().kind(), ErrorKind::Poisoned);
}
