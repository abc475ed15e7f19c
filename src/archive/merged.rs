//! A merged read of logs in a bucket, and in a local directory too
//! (`open_merged`): each log whose name matches a pattern, found by one
//! listing of the prefix (no object read to find them), read by its own
//! `LogReader`: one only in the bucket from its objects, one only local
//! from its directory, one in both as one stream (`LogReader::open_tiered`).

use super::list_logs::log_paths;
use super::remote::Remote;
use super::remote_log::RemoteLog;
use crate::error::Result;
use crate::log::{logs_in, no_log_matches, segments::wildcard, LogReader, MergedReader};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// Every log directly under `remote`'s prefix (`<prefix>/<log>/...`)
/// whose name matches `pattern` (`*` any run, `?` one character), and
/// every one in `dir` if given, merged (`MergedReader`); a log found in
/// both is read from both, its local files first where they hold a
/// segment. None matching is `NotFound` naming the prefix.
pub fn open_merged(
    dir: Option<&Path>,
    remote: &Arc<Remote>,
    pattern: &str,
) -> Result<MergedReader> {
    let remote_names: BTreeSet<String> = log_paths(remote)?
        .into_iter()
        .filter(|p| !p.contains('/') && wildcard(pattern.as_bytes(), p.as_bytes()))
        .collect();
    let local_names: BTreeSet<String> = match dir {
        Some(d) => logs_in(d, pattern, "list directory")?.into_keys().collect(),
        None => BTreeSet::new(),
    };
    if remote_names.is_empty() && local_names.is_empty() {
        let url = remote.location().url_of(&remote.location().prefix);
        return Err(no_log_matches(Path::new(&url), pattern));
    }
    let mut logs = Vec::new();
    for name in remote_names.union(&local_names) {
        let reader = match (dir, remote_names.contains(name)) {
            (Some(d), true) if local_names.contains(name) => {
                LogReader::open_tiered(d, name, RemoteLog::new(Arc::clone(remote), name)?)?
            }
            (Some(d), false) => LogReader::open(d, name)?,
            _ => LogReader::open_remote(RemoteLog::new(Arc::clone(remote), name)?)?,
        };
        logs.push((name.clone(), reader));
    }
    MergedReader::new(logs)
}
