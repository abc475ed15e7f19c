//! A log directory's files, the one listing of them: a directory listing
//! filtered by name (docs/FORMAT.md section 14a) and sorted in read order:
//! segments by number, each followed by the files salvaged from it, by
//! offset. A compressed segment (`<segment>.binlog.zst`) is its segment;
//! where a crash left both, the listing names the compressed one (it was
//! verified before it got its name). Also: the logs a directory holds
//! (`logs_in`, the one rule of it), the files of a pattern (`glob`), each
//! file with its state for uploaders and tools (`list_segments`), and
//! whether a listing is still current (`ListingStamp`).
//!
//! Whether a listing is still current is told from one `stat` of the
//! directory, so that a follower at the end of a log does not read the
//! whole directory on every poll (docs/PERFORMANCE.md, h). Creating,
//! removing or renaming an entry sets the directory's mtime, from a clock
//! that ticks every few milliseconds: a listing counts as current only if
//! it was begun `SETTLED` or more after the mtime it saw, and never once
//! older than `MAX_AGE` (a wall clock stepped back could make an old
//! mtime look settled).

use super::options::validate_name;
use crate::error::{Error, ErrorKind, Result};
use crate::format::header::{SegmentHeader, FIXED_LEN};
use crate::format::naming::{self, ReadOrder};
use crate::reader::{Reader, Tail};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentFile {
    pub segment_no: u64,
    pub path: PathBuf,
}

/// A file of a log: one of its segments, or a file `binlog repair
/// --salvage` copied records of one into (read right after it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFile {
    pub order: ReadOrder,
    pub path: PathBuf,
}

/// Every segment of log `name` in `dir`, oldest first: the files a
/// writer of the log numbers after and seals (never a salvaged file).
pub fn list(dir: &Path, name: &str) -> Result<Vec<SegmentFile>> {
    Ok(list_files(dir, name)?
        .into_iter()
        .filter(|f| f.order.salvaged.is_none())
        .map(|f| SegmentFile {
            segment_no: f.order.segment_no,
            path: f.path,
        })
        .collect())
}

/// Refuses log `name` in `dir` when the directory does not hold it
/// (`logs_in`): `any_file` (found by the caller's listing, a bucket's
/// objects included) is false and no file there makes it a log either
/// (docs/FORMAT.md section 14a, "A log that is not there"), so that a
/// misspelled name is an error, not an empty log.
pub fn require_log(dir: &Path, name: &str, any_file: bool) -> Result<()> {
    if any_file || logs_in(dir, name, "list log directory")?.contains_key(name) {
        return Ok(());
    }
    let why =
        format!("no log '{name}' in this directory (no segment, salvaged file or manifest of it)");
    Err(Error::file(ErrorKind::NotFound, dir, why))
}

/// Every file of log `name` in `dir` in read order (see `read_cmp`):
/// its segments, each followed by the files salvaged from it.
pub fn list_files(dir: &Path, name: &str) -> Result<Vec<LogFile>> {
    let mut logs = logs_in(dir, name, "list log directory")?;
    Ok(logs.remove(name).unwrap_or_default())
}

/// The logs `dir` holds whose names match `pattern` (`*` any run, `?` one
/// character), by name, each with its files in read order (see
/// `read_cmp`). The one rule of what makes a directory hold a log, which
/// every reader, listing and tool goes by (docs/FORMAT.md section 14a, "A
/// log that is not there"): a file of it there, a segment (plain or
/// compressed), a file salvaged from one, or its manifest. A log whose
/// every segment retention or a shipper removed is there, with no file.
/// `doing` names the listing in an error.
pub fn logs_in(dir: &Path, pattern: &str, doing: &str) -> Result<BTreeMap<String, Vec<LogFile>>> {
    let mut logs: BTreeMap<String, Vec<LogFile>> = BTreeMap::new();
    for (file_name, entry) in dir_entries(dir, doing)? {
        let (log, order) = match naming::log_of_file_name(&file_name) {
            Some((log, order)) => (log, Some(order)),
            None => match file_name.strip_suffix(".manifest") {
                Some(log) if validate_name(log).is_ok() => (log.to_string(), None),
                _ => continue,
            },
        };
        if wildcard(pattern.as_bytes(), log.as_bytes()) {
            let path = entry.path();
            let files = logs.entry(log).or_default();
            files.extend(order.map(|order| LogFile { order, path }));
        }
    }
    for files in logs.values_mut() {
        // A compressed segment first, where a crash left its plain file
        // too, which goes.
        let zst_first = |f: &LogFile| !naming::is_compressed_path(&f.path);
        files.sort_by_cached_key(|f| (f.order, plain_path(&f.path).to_path_buf(), zst_first(f)));
        files.dedup_by(|b, a| a.order == b.order && plain_path(&a.path) == plain_path(&b.path));
    }
    Ok(logs)
}

/// `path` without the `.zst` of a compressed segment: the path of the
/// segment it holds.
pub fn plain_path(path: &Path) -> &Path {
    path.to_str()
        .map_or(path, |p| Path::new(naming::plain_name(p)))
}

/// How two files of log `name` compare in read order, as `list_files`
/// sorts them: by `ReadOrder`, then by name; a compressed segment and its
/// plain file are equal, and so are a segment and its object (`s3://`).
pub fn read_cmp(name: &str, a: &Path, b: &Path) -> std::cmp::Ordering {
    let order = |p: &Path| order_by_name(name, p);
    let remote = naming::remote_order;
    match (remote(a), remote(b)) {
        (None, None) => (order(a), plain_path(a)).cmp(&(order(b), plain_path(b))),
        (ra, rb) => ra.or_else(|| order(a)).cmp(&rb.or_else(|| order(b))),
    }
}

/// Where the file at `path` is in log `name`'s read order, by its name.
fn order_by_name(name: &str, path: &Path) -> Option<ReadOrder> {
    naming::parse_log_file_name(name, path.file_name()?.to_str()?)
}

/// The files salvaged from the segment at `segment` or from older segments
/// of its log, found beside it: what retention deletes with it.
pub fn salvaged_up_to(segment: &Path) -> Vec<PathBuf> {
    let of_log = || naming::log_of_file_name(segment.file_name()?.to_str()?);
    let Some((log, order)) = of_log() else {
        return Vec::new();
    };
    list_files(crate::sys::parent_dir(segment), &log)
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.order.salvaged.is_some() && f.order.segment_no <= order.segment_no)
        .map(|f| f.path)
        .collect()
}

/// A file where a log's directory is expected: `InvalidArgument`, not an
/// I/O error.
pub fn not_a_directory(dir: &Path) -> Error {
    Error::invalid("is not a directory (a log is a directory of segments)").in_file(dir)
}

/// An error listing or creating `dir`: ENOTDIR (it, or a parent, is a
/// file) is `not_a_directory`.
pub fn dir_error(dir: &Path, doing: &str, e: std::io::Error) -> Error {
    if crate::sys::is_not_a_directory(&e) {
        not_a_directory(dir)
    } else {
        Error::io(dir, doing, e)
    }
}

/// The entries of `dir` whose names are UTF-8 (no file of a log has
/// another name), with those names; `doing` names the listing in an error.
pub fn dir_entries(dir: &Path, doing: &str) -> Result<Vec<(String, std::fs::DirEntry)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| dir_error(dir, doing, e))?;
    let named = |e: std::fs::DirEntry| Some((e.file_name().into_string().ok()?, e));
    let checked = entries.map(|e| e.map_err(|e| Error::io(dir, doing, e)));
    checked.filter_map(|e| e.map(named).transpose()).collect()
}

/// Whether `e`, met opening a log's file, says that it holds no record
/// yet: the file is the log's `newest` and ends inside its segment header
/// (`Truncated`, an empty file included), which a writer creating the
/// segment writes next (docs/FORMAT.md section 3). Anywhere else such a
/// file is damage.
pub fn not_written_yet(e: &Error, newest: bool) -> bool {
    newest && e.kind() == ErrorKind::Truncated
}

/// Refuses a file named as a segment of log `name` whose header names
/// another log (a segment copied or renamed in): reading or appending
/// after it would mix two logs. The log name is the first field after the
/// fixed header part.
pub fn check_log_name(path: &Path, header: &SegmentHeader, name: &str) -> Result<()> {
    if header.log_name == name {
        return Ok(());
    }
    let other = &header.log_name;
    let why = format!("a segment of log {other:?}, not of log {name:?}");
    Err(Error::at(ErrorKind::WrongLog, path, FIXED_LEN as u64, why))
}

/// Refuses a file named as a file of log `name` that is not what its name
/// says: its header names another log (`check_log_name`), or another
/// segment number than its name (read in its name's place, its records
/// would be out of order).
pub fn check_file_name(path: &Path, header: &SegmentHeader, name: &str) -> Result<()> {
    check_log_name(path, header, name)?;
    match order_by_name(name, path) {
        Some(o) if o.segment_no != header.segment_no => {
            let (said, by_name) = (header.segment_no, o.segment_no);
            let why = format!("the header says segment {said}, the file name segment {by_name}");
            Err(Error::at(ErrorKind::WrongLog, path, SEGMENT_NO_OFFSET, why))
        }
        _ => Ok(()),
    }
}

/// Where a segment header holds the segment number (docs/FORMAT.md
/// section 5).
const SEGMENT_NO_OFFSET: u64 = 24;

/// Files in `dir` whose names match `pattern` (`*` any run, `?` one
/// character), sorted by name, except that files salvaged from one segment
/// sort by their offsets' numbers (`name_order`).
pub fn glob(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = dir_entries(dir, "list directory")?
        .into_iter()
        .filter(|(name, _)| wildcard(pattern.as_bytes(), name.as_bytes()))
        .map(|(_, entry)| entry.path())
        .collect();
    out.sort_by_cached_key(|p| name_order(p));
    Ok(out)
}

/// The name `path` sorts by among files named by a pattern: its own, but
/// for a salvaged file, with its offset and copy number zero-padded, so
/// that name order is the log's read order.
fn name_order(path: &Path) -> PathBuf {
    let salvaged = path
        .file_name()
        .and_then(|n| naming::split_salvaged(n.to_str()?));
    match salvaged {
        Some((origin, (offset, copy))) => {
            let stem = origin.strip_suffix(naming::SUFFIX).unwrap_or(&origin);
            path.with_file_name(format!("{stem}.salvaged-{offset:020}.{copy:020}"))
        }
        None => path.to_path_buf(),
    }
}

pub(crate) fn wildcard(p: &[u8], s: &[u8]) -> bool {
    // Iterative matcher with backtracking to the last `*`.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Longer than the coarsest kernel clock tick (10 ms at HZ=100), twice.
const SETTLED: Duration = Duration::from_millis(20);

/// The longest a listing is used without reading the directory again.
const MAX_AGE: Duration = Duration::from_secs(1);

/// The directory as a listing about to be made sees it.
#[derive(Clone, Debug)]
pub struct ListingStamp {
    dev: u64,
    ino: u64,
    mtime: (i64, i64),
    /// Taken before the directory's mtime was read.
    begun_wall: SystemTime,
    begun: Instant,
}

impl ListingStamp {
    /// Stamps a listing of `dir` that the caller makes right after this
    /// returns; `None` if the directory cannot be read.
    pub fn before_listing(dir: &Path) -> Option<ListingStamp> {
        let begun_wall = SystemTime::now();
        let begun = Instant::now();
        let m = std::fs::metadata(dir).ok()?;
        Some(ListingStamp {
            dev: m.dev(),
            ino: m.ino(),
            mtime: (m.mtime(), m.mtime_nsec()),
            begun_wall,
            begun,
        })
    }

    /// Whether the listing made after this stamp still names every entry
    /// of `dir`: the directory has not changed since, and the listing was
    /// begun long enough after its last change.
    pub fn still_current(&self, dir: &Path) -> bool {
        let unchanged = |m: std::fs::Metadata| {
            let now = (m.dev(), m.ino(), (m.mtime(), m.mtime_nsec()));
            let changed = m.modified().ok();
            let settled = changed.and_then(|t| self.begun_wall.duration_since(t).ok());
            now == (self.dev, self.ino, self.mtime) && settled.is_some_and(|s| s >= SETTLED)
        };
        self.begun.elapsed() < MAX_AGE && std::fs::metadata(dir).is_ok_and(unchanged)
    }
}

/// Where a log's file is in its one-way lifecycle (docs/FORMAT.md
/// section 14a, Rolling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentState {
    /// No seal: being written, or its writer stopped between records.
    Active,
    /// Its records are closed by a `SEAL_BEGIN` frame and the rest of the
    /// seal is not written (yet): no record is added any more.
    Ending,
    /// Sealed (its seal trailer is whole): it never changes again.
    Sealed,
    /// Its header cannot be read (damaged, not a segment, or cut short in
    /// an older segment); `first_seq` and `last_seq` are unknown.
    Unreadable,
}

/// One file of a log, as [`list_segments`] found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedSegment {
    /// The file.
    pub path: PathBuf,
    /// Its segment number (a salvaged file's is its segment's).
    pub segment_no: u64,
    /// For a file `binlog repair --salvage` made: the offset in its segment
    /// the records it holds were copied from.
    pub salvaged_offset: Option<u64>,
    /// What state the file is in.
    pub state: SegmentState,
    /// The first record's sequence number, from the header (also of a
    /// segment that holds no record yet: the number its first will carry).
    pub first_seq: Option<u64>,
    /// The last record's sequence number, once the records are closed
    /// (`Sealed` or `Ending`) and there is one; `None` while `Active`.
    pub last_seq: Option<u64>,
    /// The file's size in bytes when listed (of a compressed segment: its
    /// compressed size, what it takes on disk).
    pub bytes: u64,
    /// For a compressed segment (`<segment>.binlog.zst`, always sealed):
    /// the size of the segment it holds, once its seek table was read;
    /// `None` for a plain file.
    pub original_bytes: Option<u64>,
}

impl ListedSegment {
    /// For a salvaged file: the offset and copy number its name carries
    /// (`naming::salvaged_name`), where it stands after its segment.
    #[cfg(feature = "s3")]
    pub(crate) fn salvaged_order(&self) -> Option<(u64, u64)> {
        self.salvaged_offset?;
        let name = self.path.file_name()?.to_str()?;
        naming::split_salvaged(name).map(|(_, at)| at)
    }

    /// Whether the file is a compressed segment (its name ends in
    /// `.binlog.zst`).
    pub fn is_compressed(&self) -> bool {
        naming::is_compressed_path(&self.path)
    }
}

/// Every file of log `name` in `dir` in read order, with its state. A
/// sealed segment costs reading its header and seal; one without a seal is
/// read to its end to tell `Ending` from `Active`. A file removed while
/// listing is left out. A live log may roll or seal meanwhile.
pub fn list_segments(dir: impl AsRef<Path>, name: &str) -> Result<Vec<ListedSegment>> {
    super::options::validate_name(name)?;
    let mut out = Vec::new();
    // The last file found cut short inside its header.
    let mut cut_short = None;
    for f in list_files(dir.as_ref(), name)? {
        let bytes = match std::fs::metadata(&f.path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(crate::error::Error::io(&f.path, "stat", e)),
        };
        let mut listed = ListedSegment {
            path: f.path,
            segment_no: f.order.segment_no,
            salvaged_offset: f.order.salvaged.map(|(offset, _)| offset),
            state: SegmentState::Unreadable,
            first_seq: None,
            last_seq: None,
            bytes,
            original_bytes: None,
        };
        match Reader::open(&listed.path) {
            Ok(r) => describe(r, &mut listed),
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) if e.kind() == ErrorKind::Truncated && !listed.is_compressed() => {
                cut_short = Some(out.len())
            }
            Err(_) => {}
        }
        out.push(listed);
    }
    // The newest segment of a live log may be caught between its creation
    // and its header write: being created, it is `Active`, not unreadable.
    let newest = out.iter().rposition(|l| l.salvaged_offset.is_none());
    if let Some(i) = cut_short.filter(|&i| Some(i) == newest) {
        out[i].state = SegmentState::Active;
    }
    Ok(out)
}

/// Fills in `l`'s state and sequence numbers from the reader of its file,
/// and a compressed segment's original size (no record is decompressed).
fn describe(mut r: Reader, l: &mut ListedSegment) {
    let first = r.header().first_seq;
    l.first_seq = Some(first);
    l.original_bytes = l.is_compressed().then(|| r.file_len());
    if let Some(d) = r.seal() {
        l.state = SegmentState::Sealed;
        l.last_seq = (d.record_count > 0).then_some(d.last_seq);
        return;
    }
    // No usable seal: read to the end to find how the records end.
    r.skip_damaged(true);
    while let Ok(Some(_)) = r.next() {}
    let closed = |n: u64| (n > first).then(|| n - 1);
    l.state = if r.has_seal_trailer() {
        SegmentState::Sealed
    } else if matches!(r.tail(), Tail::SealDamaged { .. }) {
        SegmentState::Ending
    } else {
        SegmentState::Active
    };
    if l.state != SegmentState::Active {
        l.last_seq = closed(r.next_seq());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_reads_salvaged_files_by_offset_after_their_segment() {
        let seg = naming::segment_name("x", 3, 0);
        let salvaged = |off| PathBuf::from(naming::salvaged_name(&seg, off, 0));
        let next = PathBuf::from(naming::segment_name("x", 4, 0));
        let mut v = vec![
            next.clone(),
            salvaged(964),
            salvaged(10060),
            PathBuf::from(&seg),
        ];
        v.sort_by_cached_key(|p| name_order(p));
        let want = [PathBuf::from(&seg), salvaged(964), salvaged(10060), next];
        assert_eq!(v, want);
    }

    #[test]
    #[cfg_attr(miri, ignore)] // Real directories: Miri isolates the filesystem.
    fn a_directory_holds_the_logs_it_has_a_segment_salvaged_file_or_manifest_of() {
        let d = crate::sys::scratch::empty_dir("logs-in");
        let a = naming::segment_name("a", 3, 0);
        let b = naming::salvaged_name(&naming::segment_name("b", 1, 0), 7, 0);
        let others = ["d.lock", "d.ship", "e.consumer", ".f.manifest"];
        for f in [&*a, &b, "c.manifest", "g.manifest.tmp"]
            .into_iter()
            .chain(others)
        {
            std::fs::write(d.join(f), b"").unwrap();
        }
        let file = |order, name: &str| {
            vec![LogFile {
                order,
                path: d.join(name),
            }]
        };
        let want = BTreeMap::from([
            ("a".to_string(), file(ReadOrder::new(3, None), &a)),
            ("b".to_string(), file(ReadOrder::new(1, Some((7, 0))), &b)),
            ("c".to_string(), vec![]),
        ]);
        assert_eq!(logs_in(&d, "*", "list").unwrap(), want);
        assert_eq!(logs_in(&d, "c*", "list").unwrap().len(), 1);
        require_log(&d, "c", false).unwrap();
        let e = require_log(&d, "d", false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"test_*.events", b"test_2024.events"));
        assert!(wildcard(b"*", b""));
        assert!(wildcard(b"a?c*", b"abcdef"));
        assert!(!wildcard(b"test_*.events", b"test_2024.events.gz"));
        assert!(!wildcard(b"a?c", b"ac"));
    }

    /// Sets the directory's mtime `ago` before now (negative: ahead).
    fn set_mtime(d: &Path, ago: Duration, ahead: bool) {
        let now = SystemTime::now();
        let t = if ahead { now + ago } else { now - ago };
        std::fs::File::open(d).unwrap().set_modified(t).unwrap();
    }

    #[test]
    // Real directories and modification times: Miri isolates the
    // filesystem.
    #[cfg_attr(miri, ignore)]
    fn a_listing_begun_within_settled_of_a_change_is_not_trusted() {
        let d = crate::sys::scratch::empty_dir("listing-fresh");
        // A change 5 ms before the listing (not settled; tried again when
        // this thread was held up past SETTLED between the two), and one
        // stamped after it (a clock that went back).
        let unsettled = (0..100)
            .find_map(|_| {
                set_mtime(&d, Duration::from_millis(5), false);
                let stamp = ListingStamp::before_listing(&d).unwrap();
                let changed = std::fs::metadata(&d).unwrap().modified().unwrap();
                let gap = stamp.begun_wall.duration_since(changed).unwrap();
                (gap < SETTLED).then_some(stamp)
            })
            .expect("a listing stamped within SETTLED of a change, once in 100 tries");
        assert!(!unsettled.still_current(&d));
        set_mtime(&d, Duration::from_secs(1), true);
        assert!(!ListingStamp::before_listing(&d).unwrap().still_current(&d));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    // Real directories and modification times: Miri isolates the
    // filesystem.
    #[cfg_attr(miri, ignore)]
    fn a_settled_listing_is_trusted_until_an_entry_changes() {
        let d = crate::sys::scratch::empty_dir("listing-settled");
        std::fs::write(d.join("a"), b"").unwrap();
        set_mtime(&d, Duration::from_secs(1), false);
        let s = ListingStamp::before_listing(&d).unwrap();
        assert!(s.still_current(&d));
        // Writing into an entry is not a change of the directory.
        std::fs::write(d.join("a"), b"data").unwrap();
        assert!(s.still_current(&d));
        std::fs::write(d.join("b"), b"").unwrap();
        assert!(!s.still_current(&d), "an entry was created");
        let s = {
            set_mtime(&d, Duration::from_secs(1), false);
            ListingStamp::before_listing(&d).unwrap()
        };
        std::fs::remove_file(d.join("b")).unwrap();
        assert!(!s.still_current(&d), "an entry was removed");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    // Real directories and modification times: Miri isolates the
    // filesystem.
    #[cfg_attr(miri, ignore)]
    fn a_removed_or_replaced_directory_is_a_change() {
        let d = crate::sys::scratch::empty_dir("listing-gone");
        set_mtime(&d, Duration::from_secs(1), false);
        let s = ListingStamp::before_listing(&d).unwrap();
        assert!(s.still_current(&d));
        std::fs::remove_dir_all(&d).unwrap();
        assert!(!s.still_current(&d));
        std::fs::create_dir_all(&d).unwrap();
        set_mtime(&d, Duration::from_secs(1), false);
        assert!(!s.still_current(&d), "another directory of that name");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
