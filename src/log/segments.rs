//! Finding a log's segment files: a directory listing filtered by name and
//! sorted by segment number (which is also name order).

use super::naming;
use crate::error::{Error, ErrorKind, Result};
use crate::format::header::{SegmentHeader, FIXED_LEN};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentFile {
    pub segment_no: u64,
    pub path: PathBuf,
}

/// Every segment of log `name` in `dir`, oldest first.
pub fn list(dir: &Path, name: &str) -> Result<Vec<SegmentFile>> {
    let entries = std::fs::read_dir(dir).map_err(|e| dir_error(dir, "list log directory", e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "list log directory", e))?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if let Some(segment_no) = naming::parse_segment_name(name, file_name) {
            out.push(SegmentFile {
                segment_no,
                path: entry.path(),
            });
        }
    }
    // Two files of one number (only a failed roll of an older version left
    // that) come in name order too, not in the directory's.
    out.sort_by(|a, b| (a.segment_no, &a.path).cmp(&(b.segment_no, &b.path)));
    Ok(out)
}

/// A file where a log's directory is expected: the kind a directory where
/// a segment file is expected gets (`InvalidArgument`), not an I/O error.
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

/// Refuses a file named as a segment of log `name` whose header names
/// another log (a segment copied or renamed in): its records are not this
/// log's, and reading or appending after them would mix two logs. The log
/// name is the first field after the fixed header part. Public for tools
/// that read a log's segments one by one, to refuse what the log reader
/// and writer refuse, with the same error.
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

/// Files in `dir` whose names match `pattern` (`*` any run, `?` one
/// character), sorted by name: how shoebox's reader found its archives.
pub fn glob(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| dir_error(dir, "list directory", e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "list directory", e))?;
        let name = entry.file_name();
        if name
            .to_str()
            .is_some_and(|n| wildcard(pattern.as_bytes(), n.as_bytes()))
        {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn wildcard(p: &[u8], s: &[u8]) -> bool {
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
    fn wildcards() {
        assert!(wildcard(b"test_*.events", b"test_2024.events"));
        assert!(wildcard(b"*", b""));
        assert!(wildcard(b"a?c*", b"abcdef"));
        assert!(!wildcard(b"test_*.events", b"test_2024.events.gz"));
        assert!(!wildcard(b"a?c", b"ac"));
    }
}
