//! Salvaged files (docs/FORMAT.md section 14a): a run of intact records
//! after damage in the middle of a segment, copied as the reader skipping
//! damage reads them into a sealed file of the segment's log,
//! `<segment stem>.salvaged-<offset>.binlog`, read right after the segment.
//! Made this one way by `binlog repair --salvage` and a log writer's
//! recovery alike.
//!
//! Crash safety: the copy is written to `<name>.tmp`, sealed, synced and
//! checked, then renamed and the directory synced, so that a file of that
//! name is always whole; a copy of the same run made before (a crash before
//! the caller cut the segment) is found again and not made twice.

use super::Writer;
use crate::error::{Error, ErrorKind, Result};
use crate::format::{header::SegmentHeader, naming};
use crate::reader::Reader;
use crate::writer::options::{Options, LARGEST_MAX_RECORD_SIZE};
use std::path::{Path, PathBuf};

/// The header parameter of a salvaged file that names the file name of
/// the segment it was salvaged from; and the one that gives the offset
/// there of the records copied.
pub const SALVAGED_FROM: &str = "salvaged-from";
pub const SALVAGED_OFFSET: &str = "salvaged-offset";

/// Consecutive intact records of a segment, at offsets `[start, end)`,
/// numbered `first_seq..first_seq + count` without a gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub start: u64,
    pub end: u64,
    pub first_seq: u64,
    pub count: u64,
}

/// What `salvage_run` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Salvaged {
    /// The salvaged file.
    pub path: PathBuf,
    /// Made before, by an earlier salvage of the same run: not made again.
    pub earlier: bool,
    /// The ids of the types whose names were lost (defined only in damaged
    /// bytes), copied under `lost_type_name`; and how many records had one.
    pub lost_type_ids: Vec<u32>,
    pub lost_type_records: u64,
}

/// The options of a file written with records of the segment whose header
/// is `header` (none: it is lost): its log, content type, parameters,
/// usable schemas, segment number and creation time, and as its writer
/// this library's, `made_by` saying what for.
pub(crate) fn options_like(header: Option<&SegmentHeader>, made_by: &str) -> Options {
    let opts = Options {
        writer_version: format!("{} ({made_by})", crate::version::WRITER),
        ..Options::default()
    };
    let Some(h) = header else { return opts };
    Options {
        log_name: h.log_name.clone(),
        content_type: h.content_type.clone(),
        params: h.params.clone(),
        schemas: crate::format::schema::usable(&h.schemas),
        segment_no: h.segment_no,
        created_ns: Some(h.created_ns),
        ..opts
    }
}

/// The name a record of a type whose name is lost (its id `id`) is copied
/// under, and what the `binlog` tool calls such a type: `unknown-type-<id>`.
pub fn lost_type_name(id: u32) -> String {
    format!("unknown-type-{id}")
}

/// The runs of intact records of the segment at `path` from offset `from`
/// on, as the reader skipping damage reads them: a damaged region it
/// skipped, or a jump in sequence numbers, ends a run.
pub fn runs_from(path: &Path, from: u64) -> Result<Vec<Run>> {
    let mut r = Reader::open_salvage(path)?;
    let mut runs: Vec<Run> = Vec::new();
    let mut damages = 0;
    loop {
        let Some((offset, end, seq)) = r.next()?.map(|x| (x.offset, x.offset + x.frame_len, x.seq))
        else {
            return Ok(runs);
        };
        let skipped = std::mem::replace(&mut damages, r.damages().len()) != damages;
        if offset < from {
            continue;
        }
        match runs.last_mut() {
            Some(run) if !skipped && run.first_seq + run.count == seq => {
                run.count += 1;
                run.end = end;
            }
            _ => runs.push(Run {
                start: offset,
                end,
                first_seq: seq,
                count: 1,
            }),
        }
    }
}

/// Copies the records of `run` of the segment at `segment` into a sealed
/// salvaged file (unless one made before holds them), with their sequence
/// numbers, timestamps, types (a lost name as `lost_type_name`) and
/// metadata. `origin` gives the copy's header fields; the run's first
/// number and `salvaged-from` and `salvaged-offset` are added. On return
/// the file and its name are durable: the caller may cut the segment.
pub fn salvage_run(segment: &Path, origin: Options, run: &Run) -> Result<Salvaged> {
    if let Some(path) = made_before(segment, run) {
        return Ok(Salvaged {
            path,
            earlier: true,
            ..Salvaged::default()
        });
    }
    let to = free_name(segment, run.start);
    // Where the copy is written first.
    let tmp = crate::sys::with_suffix(&to, ".tmp");
    // What a crash left while writing a copy: never a file of the log.
    crate::sys::remove_if_there(&tmp, "remove a stale temporary copy")?;
    let mut done = copy(segment, &tmp, origin, run)?;
    check_copy(&tmp, run)?;
    publish(&tmp, &to)?;
    done.path = to;
    Ok(done)
}

/// Writes the records of `run` into a new segment at `tmp`, sealed, with
/// `origin`'s header fields, the run's first number, and where it comes
/// from.
fn copy(segment: &Path, tmp: &Path, origin: Options, run: &Run) -> Result<Salvaged> {
    let mut opts = Options {
        first_seq: run.first_seq,
        max_record_size: LARGEST_MAX_RECORD_SIZE,
        ..origin
    };
    opts.params.push((SALVAGED_FROM.into(), file_name(segment)));
    opts.params
        .push((SALVAGED_OFFSET.into(), run.start.to_string()));
    let writer = Writer::open(tmp, opts)?;
    // Its path is the one the caller renames it to.
    let mut done = Salvaged::default();
    let mut r = Reader::open_salvage(segment)?;
    let end = run.first_seq + run.count;
    let mut expected = run.first_seq;
    while let Some(rec) = r.next()? {
        if rec.offset < run.start || rec.seq < run.first_seq {
            continue;
        }
        if rec.offset >= run.end || rec.seq >= end {
            break;
        }
        if rec.seq != expected {
            let why = "the record changed while being salvaged";
            return Err(Error::at(ErrorKind::Corrupt, segment, rec.offset, why));
        }
        let name = match rec.lost_type_id() {
            Some(id) => {
                done.lost_type_records += 1;
                if !done.lost_type_ids.contains(&id) {
                    done.lost_type_ids.push(id);
                }
                lost_type_name(id)
            }
            None => rec.type_name.to_string(),
        };
        let meta: Vec<(&str, &str)> = rec.metadata().collect();
        let got = writer.write_with(&name, &meta, Some(rec.timestamp_ns), rec.payload)?;
        if got != expected {
            let why = format!("salvage got seq {got}, expected {expected}");
            return Err(Error::file(ErrorKind::Io, tmp, why));
        }
        expected += 1;
    }
    writer.close()?;
    Ok(done)
}

/// Reads the copy back before anything is cut: it must be sealed and hold
/// the run's records, numbered as they were.
fn check_copy(tmp: &Path, run: &Run) -> Result<()> {
    let mut r = Reader::open(tmp)?;
    let mut n = 0u64;
    let mut last = None;
    while let Some(rec) = r.next()? {
        n += 1;
        last = Some(rec.seq);
    }
    if n != run.count || last != Some(run.first_seq + run.count - 1) || r.seal().is_none() {
        let want = run.count;
        let why = format!("the copy holds {n} records, {want} were expected; nothing was cut");
        return Err(Error::file(ErrorKind::Io, tmp, why));
    }
    Ok(())
}

/// Syncs the copy, renames it to `to`, and syncs the directory: its name
/// is durable before the segment is cut at the damage.
fn publish(tmp: &Path, to: &Path) -> Result<()> {
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(tmp, "sync the salvaged copy", e))?;
    std::fs::rename(tmp, to).map_err(|e| Error::io(to, "rename the salvaged copy", e))?;
    crate::sys::sync_parent(to)
}

/// A salvaged file made before from the same run of `segment` (a rerun
/// after a crash between the copy's rename and the cut, or a repeated
/// `--salvage` of a file whose header stays unreadable): its header names
/// the segment and the run's offset, and its seal the run's records.
fn made_before(segment: &Path, run: &Run) -> Option<PathBuf> {
    let name = file_name(segment);
    let prefix = format!("{}.salvaged-{}", naming::stem(&name), run.start);
    let offset = run.start.to_string();
    let entries = std::fs::read_dir(crate::sys::parent_dir(segment)).ok()?;
    entries.flatten().map(|e| e.path()).find(|p| {
        let file = p.file_name().and_then(|n| n.to_str());
        if !file.is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".binlog")) {
            return false;
        }
        let Ok(r) = Reader::open(p) else { return false };
        let param = |k: &str| {
            r.header()
                .params
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.as_str())
        };
        param(SALVAGED_FROM) == Some(name.as_str())
            && param(SALVAGED_OFFSET) == Some(offset.as_str())
            && r.seal()
                .is_some_and(|d| d.record_count == run.count && d.first_seq == run.first_seq)
    })
}

/// Where a salvage of the records at `offset` of `segment` writes them:
/// `<dir>/<stem>.salvaged-<offset>[.<n>].binlog`, the first name not
/// taken (`naming::salvaged_name`).
pub fn free_name(segment: &Path, offset: u64) -> PathBuf {
    let name = file_name(segment);
    let dir = crate::sys::parent_dir(segment);
    (0..)
        .map(|n| dir.join(naming::salvaged_name(&name, offset, n)))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .expect("a free name")
}

/// The file name of `path`, lossily as text ("" for none).
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
