//! Finding a log's files: a directory listing filtered by name
//! (docs/FORMAT.md section 14a) and sorted in read order: segments by
//! number, each followed by the files salvaged from it, by offset. A
//! compressed segment (`<segment>.binlog.zst`) is its segment; where a
//! crash left both, the listing names the compressed one (it was verified
//! before it got its name).

use crate::error::{Error, ErrorKind, Result};
use crate::format::header::{SegmentHeader, FIXED_LEN};
use crate::format::naming::{self, ReadOrder};
use std::path::{Path, PathBuf};

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

/// Refuses log `name` in `dir` when the directory holds no file of it at
/// all: `any_file` (found by the caller's listing) is false and there is
/// no manifest either (docs/FORMAT.md section 14a, "A log that is not
/// there"), so that a misspelled name is an error, not an empty log.
pub fn require_log(dir: &Path, name: &str, any_file: bool) -> Result<()> {
    let manifest = naming::manifest_path(dir, name);
    // A manifest that cannot be looked at is not known to be missing.
    if any_file || manifest.try_exists().unwrap_or(true) {
        return Ok(());
    }
    Err(Error::file(
        ErrorKind::NotFound,
        dir,
        format!("no log '{name}' in this directory (no segment, salvaged file or manifest of it)"),
    ))
}

/// Every file of log `name` in `dir` in read order (see `read_cmp`):
/// its segments, each followed by the files salvaged from it.
pub fn list_files(dir: &Path, name: &str) -> Result<Vec<LogFile>> {
    let mut out: Vec<LogFile> = dir_entries(dir, "list log directory")?
        .into_iter()
        .filter_map(|(file_name, entry)| {
            let order = naming::parse_log_file_name(name, &file_name)?;
            Some(LogFile {
                order,
                path: entry.path(),
            })
        })
        .collect();
    let key = |f: &LogFile| (f.order, plain_path(&f.path).to_path_buf(), f.path.clone());
    out.sort_by_cached_key(key);
    // Sorted, a plain `.binlog` comes right before its `.binlog.zst`,
    // which takes its place.
    out.dedup_by(|later, earlier| {
        later.order == earlier.order && plain_path(&later.path) == plain_path(&earlier.path) && {
            std::mem::swap(later, earlier);
            true
        }
    });
    Ok(out)
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
    let order = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| naming::parse_log_file_name(name, n))
    };
    let remote = super::reader_tier::remote_order;
    match (remote(a), remote(b)) {
        (None, None) => (order(a), plain_path(a)).cmp(&(order(b), plain_path(b))),
        (ra, rb) => ra.or_else(|| order(a)).cmp(&rb.or_else(|| order(b))),
    }
}

/// The files salvaged from the segment at `segment` or from older segments
/// of its log, found beside it: what retention deletes with it.
pub fn salvaged_up_to(segment: &Path) -> Vec<PathBuf> {
    let Some((log, order)) = segment
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(naming::log_of_file_name)
    else {
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
    Error::file(
        ErrorKind::InvalidArgument,
        dir,
        "is not a directory (a log is a directory of segments)",
    )
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
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, doing, e))?;
        if let Ok(name) = entry.file_name().into_string() {
            out.push((name, entry));
        }
    }
    Ok(out)
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
    Err(Error::at(
        ErrorKind::WrongLog,
        path,
        FIXED_LEN as u64,
        format!(
            "a segment of log {:?}, not of log {name:?}",
            header.log_name
        ),
    ))
}

/// Refuses a file named as a file of log `name` that is not what its name
/// says: its header names another log (`check_log_name`), or another
/// segment number than its name (read in its name's place, its records
/// would be out of order).
pub fn check_file_name(path: &Path, header: &SegmentHeader, name: &str) -> Result<()> {
    check_log_name(path, header, name)?;
    let named = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| naming::parse_log_file_name(name, n));
    match named {
        Some(o) if o.segment_no != header.segment_no => Err(Error::at(
            ErrorKind::WrongLog,
            path,
            SEGMENT_NO_OFFSET,
            format!(
                "the header says segment {}, the file name segment {}",
                header.segment_no, o.segment_no
            ),
        )),
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
        .and_then(|n| n.to_str())
        .and_then(naming::split_salvaged);
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
    fn wildcards() {
        assert!(wildcard(b"test_*.events", b"test_2024.events"));
        assert!(wildcard(b"*", b""));
        assert!(wildcard(b"a?c*", b"abcdef"));
        assert!(!wildcard(b"test_*.events", b"test_2024.events.gz"));
        assert!(!wildcard(b"a?c", b"ac"));
    }
}
