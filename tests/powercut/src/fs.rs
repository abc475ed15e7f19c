//! The FUSE side: each request becomes one operation on the model, under
//! one lock. A cut takes that lock and never gives it back, so no
//! operation completes after the moment the power went.

use crate::model::{Body, Errno, Ino, Model, Node};
use fuser::{
    FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, OpenFlags,
    RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry,
    ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use std::ffi::OsStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// Attributes and entries are never cached by the kernel: every stat and
/// lookup sees the model.
const TTL: Duration = Duration::ZERO;

pub struct PowerCutFs {
    pub model: Arc<Mutex<Model>>,
    /// What a cut armed at a count (`--cut-at N`) does when it strikes.
    pub power_off: crate::PowerOff,
}

/// With `POWERCUT_TRACE=<file>` set, each change and sync is logged there
/// (one line each), to see in what order a program wrote and synced.
fn trace(line: std::fmt::Arguments<'_>) {
    static OUT: std::sync::OnceLock<Option<Mutex<std::fs::File>>> = std::sync::OnceLock::new();
    let out = OUT.get_or_init(|| {
        let p = std::env::var_os("POWERCUT_TRACE")?;
        std::fs::File::options()
            .create(true)
            .append(true)
            .open(p)
            .ok()
            .map(Mutex::new)
    });
    if let Some(f) = out {
        use std::io::Write;
        let _ = writeln!(f.lock().unwrap_or_else(|p| p.into_inner()), "{line}");
    }
}

fn errno(e: Errno) -> fuser::Errno {
    fuser::Errno::from_i32(e)
}

fn attr(ino: Ino, n: &Node) -> FileAttr {
    let kind = match n.body {
        Body::File(_) => FileType::RegularFile,
        Body::Dir(_) => FileType::Directory,
    };
    let size = n.size();
    FileAttr {
        ino: INodeNo(ino),
        size,
        blocks: size.div_ceil(512),
        atime: n.mtime,
        mtime: n.mtime,
        ctime: n.ctime,
        crtime: n.ctime,
        kind,
        perm: n.perm,
        nlink: n.nlink,
        // SAFETY: getuid and getgid cannot fail.
        uid: unsafe { libc::getuid() },
        gid: unsafe { libc::getgid() },
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

impl PowerCutFs {
    fn lock(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The model for a request that changes or syncs something, counted
    /// against a cut armed at a count: the one it strikes never runs, the
    /// power goes instead (and the process ends, the lock still held).
    fn change(&self) -> MutexGuard<'_, Model> {
        let mut m = self.lock();
        if m.count_change() {
            self.power_off.cut(&mut m);
        }
        m
    }

    fn entry(&self, r: Result<Ino, Errno>, reply: ReplyEntry) {
        let m = self.lock();
        match r.and_then(|ino| Ok((ino, m.node(ino)?))) {
            Ok((ino, n)) => reply.entry(&TTL, &attr(ino, n), Generation(0)),
            Err(e) => reply.error(errno(e)),
        }
    }
}

/// What the trace adds to a sync's line: nothing, or ` EIO`.
fn failed(r: Result<(), Errno>) -> &'static str {
    match r {
        Err(libc::EIO) => " EIO",
        _ => "",
    }
}

fn empty(r: Result<(), Errno>, reply: ReplyEmpty) {
    match r {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(errno(e)),
    }
}

impl Filesystem for PowerCutFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let r = self.lock().lookup(parent.0, name);
        self.entry(r, reply);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.lock().node(ino.0) {
            Ok(n) => reply.attr(&TTL, &attr(ino.0, n)),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        trace(format_args!("setattr {} size {size:?}", ino.0));
        let mut m = self.change();
        let changed = size
            .map_or(Ok(()), |s| m.set_size(ino.0, s))
            .and_then(|()| mode.map_or(Ok(()), |p| m.set_perm(ino.0, (p & 0o7777) as u16)));
        match changed.and_then(|()| m.node(ino.0)) {
            Ok(n) => reply.attr(&TTL, &attr(ino.0, n)),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let perm = (mode & !umask & 0o7777) as u16;
        let r = self.change().mknode(parent.0, name, Node::dir(perm));
        self.entry(r, reply);
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(self.change().remove(parent.0, name, false), reply);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(self.change().remove(parent.0, name, true), reply);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if flags.contains(RenameFlags::RENAME_EXCHANGE) {
            return reply.error(fuser::Errno::EINVAL);
        }
        let noreplace = flags.contains(RenameFlags::RENAME_NOREPLACE);
        let r = self
            .change()
            .rename((parent.0, name), (newparent.0, newname), noreplace);
        empty(r, reply);
    }

    fn link(
        &self,
        _req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        let r = {
            let mut m = self.change();
            match m.file(ino.0) {
                Ok(_) => m.link(ino.0, newparent.0, newname).map(|()| ino.0),
                Err(_) => Err(libc::EPERM),
            }
        };
        self.entry(r, reply);
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let mut m = match flags.0 & libc::O_TRUNC {
            0 => self.lock(),
            _ => self.change(),
        };
        let r = match m.node(ino.0) {
            Ok(_) if flags.0 & libc::O_TRUNC != 0 => m.set_size(ino.0, 0),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        match r.and_then(|()| m.open_handle(ino.0)) {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let perm = (mode & !umask & 0o7777) as u16;
        let mut m = self.change();
        let r = m
            .mknode(parent.0, name, Node::file(perm, Vec::new()))
            .inspect(|ino| trace(format_args!("create {ino} {name:?}")))
            .and_then(|ino| Ok((ino, m.open_handle(ino)?)))
            .and_then(|(ino, fh)| Ok((ino, fh, m.node(ino)?)));
        match r {
            Ok((ino, fh, n)) => reply.created(
                &TTL,
                &attr(ino, n),
                Generation(0),
                FileHandle(fh),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyData,
    ) {
        match self.lock().read(ino.0, offset, size) {
            Ok(data) => reply.data(data),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyWrite,
    ) {
        trace(format_args!("write {} {offset} {}", ino.0, data.len()));
        match self.change().write(ino.0, offset, data) {
            Ok(()) => reply.written(data.len() as u32),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        // close(2) persists nothing.
        reply.ok();
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.lock().release_handle(fh.0);
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let r = self.change().sync_file(ino.0, Some(fh.0));
        trace(format_args!("fsync {}{}", ino.0, failed(r)));
        empty(r, reply);
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let m = self.lock();
        let d = match m.dir(ino.0) {
            Ok(d) => d,
            Err(e) => return reply.error(errno(e)),
        };
        let dots = [(".".as_ref(), ino.0), ("..".as_ref(), ino.0)];
        let all = dots
            .into_iter()
            .chain(d.live.iter().map(|(n, i)| (n.as_os_str(), *i)));
        for (i, (name, child)) in all.enumerate().skip(offset as usize) {
            let kind = match m.node(child).map(|n| &n.body) {
                Ok(Body::Dir(_)) => FileType::Directory,
                _ => FileType::RegularFile,
            };
            if reply.add(INodeNo(child), (i + 1) as u64, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let r = self.change().sync_dir(ino.0);
        trace(format_args!("fsyncdir {}{}", ino.0, failed(r)));
        empty(r, reply);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        reply.statfs(1 << 24, 1 << 23, 1 << 23, 1 << 20, 1 << 19, 4096, 255, 4096);
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply.ok();
    }

    /// Reserving blocks (FALLOC_FL_KEEP_SIZE) changes nothing a program or
    /// a cut can see; growing the file (mode 0) is a size change; any other
    /// mode is refused with EOPNOTSUPP, as a filesystem without it does.
    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        trace(format_args!("fallocate {} {offset} {length} {mode}", ino.0));
        let mut m = self.change();
        let full = m.faults.full_at_write();
        let r = match mode {
            _ if full
                && m.file(ino.0)
                    .is_ok_and(|f| (f.live.len() as u64) < offset + length) =>
            {
                Err(libc::ENOSPC)
            }
            libc::FALLOC_FL_KEEP_SIZE => m.file(ino.0).map(|_| ()),
            0 => match m.file(ino.0).map(|f| f.live.len() as u64) {
                Ok(size) if size < offset + length => m.set_size(ino.0, offset + length),
                other => other.map(|_| ()),
            },
            _ => Err(libc::EOPNOTSUPP),
        };
        empty(r, reply);
    }
}
