//! `tail -f` on a log or segment that is not there yet waits for it to
//! appear, as `tail -F` does: a missing segment file or directory, an
//! empty segment file (created, its header not written yet), a directory
//! that holds no log yet (with `--log`, not that log: `paths::scan_dir`).

use crate::error::CliResult;
use crate::paths;
use std::path::Path;
use std::time::Duration;

/// Returns once `path` (with `--log`, `log`) holds something to follow;
/// says once on standard error what it waits for. True if it was not
/// there at first: then every record it gets is to be followed, from the
/// first, and what it got meanwhile too (the line on standard error comes
/// after that was decided).
pub fn wait_until_there(path: &Path, log: Option<&str>, poll: Duration) -> CliResult<bool> {
    let mut said = false;
    while let Some(what) = missing(path, log)? {
        if !said {
            eprintln!("binlog: {}: {what}; waiting for it", paths::show(path));
            said = true;
        }
        std::thread::sleep(poll);
    }
    Ok(said)
}

/// What is missing for `path` to be followed, if anything.
fn missing(path: &Path, log: Option<&str>) -> CliResult<Option<&'static str>> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(Some("does not exist yet"));
    };
    if !meta.is_dir() {
        let empty = paths::is_empty(path);
        return Ok(empty.then_some("empty: its header is not written yet"));
    }
    // What `tail` then resolves the path to (`paths::resolve`): with
    // `--log`, that log's segments.
    let sources = paths::scan_dir(path, log)?;
    let what = match log {
        Some(_) => "holds no segment of the log yet",
        None => "holds no log yet",
    };
    Ok(sources.is_empty().then_some(what))
}
