//! Every log shipped under a prefix (`binlog remote ls s3://BUCKET/PREFIX`),
//! from paged listings and a few reads per log, never one request per
//! object: a prefix may hold hundreds of thousands of objects.
//!
//! A log is a directory of keys, at any depth under the prefix, whose
//! last part is a log's name and which holds segment objects; its other
//! objects (its claim, prune marker and pruners' claims) are known as
//! such, as `LogObject::of` reads their names (object_name.rs). Every
//! other key (a file someone put there, a name no shipper writes, a
//! segment object outside a log's directory) is an `UnknownObject`,
//! reported with why it is not a log's object, never read as one. The segment count and bytes come from the listing; the sequence
//! numbers and times from the seals of the first and last segment
//! objects that hold records (a suffix GET and a header GET each, as a
//! reader opens an object: its header is checked against its key). An
//! object that does not open as the segment its key names is reported
//! as unknown too, with the reason, and the next one is read instead.
//!
//! A merged read of logs in a bucket, and in a local directory too
//! (`open_merged`): each log whose name matches a pattern, found by one
//! listing of the prefix (no object read to find them), read by its own
//! `LogReader`: one only in the bucket from its objects, one only local
//! from its directory, one in both as one stream (`LogReader::open_tiered`).

use super::object_name::{LogObject, SegmentKey};
use super::remote::Remote;
use super::remote_log::RemoteLog;
use crate::error::{ErrorKind, Result};
use crate::log::{logs_in, no_log_matches, segments::wildcard, LogReader, MergedReader};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// One log found under the listed prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListedLog {
    /// Where its keys are: `<prefix>/<path>/<name>/` (ends in '/').
    pub key_prefix: String,
    /// Its path under the listed prefix: its name, after the
    /// directories between them if it is deeper (`host1/orders`).
    pub path: String,
    /// The log's name.
    pub name: String,
    /// Its segment objects (a salvaged file's too).
    pub segments: u64,
    /// Their bytes, as listed.
    pub bytes: u64,
    /// The first record's sequence number, `None` if no object read holds
    /// records.
    pub first_seq: Option<u64>,
    /// The last record's sequence number.
    pub last_seq: Option<u64>,
    /// The first record's timestamp (ns since the epoch, UTC).
    pub first_time_ns: Option<i64>,
    /// The last record's timestamp.
    pub last_time_ns: Option<i64>,
    /// Whether its claim object is there.
    pub claimed: bool,
}

/// An object under the prefix that is none of a log's objects, or a
/// segment object that does not read as the one its key names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownObject {
    /// Its full key.
    pub key: String,
    /// Its size, as listed.
    pub size: u64,
    /// Why it is not taken as a segment.
    pub why: String,
}

/// What `list_logs` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogListing {
    /// The logs, by path.
    pub logs: Vec<ListedLog>,
    /// The other objects, by key.
    pub unknown: Vec<UnknownObject>,
}

/// A log's keys as the listing gathers them.
#[derive(Default)]
struct Gathered {
    /// Each segment object's key (parsed and whole) and listed size.
    segments: Vec<(SegmentKey, String, u64)>,
    claimed: bool,
}

/// Every log under `remote`'s prefix (see the module doc), listed
/// `page_size` keys per request (the server's page if `None`).
pub fn list_logs(remote: &Arc<Remote>, page_size: Option<usize>) -> Result<LogListing> {
    let prefix = listed_prefix(remote);
    let (logs, unknown) = gather(remote, &prefix, page_size)?;
    let mut out = LogListing::default();
    for (path, mut g) in logs {
        g.segments.sort_by_key(|(k, _, _)| k.order());
        let listed = summarise(remote, &prefix, path, g, &mut out.unknown)?;
        // A directory of objects none of which reads as a segment, and
        // no claim, is no log: its objects are reported, it is not listed.
        if listed.segments > 0 || listed.claimed {
            out.logs.push(listed);
        }
    }
    out.unknown.extend(unknown);
    out.unknown.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

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
    // The logs directly under the prefix that hold segment objects, from
    // the listing alone: no object is read.
    let (logs, _) = gather(remote, &listed_prefix(remote), None)?;
    let matching = |p: &str| !p.contains('/') && wildcard(pattern.as_bytes(), p.as_bytes());
    let remote_names: BTreeSet<String> = logs
        .into_iter()
        .filter(|(p, g)| !g.segments.is_empty() && matching(p))
        .map(|(path, _)| path)
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

/// What every key under `remote`'s prefix starts with (`""`: the bucket).
fn listed_prefix(remote: &Remote) -> String {
    match remote.location().prefix.as_str() {
        "" => String::new(),
        p => format!("{p}/"),
    }
}

/// Every key under `prefix`, a page at a time: each log's keys by its
/// directory, and the objects that are no log's.
fn gather(
    remote: &Remote,
    prefix: &str,
    page_size: Option<usize>,
) -> Result<(BTreeMap<String, Gathered>, Vec<UnknownObject>)> {
    let mut logs: BTreeMap<String, Gathered> = BTreeMap::new();
    let mut unknown = Vec::new();
    let mut token = None;
    loop {
        let (objects, next) = remote.list_page(prefix, token.clone(), page_size)?;
        for o in objects {
            let key = format!("{prefix}{}", o.name);
            match classify(&o.name) {
                Ok((dir, object)) => {
                    let g = logs.entry(dir.to_string()).or_default();
                    match object {
                        LogObject::Segment(k) => g.segments.push((k, key, o.size)),
                        LogObject::Claim => g.claimed = true,
                        _ => {}
                    }
                }
                Err(why) => unknown.push(UnknownObject {
                    key,
                    size: o.size,
                    why: why.to_string(),
                }),
            }
        }
        // An empty token (some servers send the element empty on the last
        // page) ends the listing; one the server sent already would list
        // the same page forever.
        match next.filter(|t| !t.is_empty()) {
            Some(t) if token.as_ref() == Some(&t) => {
                let what = "list: the server sent the same continuation token twice";
                return Err(remote.object_error(prefix, ErrorKind::Remote, what));
            }
            Some(t) => token = Some(t),
            None => break,
        }
    }
    Ok((logs, unknown))
}

/// What the key `name` (relative to the listed prefix) is: an object of
/// the log at directory `dir`, or why it is none.
fn classify(name: &str) -> std::result::Result<(&str, LogObject), &'static str> {
    let Some((dir, file)) = name.rsplit_once('/') else {
        return Err("not in a log's directory");
    };
    let log = dir.rsplit('/').next().unwrap_or(dir);
    if crate::log::validate_name(log).is_err() {
        return Err("its directory is not named as a log");
    }
    match LogObject::of(file) {
        LogObject::Foreign => Err("not a segment object's name, nor another of a log's objects"),
        object => Ok((dir, object)),
    }
}

/// The log at `path` under `prefix`, gathered as `g`: its sequence
/// numbers and times read from its first and last segments with records;
/// objects that do not read as segments go to `unknown`.
fn summarise(
    remote: &Arc<Remote>,
    prefix: &str,
    path: String,
    g: Gathered,
    unknown: &mut Vec<UnknownObject>,
) -> Result<ListedLog> {
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    let log = RemoteLog::new(Arc::clone(remote), &name)?;
    let mut listed = ListedLog {
        key_prefix: format!("{prefix}{path}/"),
        path,
        name,
        segments: g.segments.len() as u64,
        bytes: g.segments.iter().map(|s| s.2).sum(),
        claimed: g.claimed,
        ..ListedLog::default()
    };
    let mut unreadable = Vec::new();
    let first = first_with_records(&log, g.segments.iter(), &mut unreadable)?;
    if let Some((i, seal)) = first {
        (listed.first_seq, listed.first_time_ns) = (Some(seal.first_seq), Some(seal.first_ts));
        let after = g.segments[i..].iter().rev();
        if let Some((_, seal)) = first_with_records(&log, after, &mut unreadable)? {
            (listed.last_seq, listed.last_time_ns) = (Some(seal.last_seq), Some(seal.last_ts));
        }
    }
    // An object that does not read as a segment is no segment of the
    // log: reported, never counted in its segments or bytes.
    for (key, why) in unreadable {
        let size = g.segments.iter().find(|s| s.1 == key).map_or(0, |s| s.2);
        listed.segments -= 1;
        listed.bytes -= size;
        unknown.push(UnknownObject { key, size, why });
    }
    Ok(listed)
}

/// Of `segments`, in the order given, the first whose seal says it holds
/// records: its place in that order and its seal. Objects that do not
/// open as the segment their key names are added to `unreadable` with
/// the reason; a failure to reach the bucket is the error.
fn first_with_records<'a>(
    log: &RemoteLog,
    segments: impl Iterator<Item = &'a (SegmentKey, String, u64)>,
    unreadable: &mut Vec<(String, String)>,
) -> Result<Option<(usize, crate::format::seal::SealDirectory)>> {
    for (i, (_, key, _)) in segments.enumerate() {
        if unreadable.iter().any(|(k, _)| k == key) {
            continue;
        }
        let seal = match log.open_reader(key, false) {
            Ok(r) => r.seal().cloned(),
            Err(e) if matches!(e.kind(), ErrorKind::Remote | ErrorKind::PermissionDenied) => {
                return Err(e)
            }
            Err(e) => {
                unreadable.push((key.clone(), e.detail().to_string()));
                continue;
            }
        };
        match seal {
            Some(s) if s.record_count > 0 => return Ok(Some((i, s))),
            Some(_) => {}
            None => unreadable.push((key.clone(), "not sealed".into())),
        }
    }
    Ok(None)
}
