//! The power-cut filesystem keeps what was synced and forgets the rest:
//! each test mounts it (root, /dev/fuse), works through the mount, cuts
//! the power and looks at what the backing directory kept.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Mount {
    child: Child,
    dir: PathBuf,
}

impl Mount {
    /// Mounts a fresh backing directory holding `files`.
    fn new(name: &str, files: &[(&str, &[u8])], extra: &[&str]) -> Mount {
        let dir = std::env::temp_dir().join(format!("powercut-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("backing")).unwrap();
        fs::create_dir_all(dir.join("mnt")).unwrap();
        for (f, data) in files {
            fs::write(dir.join("backing").join(f), data).unwrap();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_powercut"))
            .arg(dir.join("backing"))
            .arg(dir.join("mnt"))
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "mounted\n", "powercut did not mount");
        Mount { child, dir }
    }

    fn mnt(&self, f: &str) -> PathBuf {
        self.dir.join("mnt").join(f)
    }

    fn backing(&self, f: &str) -> PathBuf {
        self.dir.join("backing").join(f)
    }

    /// Sends `signal` and waits for the tool to write back and exit.
    fn stop(&mut self, signal: i32) {
        // SAFETY: kill takes a pid and a signal number.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
        assert!(self.child.wait().unwrap().success());
    }

    fn cut(&mut self) {
        self.stop(libc::SIGUSR1);
    }

    /// Sends a fault switch and waits for the line that says it is in force.
    fn switch(&mut self, signal: i32, line: &str) {
        // SAFETY: as in `stop`.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
        let mut got = String::new();
        BufReader::new(self.child.stdout.as_mut().unwrap())
            .read_line(&mut got)
            .unwrap();
        assert_eq!(got.trim_end(), line);
    }
}

fn sync_dir(p: &Path) {
    File::open(p).unwrap().sync_all().unwrap();
}

#[test]
fn an_unsynced_file_is_gone_and_a_synced_one_kept() {
    let mut m = Mount::new("files", &[], &[]);
    fs::write(m.mnt("named"), b"lost").unwrap();
    let mut f = File::create(m.mnt("synced")).unwrap();
    f.write_all(b"kept").unwrap();
    f.sync_all().unwrap();
    sync_dir(&m.mnt(""));
    f.write_all(b" and lost").unwrap();
    fs::write(m.mnt("unsynced"), b"lost").unwrap();
    m.cut();
    assert!(!m.backing("unsynced").exists());
    // Its name was synced, its data never.
    assert_eq!(fs::read(m.backing("named")).unwrap(), b"");
    assert_eq!(fs::read(m.backing("synced")).unwrap(), b"kept");
}

#[test]
fn a_file_fsync_does_not_persist_its_name() {
    let mut m = Mount::new("name", &[], &[]);
    let f = File::create(m.mnt("new")).unwrap();
    f.write_all_at(b"data", 0).unwrap();
    f.sync_all().unwrap();
    m.cut();
    assert!(!m.backing("new").exists());
}

#[test]
fn a_rename_without_a_directory_fsync_is_undone() {
    let mut m = Mount::new("rename", &[("a", b"A"), ("b", b"B")], &[]);
    fs::rename(m.mnt("a"), m.mnt("c")).unwrap();
    fs::rename(m.mnt("b"), m.mnt("d")).unwrap();
    fs::create_dir(m.mnt("sub")).unwrap();
    sync_dir(&m.mnt(""));
    fs::rename(m.mnt("c"), m.mnt("e")).unwrap();
    fs::remove_file(m.mnt("d")).unwrap();
    m.cut();
    let mut names: Vec<_> = fs::read_dir(m.backing(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["c", "d", "sub"]);
    assert_eq!(fs::read(m.backing("c")).unwrap(), b"A");
}

#[test]
fn a_clean_unmount_keeps_everything() {
    let mut m = Mount::new("clean", &[("old", b"0123456789")], &[]);
    let f = OpenOptions::new().write(true).open(m.mnt("old")).unwrap();
    f.set_len(4).unwrap();
    fs::write(m.mnt("new"), b"new").unwrap();
    m.stop(libc::SIGTERM);
    assert_eq!(fs::read(m.backing("old")).unwrap(), b"0123");
    assert_eq!(fs::read(m.backing("new")).unwrap(), b"new");
}

/// Writes 64 KiB of 0xff over a synced file of zeros and cuts with torn
/// pages: each page of `page` bytes is all old or all new, and the seed
/// decides which.
fn torn(page: usize, seed: &str) -> Vec<u8> {
    let mut m = Mount::new(
        &format!("torn{page}-{seed}"),
        &[("f", &[0; 65536])],
        &["--torn", &page.to_string(), "--seed", seed],
    );
    let f = OpenOptions::new().write(true).open(m.mnt("f")).unwrap();
    for off in (0..65536).step_by(8192) {
        f.write_all_at(&[0xff; 8192], off).unwrap();
    }
    m.cut();
    let data = fs::read(m.backing("f")).unwrap();
    assert_eq!(data.len(), 65536);
    for p in data.chunks(page) {
        assert!(p.iter().all(|&b| b == p[0]), "a page torn inside");
    }
    data
}

#[test]
fn torn_writes_keep_whole_pages_chosen_by_the_seed() {
    for page in [512, 4096] {
        let a = torn(page, "7");
        let kept = a.chunks(page).filter(|p| p[0] == 0xff).count();
        assert!(kept > 0 && kept < 65536 / page, "{kept} pages kept");
        assert_eq!(a, torn(page, "7"), "the same seed keeps the same pages");
        assert_ne!(a, torn(page, "8"));
    }
}

#[test]
fn kept_directory_operations_are_the_oldest_ones() {
    for seed in 0..8 {
        let mut m = Mount::new(
            &format!("dirops{seed}"),
            &[],
            &["--keep-dir-ops", "--seed", &seed.to_string()],
        );
        for i in 0..6 {
            fs::write(m.mnt(&i.to_string()), b"x").unwrap();
        }
        m.cut();
        let n = fs::read_dir(m.backing("")).unwrap().count();
        for i in 0..6 {
            assert_eq!(m.backing(&i.to_string()).exists(), i < n, "seed {seed}");
        }
    }
}

/// Under `fsync-eio` a file's fsync fails and loses its unsynced pages: a
/// later fsync that succeeds (the switch off) does not make them durable,
/// though programs still read them.
#[test]
fn a_failed_fsync_is_not_made_good_by_a_retry() {
    let mut m = Mount::new("eio", &[("f", b"old.")], &[]);
    let mut f = OpenOptions::new().append(true).open(m.mnt("f")).unwrap();
    f.write_all(b"lost").unwrap();
    m.switch(libc::SIGUSR2, "fsync-eio");
    let e = f.sync_all().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EIO));
    m.switch(libc::SIGQUIT, "faults-cleared");
    f.sync_all().unwrap();
    assert_eq!(fs::read(m.mnt("f")).unwrap(), b"old.lost");
    m.cut();
    assert_eq!(fs::read(m.backing("f")).unwrap(), b"old.\0\0\0\0");
}

/// A full disk (the switch, or `--disk-full` from the start) refuses
/// writes past a file's end with ENOSPC and keeps what was there.
#[test]
fn a_full_disk_refuses_writes_past_the_end() {
    let mut m = Mount::new("full", &[("f", b"0123")], &["--disk-full"]);
    let f = OpenOptions::new().write(true).open(m.mnt("f")).unwrap();
    f.write_all_at(b"ab", 0).unwrap();
    let e = f.write_all_at(b"xyz", 3).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    m.switch(libc::SIGQUIT, "faults-cleared");
    f.write_all_at(b"45", 4).unwrap();
    m.switch(libc::SIGHUP, "disk-full");
    assert!(fs::write(m.mnt("g"), b"new").is_err());
    m.stop(libc::SIGTERM);
    assert_eq!(fs::read(m.backing("f")).unwrap(), b"ab2345");
}

/// Faults armed at a count (`--fail-fsync-at N`, `--disk-full-at N`)
/// strike at that request: the 2nd fsync from the mount fails (its pages
/// lost) and the 3rd succeeds; the disk fills at the 3rd write and stays
/// full for writes past a file's end.
#[test]
fn armed_faults_strike_at_their_count() {
    let args = ["--fail-fsync-at", "2", "--disk-full-at", "3"];
    let mut m = Mount::new("armed", &[("f", b"")], &args);
    let f = OpenOptions::new().write(true).open(m.mnt("f")).unwrap();
    f.write_all_at(b"kept", 0).unwrap();
    f.sync_all().unwrap();
    f.write_all_at(b"lost", 4).unwrap();
    let e = f.sync_all().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EIO));
    f.sync_all().unwrap();
    let e = f.write_all_at(b"full", 8).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    f.write_all_at(b"KEPT", 0).unwrap();
    assert!(f.write_all_at(b"full", 8).is_err());
    m.cut();
    assert_eq!(fs::read(m.backing("f")).unwrap(), b"kept\0\0\0\0");
}

/// As Linux's errseq: a failed fsync is reported to every description of
/// the file open before it, once each, at its next fsync (which still
/// writes what is dirty now); a description opened after it sees nothing.
#[test]
fn a_failed_fsync_is_reported_once_to_each_earlier_description() {
    let old = [b'x'; 8192];
    let mut m = Mount::new("errseq", &[("f", &old)], &["--fail-fsync-at", "1"]);
    let a = OpenOptions::new().write(true).open(m.mnt("f")).unwrap();
    let b = OpenOptions::new().write(true).open(m.mnt("f")).unwrap();
    b.write_all_at(b"lost", 0).unwrap();
    assert_eq!(b.sync_all().unwrap_err().raw_os_error(), Some(libc::EIO));
    let later = OpenOptions::new().write(true).open(m.mnt("f")).unwrap();
    a.write_all_at(b"kept", 4096).unwrap();
    assert_eq!(a.sync_all().unwrap_err().raw_os_error(), Some(libc::EIO));
    a.sync_all().unwrap();
    b.sync_all().unwrap();
    later.sync_all().unwrap();
    m.cut();
    let got = fs::read(m.backing("f")).unwrap();
    assert_eq!((&got[..4], &got[4096..4100]), (&b"xxxx"[..], &b"kept"[..]));
}

/// Creates `f`, writes and syncs "kept" (its name too), writes "lost":
/// five changes and syncs.
fn five_changes(m: &Mount) -> std::io::Result<()> {
    let f = File::create(m.mnt("f"))?;
    f.write_all_at(b"kept", 0)?;
    f.sync_all()?;
    File::open(m.dir.join("mnt"))?.sync_all()?;
    f.write_all_at(b"lost", 4)
}

/// `--cut-at N`: the Nth change or sync never runs, the power goes in its
/// place (the tool exits by itself); a clean unmount counts them.
#[test]
fn a_cut_armed_at_a_count_strikes_in_place_of_that_change() {
    let mut m = Mount::new("cut-at", &[], &["--cut-at", "5"]);
    assert!(
        five_changes(&m).is_err(),
        "the fifth change never completes"
    );
    assert!(m.child.wait().unwrap().success());
    assert_eq!(fs::read(m.backing("f")).unwrap(), b"kept");

    let mut m = Mount::new("counted", &[], &[]);
    five_changes(&m).unwrap();
    // SAFETY: kill takes a pid and a signal number.
    assert_eq!(unsafe { libc::kill(m.child.id() as i32, libc::SIGTERM) }, 0);
    let out = BufReader::new(m.child.stdout.take().unwrap());
    let lines: Vec<String> = out.lines().map(Result::unwrap).collect();
    assert_eq!(lines, ["changes 5", "unmounted"]);
    assert!(m.child.wait().unwrap().success());
}
