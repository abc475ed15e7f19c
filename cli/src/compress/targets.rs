//! Which files `binlog compress` converts: the files named, and in each
//! directory named its `*.binlog` files, in name order.

use crate::error::{CliError, CliResult};
use binlog::ErrorKind;
use std::path::PathBuf;

/// A file to convert; `in_dir` when it was found in a directory named
/// (one that is not to be converted yet is then skipped, not an error).
pub struct Target {
    pub path: PathBuf,
    pub in_dir: bool,
}

/// The files named, as they are.
pub fn named(paths: &[PathBuf]) -> Vec<Target> {
    let in_dir = false;
    let targets = paths.iter().cloned().map(|path| Target { path, in_dir });
    targets.collect()
}

pub fn segments(paths: &[PathBuf]) -> CliResult<Vec<Target>> {
    let mut files = Vec::new();
    for p in paths {
        if !p.is_dir() {
            files.extend(named(std::slice::from_ref(p)));
            continue;
        }
        let entries = std::fs::read_dir(p).map_err(|e| CliError::io_on(p.display(), e))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|x| x == "binlog") && f.is_file())
            .collect();
        found.sort();
        files.extend(found.into_iter().map(|path| Target { path, in_dir: true }));
    }
    Ok(files)
}

/// Segments a directory may hold that are not to be compressed (yet): the
/// one being written (a writer holds it) and unsealed ones.
pub fn skippable(t: &Target, e: &binlog::Error) -> bool {
    t.in_dir && matches!(e.kind(), ErrorKind::Locked | ErrorKind::InvalidArgument)
}
