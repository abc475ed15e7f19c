//! The filesystem's state, held in memory twice over: what programs see
//! (`live`: the page cache and the in-memory directories) and what a power
//! cut would leave (`durable`: what reached the disk). Every operation
//! changes only the live state; fsync of a file copies its data (and size)
//! to the durable state, fsync of a directory copies its entries. This is
//! LazyFS's model: a file's fsync does NOT persist its own directory entry,
//! only an fsync of the directory does.
//!
//! Inodes are never freed while mounted: an inode whose live entries are
//! gone may still be named by a durable entry, and a cut must find it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::time::SystemTime;

pub type Ino = u64;
pub const ROOT: Ino = 1;
/// The unit in which unsynced file data is tracked: the smallest sector a
/// torn write keeps or drops.
pub const BLOCK: u64 = 512;

/// A POSIX error number (positive), as the FUSE layer returns it.
pub type Errno = i32;

/// One change to one name of a directory: `Some(ino)` links the name to an
/// inode, `None` removes it.
pub type Change = (OsString, Option<Ino>);

pub struct FileData {
    pub live: Vec<u8>,
    pub durable: Vec<u8>,
    /// Blocks (of `BLOCK` bytes) whose live bytes may differ from durable.
    pub dirty: BTreeSet<u64>,
    /// Failed fsyncs of the file so far: as Linux's errseq, each open file
    /// description sees a failure once, at its first fsync after it, the
    /// description whose fsync failed at once.
    pub errors: u64,
}

pub struct DirData {
    pub live: BTreeMap<OsString, Ino>,
    pub durable: BTreeMap<OsString, Ino>,
    /// The directory operations since its last fsync, oldest first; each
    /// is atomic (a rename within the directory is one operation of two
    /// changes).
    pub pending: Vec<Vec<Change>>,
}

pub enum Body {
    File(FileData),
    Dir(DirData),
}

pub struct Node {
    pub body: Body,
    pub perm: u16,
    /// Live names of the inode (2 for a directory, whatever its children).
    pub nlink: u32,
    pub mtime: SystemTime,
    pub ctime: SystemTime,
}

impl Node {
    pub fn file(perm: u16, data: Vec<u8>) -> Node {
        Node::new(
            Body::File(FileData {
                durable: data.clone(),
                live: data,
                dirty: BTreeSet::new(),
                errors: 0,
            }),
            perm,
        )
    }

    pub fn dir(perm: u16) -> Node {
        Node::new(
            Body::Dir(DirData {
                live: BTreeMap::new(),
                durable: BTreeMap::new(),
                pending: Vec::new(),
            }),
            perm,
        )
    }

    fn new(body: Body, perm: u16) -> Node {
        let now = SystemTime::now();
        let nlink = if matches!(body, Body::Dir(_)) { 2 } else { 0 };
        Node {
            body,
            perm,
            nlink,
            mtime: now,
            ctime: now,
        }
    }

    pub fn size(&self) -> u64 {
        match &self.body {
            Body::File(f) => f.live.len() as u64,
            Body::Dir(_) => 4096,
        }
    }

    fn touch(&mut self) {
        let now = SystemTime::now();
        self.mtime = now;
        self.ctime = now;
    }
}

/// Faults the tool injects until told otherwise (signals or options,
/// main.rs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every fsync and fdatasync fails with EIO. As Linux does (the
    /// "fsyncgate" lesson), a failed file fsync marks the file's dirty
    /// pages clean without making them durable: programs still read them,
    /// a later fsync that succeeds does not write them, a cut loses them.
    pub fsync_eio: bool,
    /// The disk is full: a write or fallocate that would need a block past
    /// a file's end fails with ENOSPC (writes inside the file succeed).
    pub disk_full: bool,
    /// Armed: the fsync or fdatasync (of a file or a directory) this many
    /// more from now fails as under `fsync_eio`, once (1: the next); the
    /// ones before and after it succeed.
    pub fail_fsync_at: Option<u64>,
    /// Armed: the disk fills at the write or fallocate this many more from
    /// now (1: the next), which is the first to meet `disk_full`.
    pub disk_full_at: Option<u64>,
    /// Armed: the power is cut in place of the change or sync (create,
    /// mkdir, write, size or mode change, open with O_TRUNC, unlink, rmdir,
    /// rename, link, fsync, fsyncdir, fallocate) this many more from now.
    pub cut_at: Option<u64>,
}

/// Counts one request against an armed fault: true when it is the one.
fn countdown(at: &mut Option<u64>) -> bool {
    match at {
        Some(1) => {
            *at = None;
            true
        }
        Some(n) => {
            *n -= 1;
            false
        }
        None => false,
    }
}

impl Faults {
    /// Whether the power goes in place of this change or sync, counting
    /// it against `cut_at`.
    pub fn cut_now(&mut self) -> bool {
        countdown(&mut self.cut_at)
    }

    /// Whether this fsync fails, counting it against `fail_fsync_at`.
    pub fn fsync_fails(&mut self) -> bool {
        countdown(&mut self.fail_fsync_at) || self.fsync_eio
    }

    /// Whether the disk is full for this write or fallocate, counting it
    /// against `disk_full_at`.
    pub fn full_at_write(&mut self) -> bool {
        if countdown(&mut self.disk_full_at) {
            self.disk_full = true;
        }
        self.disk_full
    }
}

pub struct Model {
    pub nodes: HashMap<Ino, Node>,
    pub faults: Faults,
    /// The changes and syncs requested since the mount (see
    /// `Faults::cut_at`), the one a cut struck included.
    pub changes: u64,
    next: Ino,
    /// Each open file description (FUSE file handle): the failed fsyncs
    /// of its file it has seen (`FileData::errors`).
    handles: HashMap<u64, u64>,
    next_handle: u64,
}

impl Default for Model {
    fn default() -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(ROOT, Node::dir(0o755));
        Model {
            nodes,
            faults: Faults::default(),
            changes: 0,
            next: ROOT + 1,
            handles: HashMap::new(),
            next_handle: 1,
        }
    }
}

impl Model {
    /// Counts a change or sync; true when a cut armed at a count strikes it.
    pub fn count_change(&mut self) -> bool {
        self.changes += 1;
        self.faults.cut_now()
    }

    pub fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(libc::ENOENT)
    }

    fn node_mut(&mut self, ino: Ino) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(libc::ENOENT)
    }

    pub fn add(&mut self, node: Node) -> Ino {
        let ino = self.next;
        self.next += 1;
        self.nodes.insert(ino, node);
        ino
    }

    pub fn dir(&self, ino: Ino) -> Result<&DirData, Errno> {
        match &self.node(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(libc::ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: Ino) -> Result<&mut DirData, Errno> {
        match &mut self.node_mut(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(libc::ENOTDIR),
        }
    }

    pub fn file(&self, ino: Ino) -> Result<&FileData, Errno> {
        match &self.node(ino)?.body {
            Body::File(f) => Ok(f),
            Body::Dir(_) => Err(libc::EISDIR),
        }
    }

    fn file_mut(&mut self, ino: Ino) -> Result<&mut FileData, Errno> {
        match &mut self.node_mut(ino)?.body {
            Body::File(f) => Ok(f),
            Body::Dir(_) => Err(libc::EISDIR),
        }
    }

    pub fn lookup(&self, parent: Ino, name: &OsStr) -> Result<Ino, Errno> {
        self.dir(parent)?
            .live
            .get(name)
            .copied()
            .ok_or(libc::ENOENT)
    }

    /// Applies one directory operation to `dir`'s live entries and records
    /// it as pending (not durable until the directory's fsync).
    fn apply(&mut self, dir: Ino, op: Vec<Change>) -> Result<(), Errno> {
        let d = self.dir_mut(dir)?;
        for (name, target) in &op {
            match target {
                Some(ino) => d.live.insert(name.clone(), *ino),
                None => d.live.remove(name),
            };
        }
        d.pending.push(op);
        self.node_mut(dir)?.touch();
        Ok(())
    }

    /// Creates a file or directory named `name` in `parent`.
    pub fn mknode(&mut self, parent: Ino, name: &OsStr, node: Node) -> Result<Ino, Errno> {
        if self.lookup(parent, name).is_ok() {
            return Err(libc::EEXIST);
        }
        let ino = self.add(node);
        self.link(ino, parent, name)?;
        Ok(ino)
    }

    pub fn link(&mut self, ino: Ino, parent: Ino, name: &OsStr) -> Result<(), Errno> {
        if self.lookup(parent, name).is_ok() {
            return Err(libc::EEXIST);
        }
        self.apply(parent, vec![(name.to_owned(), Some(ino))])?;
        let n = self.node_mut(ino)?;
        if matches!(n.body, Body::File(_)) {
            n.nlink += 1;
        }
        n.ctime = SystemTime::now();
        Ok(())
    }

    /// Removes a name; `dir` says whether it must name a directory (rmdir)
    /// or must not (unlink).
    pub fn remove(&mut self, parent: Ino, name: &OsStr, dir: bool) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        match (&self.node(ino)?.body, dir) {
            (Body::Dir(d), true) if !d.live.is_empty() => return Err(libc::ENOTEMPTY),
            (Body::Dir(_), false) => return Err(libc::EISDIR),
            (Body::File(_), true) => return Err(libc::ENOTDIR),
            _ => {}
        }
        self.apply(parent, vec![(name.to_owned(), None)])?;
        self.unlinked(ino);
        Ok(())
    }

    fn unlinked(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            if matches!(n.body, Body::File(_)) {
                n.nlink = n.nlink.saturating_sub(1);
            }
            n.ctime = SystemTime::now();
        }
    }

    pub fn rename(
        &mut self,
        from: (Ino, &OsStr),
        to: (Ino, &OsStr),
        noreplace: bool,
    ) -> Result<(), Errno> {
        let ino = self.lookup(from.0, from.1)?;
        let old = self.lookup(to.0, to.1).ok();
        if old == Some(ino) {
            return Ok(());
        }
        if let Some(old) = old {
            if noreplace {
                return Err(libc::EEXIST);
            }
            let src_dir = matches!(self.node(ino)?.body, Body::Dir(_));
            match &self.node(old)?.body {
                Body::Dir(_) if !src_dir => return Err(libc::EISDIR),
                Body::Dir(d) if !d.live.is_empty() => return Err(libc::ENOTEMPTY),
                Body::File(_) if src_dir => return Err(libc::ENOTDIR),
                _ => {}
            }
        }
        let removal = (from.1.to_owned(), None);
        let insertion = (to.1.to_owned(), Some(ino));
        if from.0 == to.0 {
            self.apply(from.0, vec![removal, insertion])?;
        } else {
            self.apply(to.0, vec![insertion])?;
            self.apply(from.0, vec![removal])?;
        }
        if let Some(old) = old {
            self.unlinked(old);
        }
        Ok(())
    }

    pub fn read(&self, ino: Ino, offset: u64, size: u32) -> Result<&[u8], Errno> {
        let live = &self.file(ino)?.live;
        let start = (offset as usize).min(live.len());
        let end = start.saturating_add(size as usize).min(live.len());
        Ok(&live[start..end])
    }

    pub fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<(), Errno> {
        let full = self.faults.full_at_write();
        let f = self.file_mut(ino)?;
        let end = offset as usize + data.len();
        if full && end > f.live.len() {
            return Err(libc::ENOSPC);
        }
        if f.live.len() < end {
            resize(f, end as u64);
        }
        f.live[offset as usize..end].copy_from_slice(data);
        mark(f, offset, end as u64);
        self.node_mut(ino)?.touch();
        Ok(())
    }

    pub fn set_size(&mut self, ino: Ino, size: u64) -> Result<(), Errno> {
        resize(self.file_mut(ino)?, size);
        self.node_mut(ino)?.touch();
        Ok(())
    }

    pub fn set_perm(&mut self, ino: Ino, perm: u16) -> Result<(), Errno> {
        let n = self.node_mut(ino)?;
        n.perm = perm;
        n.ctime = SystemTime::now();
        Ok(())
    }

    /// A new open file description of `ino`: it sees the fsync failures
    /// of the file from now on.
    pub fn open_handle(&mut self, ino: Ino) -> Result<u64, Errno> {
        let seen = match &self.node(ino)?.body {
            Body::File(f) => f.errors,
            Body::Dir(_) => 0,
        };
        let fh = self.next_handle;
        self.next_handle += 1;
        self.handles.insert(fh, seen);
        Ok(fh)
    }

    pub fn release_handle(&mut self, fh: u64) {
        self.handles.remove(&fh);
    }

    /// fsync or fdatasync of a file through the description `fh` (`None`:
    /// a sync of everything): its data and size reach the durable state;
    /// its names do not. A failure since the description last synced is
    /// reported once (EIO), after the sync, as Linux does.
    pub fn sync_file(&mut self, ino: Ino, fh: Option<u64>) -> Result<(), Errno> {
        self.file(ino)?;
        let eio = self.faults.fsync_fails();
        let f = self.file_mut(ino)?;
        let blocks = std::mem::take(&mut f.dirty);
        if eio {
            // The pages are clean now and were never written: lost.
            f.errors += 1;
        } else {
            f.durable.resize(f.live.len(), 0);
            for b in blocks {
                copy_block(f, b * BLOCK, (b + 1) * BLOCK);
            }
        }
        let errors = f.errors;
        match fh.and_then(|h| self.handles.get_mut(&h)) {
            Some(seen) if *seen < errors => {
                *seen = errors;
                Err(libc::EIO)
            }
            _ if eio => Err(libc::EIO),
            _ => Ok(()),
        }
    }

    /// fsync of a directory: its live entries become its durable ones.
    pub fn sync_dir(&mut self, ino: Ino) -> Result<(), Errno> {
        self.dir(ino)?;
        if self.faults.fsync_fails() {
            return Err(libc::EIO);
        }
        let d = self.dir_mut(ino)?;
        d.durable = d.live.clone();
        d.pending.clear();
        Ok(())
    }

    /// What a clean unmount (or `sync`) does: everything becomes durable.
    pub fn sync_all(&mut self) {
        self.faults = Faults::default();
        let inos: Vec<Ino> = self.nodes.keys().copied().collect();
        for ino in inos {
            let _ = self.sync_file(ino, None);
            let _ = self.sync_dir(ino);
        }
    }
}

/// Copies the live bytes of `[start, end)` (clamped to the live size) to
/// the durable copy, growing it with zeros where needed.
pub fn copy_block(f: &mut FileData, start: u64, end: u64) {
    let end = (end as usize).min(f.live.len());
    let start = start as usize;
    if start >= end {
        return;
    }
    if f.durable.len() < end {
        f.durable.resize(end, 0);
    }
    f.durable[start..end].copy_from_slice(&f.live[start..end]);
}

/// Marks the blocks of `[start, end)` dirty.
fn mark(f: &mut FileData, start: u64, end: u64) {
    if end > start {
        f.dirty.extend(start / BLOCK..end.div_ceil(BLOCK));
    }
}

/// Changes the live size; the bytes between the two sizes change (cut off,
/// or zeros appear), so their blocks are dirty.
fn resize(f: &mut FileData, size: u64) {
    let old = f.live.len() as u64;
    f.live.resize(size as usize, 0);
    mark(f, old.min(size), old.max(size));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cut::{survive, Policy};

    /// A file cut short and synced, then written past the cut and not
    /// synced: a cut leaves it as it was at its sync.
    #[test]
    fn writes_after_a_synced_truncation_are_lost_whole() {
        let mut m = Model::default();
        let ino = m
            .mknode(ROOT, OsStr::new("f"), Node::file(0o644, vec![7; 33483]))
            .unwrap();
        m.sync_file(ino, None).unwrap();
        m.sync_dir(ROOT).unwrap();
        m.set_size(ino, 12778).unwrap();
        m.sync_file(ino, None).unwrap();
        m.write(ino, 12778, &[1; 352]).unwrap();
        m.write(ino, 13130, &[2; 20026]).unwrap();
        m.write(ino, 33156, &[3; 327]).unwrap();
        survive(&mut m, Policy::default());
        assert_eq!(m.file(ino).unwrap().durable, vec![7; 12778]);
    }

    /// A failed fsync loses the pages it was to write, and a later fsync
    /// that succeeds does not bring them back (Linux's behaviour).
    #[test]
    fn a_failed_fsync_loses_its_pages_and_a_retry_does_not_write_them() {
        let mut m = Model::default();
        let ino = m
            .mknode(ROOT, OsStr::new("f"), Node::file(0o644, vec![7; 1024]))
            .unwrap();
        m.write(ino, 1024, &[1; 512]).unwrap();
        m.faults.fsync_eio = true;
        assert_eq!(m.sync_file(ino, None), Err(libc::EIO));
        m.faults.fsync_eio = false;
        assert_eq!(m.sync_file(ino, None), Ok(()));
        assert_eq!(m.file(ino).unwrap().live[1024..], [1; 512]);
        assert_eq!(m.file(ino).unwrap().durable[1024..], [0; 512]);
    }

    /// A full disk refuses a write past a file's end, not one inside it.
    #[test]
    fn a_full_disk_refuses_only_writes_that_grow_a_file() {
        let mut m = Model::default();
        let ino = m
            .mknode(ROOT, OsStr::new("f"), Node::file(0o644, vec![0; 1024]))
            .unwrap();
        m.faults.disk_full = true;
        assert_eq!(m.write(ino, 0, &[1; 1024]), Ok(()));
        assert_eq!(m.write(ino, 1000, &[1; 25]), Err(libc::ENOSPC));
        assert_eq!(m.file(ino).unwrap().live.len(), 1024);
    }

    /// An armed fsync fault fails exactly the fsync it counts to; an armed
    /// full disk fills at its write and stays full.
    #[test]
    fn armed_faults_strike_at_their_count() {
        let mut m = Model::default();
        let ino = m
            .mknode(ROOT, OsStr::new("f"), Node::file(0o644, Vec::new()))
            .unwrap();
        m.faults.fail_fsync_at = Some(2);
        m.faults.disk_full_at = Some(3);
        assert_eq!(m.sync_dir(ROOT), Ok(()));
        m.write(ino, 0, &[1; 10]).unwrap();
        assert_eq!(m.sync_file(ino, None), Err(libc::EIO));
        assert_eq!(m.sync_file(ino, None), Ok(()));
        m.write(ino, 10, &[2; 10]).unwrap();
        assert_eq!(m.write(ino, 20, &[3; 10]), Err(libc::ENOSPC));
        assert_eq!(m.write(ino, 0, &[4; 20]), Ok(()));
        assert_eq!(m.write(ino, 20, &[3; 10]), Err(libc::ENOSPC));
    }
}
