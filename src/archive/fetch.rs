//! Copying a shipped log's segment objects back into a local directory
//! (`binlog remote fetch`), as the segment files the local tools read:
//! `<log>-<segment no>-<UTC start>.binlog` (`.binlog.zst` for a
//! compressed object), the start time from the segment's header.
//!
//! Every object is checked before it gets its name: its size and SHA-256
//! against its metadata (`binlog-bytes`, `binlog-sha256`: an object
//! without them is refused, its bytes cannot be checked), its header
//! against its key (log name, segment and first sequence numbers). Its
//! bytes go to `.<object name>.fetch` in the directory (a name no reader
//! takes for a segment), a ranged GET at a time, then fsync, a hard link
//! to the segment's name, the unlink of the `.fetch` name and an fsync of
//! the directory: a fetch that fails or is killed leaves no segment file
//! that is not a whole, checked copy (a killed one may leave its `.fetch`
//! file, which the next fetch overwrites). The link creates the name or
//! fails, so a file of that name is never replaced, even one made while
//! the fetch ran: it is kept if it holds the same bytes, else the fetch
//! stops with `AlreadyExists` naming it. Each object is reported as it
//! lands (`RemoteLog::fetch_iter`), so a fetch that stops has told of the
//! copies it made, with the records missing between it and the object
//! fetched before it (an object not in the bucket): the gap a log's reader
//! names (`log::gap_between`), which a read of the directory meets too.

use super::digest::{Digest, Hasher};
use super::metadata::{check_digest, check_size};
use super::object_name::SegmentKey;
use super::remote_log::{check_header, ListedSegment, RemoteLog};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming::segment_name;
use crate::log::{gap_between, Gap, SegmentEnd};
use crate::reader::Reader;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One segment object a fetch copied, or found copied already.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedSegment {
    /// The object's key.
    pub object_key: String,
    /// The local segment file it is now.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Whether the file held those bytes already (nothing was written).
    pub already_there: bool,
    /// The records missing between the object fetched before it and this
    /// one (an object not in the bucket), as a log's reader names them.
    pub gap: Option<Gap>,
}

/// Removes a temporary file when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl RemoteLog {
    /// Copies the segment objects holding sequence numbers `from_seq` to
    /// `to_seq` (each end open if `None`) into `dir` (which must exist),
    /// in segment order, as the module doc says; stops at the first object
    /// that fails its checks (the copies before it stay, whole). The
    /// objects are chosen by their keys: each holds the sequence numbers
    /// from its own first to the next one's. `fetch_iter` reports each
    /// copy as it lands.
    pub fn fetch(
        &self,
        dir: &Path,
        from_seq: Option<u64>,
        to_seq: Option<u64>,
    ) -> Result<Vec<FetchedSegment>> {
        self.fetch_iter(dir, from_seq, to_seq)?.collect()
    }

    /// `fetch`, one object at a time: the bucket is listed now, and each
    /// item copies the next object (its copy in place when it is
    /// returned). After an error the iteration ends (the copies before it
    /// stay, whole).
    pub fn fetch_iter<'a>(
        &'a self,
        dir: &'a Path,
        from_seq: Option<u64>,
        to_seq: Option<u64>,
    ) -> Result<impl Iterator<Item = Result<FetchedSegment>> + 'a> {
        let segments = self.segments()?;
        let firsts: Vec<u64> = segments.iter().map(|s| s.key.first_seq).collect();
        let chosen = segments.into_iter().enumerate().filter(move |(i, s)| {
            // The object after it starts past `from_seq` (or none follows).
            let after_from = from_seq
                .zip(firsts.get(i + 1))
                .is_none_or(|(from, &next)| next > from);
            after_from && to_seq.is_none_or(|to| s.key.first_seq <= to)
        });
        let mut failed = false;
        // Where the object fetched last ended (None: not known).
        let mut prev: Option<SegmentEnd> = None;
        Ok(chosen.map_while(move |(_, s)| {
            if failed {
                return None;
            }
            let fetched = self.fetch_one(dir, &s).map(|(mut f, end)| {
                let (no, first) = (s.key.segment_no, s.key.first_seq);
                f.gap = prev.and_then(|p| gap_between(p, &self.url_of(&s.object_key), no, first));
                prev = end;
                f
            });
            failed = fetched.is_err();
            Some(fetched)
        }))
    }

    /// Copies the segment object `s` into `dir`, checked (module doc);
    /// where it ends, by its seal.
    fn fetch_one(
        &self,
        dir: &Path,
        s: &ListedSegment,
    ) -> Result<(FetchedSegment, Option<SegmentEnd>)> {
        let url = self.url_of(&s.object_key);
        let gone = "no such object (listed, then gone)";
        let head = self.remote().head(&s.object_key)?;
        let head = head.ok_or_else(|| Error::file(ErrorKind::NotFound, &url, gone))?;
        let (size, Some(meta)) = head else {
            let what = "no binlog metadata: its SHA-256 is not known, its bytes cannot be checked";
            return Err(Error::file(ErrorKind::Corrupt, &url, what));
        };
        check_size(&url, size, Some(&meta))?;
        let file_name = s.object_key.rsplit('/').next().unwrap_or(&s.object_key);
        let tmp_path = dir.join(format!(".{file_name}.fetch"));
        let tmp = TempFile(tmp_path.clone());
        let (file, digest) = self.download(&s.object_key, &tmp_path, meta.bytes)?;
        check_digest(&url, &digest, &meta)?;
        let reader = Reader::open_file(url.clone(), file, false)?;
        check_header(&reader, &s.key, self.log())?;
        let path = dir.join(local_name(self.log(), &s.key, reader.header().created_ns));
        // Create-only: the link fails on any file of that name, which is
        // then compared, never replaced.
        let already_there = match std::fs::hard_link(&tmp_path, &path) {
            Ok(()) => {
                drop(tmp);
                crate::sys::sync_dir(dir).map_err(|e| Error::io(dir, "fsync", e))?;
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                same_bytes(&path, &digest)?;
                true
            }
            Err(e) => return Err(Error::io(&path, "link the fetched copy into place", e)),
        };
        let end = reader.seal().map(|d| SegmentEnd {
            segment_no: s.key.segment_no,
            next_seq: s.key.first_seq + d.record_count,
        });
        let fetched = FetchedSegment {
            object_key: s.object_key.clone(),
            path,
            bytes: digest.bytes,
            already_there,
            gap: None,
        };
        Ok((fetched, end))
    }

    /// The object at `key` (`size` bytes, as its HEAD said)
    /// written to a new `tmp` file, a ranged GET at a time, and fsynced:
    /// the file and the digest of what was written.
    fn download(&self, key: &str, tmp: &Path, size: u64) -> Result<(File, Digest)> {
        let mut f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(tmp)
            .map_err(|e| Error::io(tmp, "create", e))?;
        let mut h = Hasher::new();
        self.remote().for_each_part_of(key, size, |part| {
            let at = h.bytes();
            h.update(part);
            f.write_all(part)
                .map_err(|e| Error::io_at(tmp, at, "write", e))
        })?;
        f.sync_all().map_err(|e| Error::io(tmp, "fsync", e))?;
        Ok((f, h.finish()))
    }
}

/// Refuses a local file at `path` that does not hold the bytes of
/// `digest`: an `AlreadyExists` error naming it.
fn same_bytes(path: &Path, digest: &Digest) -> Result<()> {
    let f = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let there = super::digest::of_reader(f, path, "read")?;
    if &there == digest {
        return Ok(());
    }
    let what = "a file of that name holds other bytes than the object: not overwritten";
    Err(Error::file(ErrorKind::AlreadyExists, path, what))
}

/// The local file name of segment object `key` of log `log`, whose header
/// says it started at `created_ns`.
fn local_name(log: &str, key: &SegmentKey, created_ns: i64) -> String {
    let plain = segment_name(log, key.segment_no, created_ns);
    match key.compressed {
        true => format!("{plain}.zst"),
        false => plain,
    }
}
