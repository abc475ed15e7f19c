//! Which logs a merged read takes from a directory: every log there whose
//! name matches a pattern (`*` any run, `?` one character), each read by
//! its own `LogReader`.

use super::merged::MergedReader;
use super::reader::LogReader;
use super::segments::{dir_entries, wildcard};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
use std::collections::BTreeSet;
use std::path::Path;

/// The names of the logs in `dir` (those with a segment or salvaged file
/// there) that match `pattern`, sorted; `doing` names the listing in an
/// error.
pub(crate) fn log_names(dir: &Path, pattern: &str, doing: &str) -> Result<Vec<String>> {
    let names: BTreeSet<String> = dir_entries(dir, doing)?
        .iter()
        .filter_map(|(file, _)| naming::log_of_file_name(file))
        .map(|(log, _)| log)
        .filter(|log| wildcard(pattern.as_bytes(), log.as_bytes()))
        .collect();
    Ok(names.into_iter().collect())
}

impl MergedReader {
    /// Every log in `dir` whose name matches `pattern`, merged. None
    /// matching is `NotFound` naming `dir` and the pattern.
    pub fn open_dir(dir: impl AsRef<Path>, pattern: &str) -> Result<MergedReader> {
        let dir = dir.as_ref();
        let names = log_names(dir, pattern, "list directory")?;
        if names.is_empty() {
            return Err(no_log_matches(dir, pattern));
        }
        let logs = names
            .into_iter()
            .map(|name| LogReader::open(dir, &name).map(|r| (name, r)))
            .collect::<Result<Vec<_>>>()?;
        MergedReader::new(logs)
    }
}

/// The error of a merged read that finds no log matching `pattern` in
/// `place` (a directory, or a bucket's prefix).
pub(crate) fn no_log_matches(place: &Path, pattern: &str) -> Error {
    Error::file(
        ErrorKind::NotFound,
        place,
        format!("no log's name matches {pattern:?}"),
    )
}
