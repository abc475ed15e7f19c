//! A consumer's committed positions: the file `<name>.consumer` in a log
//! directory (docs/FORMAT.md, "Consumers"). Two slots; commit *n* writes
//! slot `n % 2` whole with its generation and CRC, then fdatasyncs: one
//! small write and one sync. A torn commit leaves the other slot, the
//! commit before it, which is then the newest valid one. The file is held
//! by an flock while a consumer has it open: one process at a time.

use crate::error::{Error, ErrorKind, Result};
use crate::format::{crc32, u32_at, u64_at};
use crate::sys::LOCK_PATIENCE;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The bytes of one slot; the file holds two.
pub const SLOT_LEN: usize = 65536;
const MAGIC: &[u8; 8] = b"BLCONSUM";
const VERSION: u16 = 1;
/// magic, version, reserved, length, generation, commit time, entry count.
const FIXED_LEN: usize = 36;
/// The suffix of a consumer's file name.
pub const SUFFIX: &str = ".consumer";

/// What one commit recorded: for each log read, the sequence number the
/// consumer goes on at (every record below it is processed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// How many commits the file has had.
    pub generation: u64,
    /// When the commit was made (ns since the epoch, wall clock).
    pub commit_ns: i64,
    /// `(log name, next sequence number)`, one per log, sorted by name.
    pub positions: Vec<(String, u64)>,
}

impl Committed {
    /// Where log `log` goes on, if the consumer committed a position in it.
    pub fn next_seq(&self, log: &str) -> Option<u64> {
        self.find(log).ok().map(|i| self.positions[i].1)
    }

    /// Sets log `log`'s position.
    pub fn set(&mut self, log: &str, next_seq: u64) {
        match self.find(log) {
            Ok(i) => self.positions[i].1 = next_seq,
            Err(i) => self.positions.insert(i, (log.to_string(), next_seq)),
        }
    }

    /// Where log `log`'s position is in `positions`, or would go.
    fn find(&self, log: &str) -> std::result::Result<usize, usize> {
        self.positions
            .binary_search_by(|(l, _)| l.as_str().cmp(log))
    }

    /// The slot's bytes (FORMAT.md, "Consumers"), or `InvalidArgument`
    /// when they do not fit a slot.
    fn encode(&self) -> Result<Vec<u8>> {
        let mut b = Vec::with_capacity(64);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // length, set below
        b.extend_from_slice(&self.generation.to_le_bytes());
        b.extend_from_slice(&self.commit_ns.to_le_bytes());
        b.extend_from_slice(&(self.positions.len() as u32).to_le_bytes());
        for (log, seq) in &self.positions {
            b.push(log.len() as u8);
            b.extend_from_slice(log.as_bytes());
            b.extend_from_slice(&seq.to_le_bytes());
        }
        let len = b.len() + 4;
        if len > SLOT_LEN {
            return Err(Error::invalid(format!(
                "a consumer's positions in {} logs take {len} bytes; a commit holds at most \
                 {SLOT_LEN}",
                self.positions.len()
            )));
        }
        b[12..16].copy_from_slice(&(len as u32).to_le_bytes());
        let crc = crc32(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        Ok(b)
    }

    /// A slot's commit, or `None` if the slot holds none (never written,
    /// or torn: its length or CRC does not check).
    fn decode(slot: &[u8]) -> Option<Committed> {
        let version = || u16::from_le_bytes([slot[8], slot[9]]);
        if slot.len() < FIXED_LEN + 4 || &slot[..8] != MAGIC || version() != VERSION {
            return None;
        }
        let len = u32_at(slot, 12) as usize;
        if !(FIXED_LEN + 4..=slot.len()).contains(&len)
            || crc32(&slot[..len - 4]) != u32_at(slot, len - 4)
        {
            return None;
        }
        let mut c = Committed {
            generation: u64_at(slot, 16),
            commit_ns: u64_at(slot, 24) as i64,
            positions: Vec::new(),
        };
        let (mut o, end) = (FIXED_LEN, len - 4);
        for _ in 0..u32_at(slot, 32) {
            let n = *slot.get(o)? as usize;
            let name = std::str::from_utf8(slot.get(o + 1..o + 1 + n)?).ok()?;
            let seq = slot.get(o + 1 + n..o + 9 + n)?;
            c.set(name, u64_at(seq, 0));
            o += 9 + n;
        }
        (o == end).then_some(c)
    }
}

/// The path of consumer `name`'s file in `dir`.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{SUFFIX}"))
}

/// The newest commit in the file at `path` (`Default` for a file created
/// but never committed to), read without its lock (`binlog consumers`,
/// retention). `CorruptConsumer`, naming the file and slots, when neither
/// slot holds a commit but the file holds bytes.
pub fn read(path: &Path) -> Result<Committed> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read consumer", e))?;
    newest(&bytes, path)
}

fn newest(bytes: &[u8], path: &Path) -> Result<Committed> {
    // The two slots (a file cut short holds less of them).
    let found = bytes
        .chunks(SLOT_LEN)
        .take(2)
        .filter_map(Committed::decode)
        .max_by_key(|c| c.generation);
    // Commit 1 goes to slot 1: with slot 0 still zeros, a slot 1 that does
    // not check is the first commit torn, which never returned.
    let first_torn = bytes[..bytes.len().min(SLOT_LEN)].iter().all(|&b| b == 0);
    match found {
        Some(c) => Ok(c),
        None if first_torn => Ok(Committed::default()),
        None => {
            let why = "consumer file: neither of its two commit slots (offsets 0 and 65536) \
                       checks (length, CRC or version); move it aside to start the consumer anew";
            Err(Error::at(ErrorKind::CorruptConsumer, path, 0, why))
        }
    }
}

/// A consumer's file, open and locked: commits go to it.
pub struct Store {
    file: File,
    path: PathBuf,
    last: Committed,
}

impl Store {
    /// Opens (creating it durably if new) consumer `name`'s file in `dir`,
    /// and takes its lock: `Locked` if another handle holds it.
    pub fn open(dir: &Path, name: &str) -> Result<Store> {
        crate::log::options::check_name("consumer name", name)?;
        let path = path(dir, name);
        let created = !path.exists();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, "open consumer", e))?;
        let why = format!("consumer {name} is in use by another reader");
        crate::sys::lock_exclusive(&file, &path, LOCK_PATIENCE, "lock consumer", why)?;
        // Removed (`remove`) between our open and our lock: open anew.
        if !same_file(&file, &path) {
            return Store::open(dir, name);
        }
        if created {
            file.sync_all()
                .and_then(|()| crate::sys::sync_dir(dir))
                .map_err(|e| Error::io(&path, "create consumer", e))?;
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut bytes)
            .map_err(|e| Error::io(&path, "read consumer", e))?;
        let last = newest(&bytes, &path)?;
        Ok(Store { file, path, last })
    }

    /// The newest commit.
    pub fn committed(&self) -> &Committed {
        &self.last
    }

    /// Commits log `log`'s records up to `seq`, for a reader of it standing
    /// at `at`: the one rule of what a commit by number takes, for every
    /// caller. `seq` is one returned since the last commit, or the last one
    /// committed (a no-op); else `InvalidArgument` naming this file (a
    /// consumer goes back by a seek of its reader and a plain commit).
    pub fn commit_seq(&mut self, log: &str, seq: u64, at: u64) -> Result<()> {
        let lo = self.last.next_seq(log).unwrap_or(0).saturating_sub(1);
        if (lo..at).contains(&seq) {
            return self.commit(&[(log, seq + 1)]);
        }
        let why = if seq >= at {
            "it was not returned yet"
        } else {
            "it is before the last commit (to go back, seek the reader there and commit)"
        };
        let can = (lo < at).then(|| format!("records {lo} to {}", at - 1));
        let can = can.as_deref().unwrap_or("no record");
        let what =
            format!("cannot commit record {seq} of log {log}: {why}; {can} can be committed");
        Err(Error::file(ErrorKind::InvalidArgument, &self.path, what))
    }

    /// Commits `positions` (log name, next sequence number) over the
    /// previous ones, durably: returns once the commit would survive a
    /// crash or power cut. Logs not named keep their positions.
    pub fn commit(&mut self, positions: &[(impl AsRef<str>, u64)]) -> Result<()> {
        let mut next = self.last.clone();
        next.generation += 1;
        next.commit_ns = crate::sys::realtime_ns();
        for (log, seq) in positions {
            next.set(log.as_ref(), *seq);
        }
        let bytes = next.encode()?;
        let at = (next.generation % 2) * SLOT_LEN as u64;
        self.file
            .write_all_at(&bytes, at)
            .and_then(|()| crate::sys::sync_data(&self.file))
            .map_err(|e| Error::io_at(&self.path, at, "commit consumer position", e))?;
        self.last = next;
        Ok(())
    }
}

/// Whether `file` is still the file at `path` (not unlinked or replaced).
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Every consumer file in `dir`: (consumer name, path), by name.
pub fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "list consumers", e))?;
    let mut found: Vec<(String, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(SUFFIX)?.to_string();
            let ok = crate::log::options::check_name("consumer name", &name).is_ok();
            ok.then(|| (name, e.path()))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Removes consumer `name`'s file from `dir`, once no handle holds it
/// (`Locked` otherwise; `NotFound` if there is none).
pub fn remove(dir: &Path, name: &str) -> Result<()> {
    crate::log::options::check_name("consumer name", name)?;
    let path = path(dir, name);
    let file = File::open(&path).map_err(|e| Error::io(&path, "open consumer", e))?;
    let why = format!("consumer {name} is in use by another reader; close it first");
    crate::sys::lock_exclusive(&file, &path, Duration::ZERO, "lock consumer", why)?;
    std::fs::remove_file(&path)
        .and_then(|()| crate::sys::sync_dir(dir))
        .map_err(|e| Error::io(&path, "remove consumer", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_is_read_back_after_reopening() {
        let d = crate::sys::scratch::empty_dir("store-reopen");
        let mut s = Store::open(&d, "billing").unwrap();
        s.commit(&[("orders", 10), ("payments", 4)]).unwrap();
        s.commit(&[("orders", 12)]).unwrap();
        drop(s);
        let s = Store::open(&d, "billing").unwrap();
        assert_eq!(s.committed().next_seq("orders"), Some(12));
        assert_eq!(s.committed().next_seq("payments"), Some(4));
        assert_eq!(s.committed().generation, 2);
    }

    #[test]
    fn a_torn_commit_falls_back_to_the_one_before() {
        let d = crate::sys::scratch::empty_dir("store-torn");
        let mut s = Store::open(&d, "c").unwrap();
        s.commit(&[("orders", 10)]).unwrap(); // generation 1: slot 1
        s.commit(&[("orders", 20)]).unwrap(); // generation 2: slot 0
        drop(s);
        let p = path(&d, "c");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[40] ^= 0xff; // tear slot 0
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read(&p).unwrap().next_seq("orders"), Some(10));
    }

    #[test]
    fn a_torn_first_commit_reads_as_a_consumer_with_no_commit() {
        let d = crate::sys::scratch::empty_dir("store-torn-first");
        let mut s = Store::open(&d, "c").unwrap();
        s.commit(&[("orders", 10)]).unwrap(); // generation 1: slot 1
        drop(s);
        let p = path(&d, "c");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[SLOT_LEN + 20] ^= 0xff;
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read(&p).unwrap(), Committed::default());
    }

    #[test]
    fn a_file_with_no_valid_slot_is_a_corrupt_consumer_naming_it() {
        let d = crate::sys::scratch::empty_dir("store-corrupt");
        let p = path(&d, "c");
        std::fs::write(&p, b"not a consumer file").unwrap();
        let e = Store::open(&d, "c").err().unwrap();
        assert_eq!(e.kind(), ErrorKind::CorruptConsumer);
        assert!(e.to_string().contains("c.consumer"), "{e}");
    }

    #[test]
    fn commit_seq_takes_a_record_returned_since_the_last_commit_only() {
        let d = crate::sys::scratch::empty_dir("store-commit-seq");
        let mut s = Store::open(&d, "c").unwrap();
        s.commit_seq("orders", 6, 10).unwrap(); // records 0 to 9 returned
        assert_eq!(s.committed().next_seq("orders"), Some(7));
        s.commit_seq("orders", 6, 10).unwrap(); // the last commit again
        for (seq, why) in [(3, "before the last commit"), (10, "not returned yet")] {
            let e = s.commit_seq("orders", seq, 10).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            let msg = e.to_string();
            assert!(msg.contains(why) && msg.contains("c.consumer"), "{msg}");
            assert!(msg.contains("records 6 to 9 can be committed"), "{msg}");
        }
        assert_eq!(s.committed().next_seq("orders"), Some(7));
    }

    #[test]
    fn a_second_open_of_a_name_is_locked_by_another_reader() {
        let d = crate::sys::scratch::empty_dir("store-locked");
        let _s = Store::open(&d, "c").unwrap();
        let e = Store::open(&d, "c").err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Locked);
        assert!(e.message().contains("c is in use by another reader"), "{e}");
        assert_eq!(remove(&d, "c").unwrap_err().kind(), ErrorKind::Locked);
    }

    #[test]
    fn a_name_with_a_slash_or_too_long_is_refused() {
        let d = crate::sys::scratch::empty_dir("store-names");
        for bad in ["a/b", "", &"x".repeat(201), ".hidden"] {
            let e = Store::open(&d, bad).err().unwrap();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
    }
}
