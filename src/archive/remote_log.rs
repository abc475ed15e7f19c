//! Reading a log's shipped segments from the bucket: the listing of its
//! segment objects (found by their keys alone, object_name.rs) and a
//! `Reader` of one object, read with ranged GETs (remote_source.rs). A
//! plain object is read as a compressed one of stored frames; one that is
//! not sealed, or whose header is damaged, is copied whole into an
//! anonymous file and read as a local segment (`open_plain`). Either way
//! the reader is the local one, so every record is checked as it is from
//! a file, and errors and damage name the object's `s3://bucket/key` and
//! the offset. And the log's objects copied back into a directory
//! (`RemoteLog::fetch`, `binlog remote fetch`: see above `FetchedSegment`).

use super::digest::{Digest, Hasher};
use super::metadata::{check_digest, check_size, ObjectMetadata};
use super::object_name::{log_prefix, parse_object_key, LogObject, SegmentKey};
use super::remote::Remote;
use super::remote_source::{RemoteSource, PLAIN_TAIL_BYTES, TAIL_BYTES};
use crate::compressed::CompressedSegment;
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming::segment_name;
use crate::log::{gap_between, Gap, SegmentEnd};
use crate::reader::Reader;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One segment object of a log, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedSegment {
    /// The segment number and first sequence number its name carries.
    #[doc(hidden)]
    pub key: SegmentKey,
    /// The object's full key.
    pub object_key: String,
    /// The object's size in bytes.
    pub size: u64,
}

/// A log's segments in a bucket, read with read and list permissions only.
#[derive(Clone)]
pub struct RemoteLog {
    remote: Arc<Remote>,
    log: String,
}

impl RemoteLog {
    /// Log `log` under `remote`'s prefix; its name is checked as a log's
    /// (`LogWriter::open` takes the same).
    pub fn new(remote: Arc<Remote>, log: &str) -> Result<RemoteLog> {
        crate::log::validate_name(log)?;
        Ok(RemoteLog {
            remote,
            log: log.to_string(),
        })
    }

    /// The client it reads through.
    pub fn remote(&self) -> &Arc<Remote> {
        &self.remote
    }

    /// The log's name.
    pub fn log(&self) -> &str {
        &self.log
    }

    /// Every segment object of the log, in read order: by segment number,
    /// each followed by the objects of the files salvaged from it (one
    /// LIST; objects whose keys name neither, like the claim, are left
    /// out).
    pub fn segments(&self) -> Result<Vec<ListedSegment>> {
        let prefix = log_prefix(&self.remote.location().prefix, &self.log);
        let mut out = Vec::new();
        for o in self.remote.list(&prefix)? {
            if let Some(key) = parse_object_key(&o.name) {
                let object_key = format!("{prefix}{}", o.name);
                out.push(ListedSegment {
                    key,
                    object_key,
                    size: o.size,
                });
            }
        }
        out.sort_by_key(|s| s.key.order());
        Ok(out)
    }

    /// The newest signed head the log's shipper put, if any, and its URL;
    /// and the first segment a head may name that the bucket does not
    /// hold (the live one when the head was put): the newest head's, or
    /// the one after if the head was put with its segment (`-shipped`).
    #[cfg(feature = "sign")]
    pub(crate) fn newest_head(&self) -> Result<crate::sign::head::OwnHead> {
        let Some((_, key)) = self.heads()?.pop() else {
            return Ok((None, Some(0)));
        };
        let url = self.url_of(&key);
        let head = crate::sign::SignedHead::from_bytes(&self.get_whole(&key)?, &url)?;
        let shipped = key.ends_with(crate::format::naming::HEAD_SHIPPED);
        let live_from = head.segment_no + u64::from(shipped);
        Ok((Some((head, url, false)), Some(live_from)))
    }

    /// The log's signed heads the shipper put (shipper/head.rs), oldest
    /// first (the listing is sorted by key): the segment each names and its
    /// key.
    pub(crate) fn heads(&self) -> Result<Vec<(u64, String)>> {
        let prefix = log_prefix(&self.remote.location().prefix, &self.log);
        let listed = self.remote.list(&prefix)?.into_iter();
        let heads = listed.filter_map(|o| match LogObject::of(&o.name) {
            LogObject::Head(no, _) => Some((no, format!("{prefix}{}", o.name))),
            _ => None,
        });
        Ok(heads.collect())
    }

    /// How the log reader and errors name the object at `object_key`.
    pub fn url_of(&self, object_key: &str) -> PathBuf {
        PathBuf::from(self.remote.location().url_of(object_key))
    }

    /// The object key `url` (made by `url_of`) names, if it is in this
    /// log's bucket.
    #[doc(hidden)]
    pub fn key_of_url(&self, url: &Path) -> Option<String> {
        let bucket = format!("s3://{}/", self.remote.location().bucket);
        Some(url.to_str()?.strip_prefix(&bucket)?.to_string())
    }

    /// A reader of the segment object at `object_key`; with `salvage`, as
    /// `Reader::open_salvage` opens a file. A missing object is a
    /// `NotFound` error; an object whose header says another log, segment
    /// or first sequence number than its key is `WrongLog`. The reader
    /// reads it as an object (`Reader::read_as_object`): one that ends
    /// without its seal, or whose size is not the one its metadata says,
    /// is cut short: damage up to where its metadata says its records end.
    pub fn open_reader(&self, object_key: &str, salvage: bool) -> Result<Reader> {
        let url = self.url_of(object_key);
        let key = key_of(&url, object_key)?;
        let tail = match key.compressed {
            true => TAIL_BYTES,
            false => PLAIN_TAIL_BYTES,
        };
        let source = RemoteSource::open(Arc::clone(&self.remote), object_key, tail, salvage)?;
        let (records_end, resized) = (source.records_end, source.resized);
        let mut reader = if key.compressed {
            let (segment, lost) =
                CompressedSegment::open_source(url.clone(), Box::new(source), salvage)?;
            Reader::open_compressed(url, segment, lost, salvage)?
        } else {
            self.open_plain(url, object_key, source, salvage)?
        };
        check_header(&reader, &key, &self.log)?;
        reader.read_as_object(records_end, resized);
        Ok(reader)
    }

    /// A reader of the plain segment object at `object_key` (at `url`,
    /// its tail in `source`): with ranged GETs if it is sealed and its
    /// header intact, else (an object damaged there) of a copy of it,
    /// which reads as a local file of its bytes would (errors, damaged
    /// regions, how it ends). A seal found to lie about where the records
    /// end while the ranged reader reads has it read on in such a copy
    /// (`Reader::read_on_in_copy`).
    fn open_plain(
        &self,
        url: PathBuf,
        object_key: &str,
        source: RemoteSource,
        salvage: bool,
    ) -> Result<Reader> {
        let ranged = CompressedSegment::open_stored(url.clone(), Box::new(source))
            .and_then(|s| Reader::open_compressed(url.clone(), s, None, salvage));
        use ErrorKind::{Io, NotFound, PermissionDenied, Remote};
        match ranged {
            Ok(mut r) if r.sealed() => {
                let (log, key) = (self.clone(), object_key.to_string());
                r.read_on_in_copy(Box::new(move || log.copy_whole(&key)));
                return Ok(r);
            }
            // An error that says nothing of the object's bytes (which a
            // copy of them then reports as a local file's open would).
            Err(e) if matches!(e.kind(), NotFound | PermissionDenied | Remote | Io) => {
                return Err(e)
            }
            _ => {}
        }
        let copy = self.copy_whole(object_key)?;
        Reader::open_file(url, copy, salvage)
    }

    /// The object at `object_key`, whole, in one GET; a missing object is
    /// a `NotFound` error naming it.
    #[doc(hidden)]
    pub fn get_whole(&self, object_key: &str) -> Result<Vec<u8>> {
        let missing = || self.remote.no_such_object(object_key);
        self.remote.get(object_key)?.ok_or_else(missing)
    }

    /// The object at `object_key` copied into an anonymous temporary file,
    /// a ranged GET at a time (`Remote::for_each_part`: memory does not
    /// grow with the object); a missing object is a `NotFound` error
    /// naming it.
    fn copy_whole(&self, object_key: &str) -> Result<std::fs::File> {
        let url = self.url_of(object_key);
        let mut f = anonymous_copy(&url, &[])?;
        let found = self.remote.for_each_part(object_key, |part| {
            f.write_all(part)
                .map_err(|e| Error::io(&url, "make a temporary copy", e))
        })?;
        let missing = || self.remote.no_such_object(object_key);
        found.map(|_| f).ok_or_else(missing)
    }

    /// A reader of `bytes`, the segment object at `object_key` fetched
    /// whole (plain or compressed) with its metadata `meta` (from its
    /// HEAD), as `open_reader` reads it: cut short where its records end
    /// if it ends unsealed or its size is not the one `meta` says.
    #[doc(hidden)]
    pub fn reader_of_copy(
        &self,
        object_key: &str,
        bytes: &[u8],
        meta: Option<&ObjectMetadata>,
        salvage: bool,
    ) -> Result<Reader> {
        let url = self.url_of(object_key);
        let key = key_of(&url, object_key)?;
        let mut reader = Reader::open_file(url.clone(), anonymous_copy(&url, bytes)?, salvage)?;
        check_header(&reader, &key, &self.log)?;
        let resized = meta.is_some_and(|m| m.bytes != bytes.len() as u64);
        reader.read_as_object(meta.map(ObjectMetadata::records_end), resized);
        Ok(reader)
    }
}

/// What the segment key `object_key` (at `url`) says.
fn key_of(url: &Path, object_key: &str) -> Result<SegmentKey> {
    let name = object_key.rsplit('/').next().unwrap_or(object_key);
    let what = "not a segment object's key";
    parse_object_key(name).ok_or_else(|| Error::file(ErrorKind::InvalidArgument, url, what))
}

/// Refuses an object whose header is not what its key says (unless its
/// header is lost: a salvaging reader's placeholder).
fn check_header(r: &Reader, key: &SegmentKey, log: &str) -> Result<()> {
    let h = r.header();
    if h.log_name.is_empty() {
        return Ok(());
    }
    crate::log::segments::check_log_name(r.path(), h, log)?;
    if (h.segment_no, h.first_seq) != (key.segment_no, key.first_seq) {
        let what = format!(
            "the header says segment {} from sequence {}, the key segment {} from {}",
            h.segment_no, h.first_seq, key.segment_no, key.first_seq
        );
        return Err(Error::at(ErrorKind::WrongLog, r.path(), 0, what));
    }
    Ok(())
}

/// `bytes` in an anonymous temporary file (gone once closed).
fn anonymous_copy(url: &Path, bytes: &[u8]) -> Result<std::fs::File> {
    let copy = crate::sys::anonymous_file(&std::env::temp_dir())
        .and_then(|mut f| f.write_all(bytes).map(|()| f));
    copy.map_err(|e| Error::io(url, "make a temporary copy", e))
}

/// The log reader's remote tier (`LogReader::open_tiered`, `open_remote`).
impl crate::log::Archived for RemoteLog {
    fn log(&self) -> &str {
        &self.log
    }

    fn segment_urls(&self) -> Result<Vec<(u64, PathBuf)>> {
        let listed = self.segments()?;
        let url = |s: &ListedSegment| (s.key.segment_no, self.url_of(&s.object_key));
        Ok(listed.iter().map(url).collect())
    }

    fn open_url(&self, url: &Path, salvage: bool) -> Result<Reader> {
        let what = "not an object of the log's bucket";
        let not_ours = || Error::file(ErrorKind::InvalidArgument, url, what);
        self.open_reader(&self.key_of_url(url).ok_or_else(not_ours)?, salvage)
    }

    fn retention_through(&self) -> Option<u64> {
        self.pruned_through().ok().flatten()
    }
}

// Copying a shipped log's segment objects back into a local directory
// (`binlog remote fetch`), as the segment files the local tools read:
// `<log>-<segment no>-<UTC start>.binlog` (`.binlog.zst` for a
// compressed object), the start time from the segment's header.
//
// Every object is checked before it gets its name: its size and SHA-256
// against its metadata (`binlog-bytes`, `binlog-sha256`: an object
// without them is refused, its bytes cannot be checked), its header
// against its key (log name, segment and first sequence numbers). Its
// bytes go to `.<object name>.fetch` in the directory (a name no reader
// takes for a segment), a ranged GET at a time, then fsync, a hard link
// to the segment's name, the unlink of the `.fetch` name and an fsync of
// the directory: a fetch that fails or is killed leaves no segment file
// that is not a whole, checked copy (a killed one may leave its `.fetch`
// file, which the next fetch overwrites). The link creates the name or
// fails, so a file of that name is never replaced, even one made while
// the fetch ran: it is kept if it holds the same bytes, else the fetch
// stops with `AlreadyExists` naming it. Each object is reported as it
// lands (`RemoteLog::fetch_iter`), so a fetch that stops has told of the
// copies it made, with the records missing between it and the object
// fetched before it (an object not in the bucket): the gap a log's reader
// names (`log::gap_between`), which a read of the directory meets too.
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
    /// in segment order, as the comment above `FetchedSegment` says; stops
    /// at the first object that fails its checks (the copies before it stay, whole). The
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

    /// Copies the segment object `s` into `dir`, checked (see above
    /// `FetchedSegment`); where it ends, by its seal.
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
        // Its local name, the start time from its header.
        let name = segment_name(self.log(), s.key.segment_no, reader.header().created_ns);
        let suffix = if s.key.compressed { ".zst" } else { "" };
        let path = dir.join(name + suffix);
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
        let mut h = Hasher::default();
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
