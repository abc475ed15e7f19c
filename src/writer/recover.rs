//! Opening a segment for writing: a new one gets its header; an existing one
//! is verified by a full scan, which also rebuilds the index. A torn tail is
//! copied to `<segment>.corrupt-<offset>` and then cut off. Corruption in
//! the middle of a standalone segment is refused (a cut would take the
//! valid records after it); in an unsealed segment of a log those records
//! are first copied into salvaged files (`salvage`), then the damage is cut
//! like a torn tail, and the log goes on above every number the cut bytes
//! hold (docs/FORMAT.md section 12). A standalone segment's seal is removed
//! (rewritten on close); a segment of a log is never unsealed (`Purpose`).

use super::index::SegmentIndex;
use super::salvage;
use super::types::TypeTable;
use crate::error::{Error, ErrorKind, Result};
use crate::format::{header::SegmentHeader, naming, MAGIC};
use crate::reader::{Reader, Record, Tail};
use crate::writer::options::Options;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// What the writer continues from.
pub struct Recovered {
    pub file_len: u64,
    /// A log's segment found ending: its records are closed by a
    /// `SEAL_BEGIN` frame, left in place (its writer rolled away from it and
    /// its seal failed, or the process died before writing it).
    pub seal_begun: bool,
    pub next_seq: u64,
    /// Above every sequence number of a valid record frame in the bytes
    /// the recovery cut (torn tail or damage and what follows), and at
    /// least `next_seq`: a log goes on at this number or later, so that no
    /// number of a record salvaged from those bytes is given again.
    pub numbers_past: u64,
    pub types: TypeTable,
    pub index: SegmentIndex,
}

/// What the writer opens an existing segment for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A standalone segment, to append: a seal, whole or damaged, is cut off
    /// (its user owns the file). A segment of a log found sealed or ending
    /// is refused: it never changes again.
    Append,
    /// A segment of a rolling log, which the log resumes if it is active and
    /// seals if it is ending: a `SEAL_BEGIN` frame and what follows it are
    /// left in place for the seal to overwrite, so that a crash meanwhile
    /// leaves the records still closed. A segment found sealed is refused.
    LogSegment,
}

/// Prepares `file` (locked, open read-write) for appending, or for sealing.
pub fn prepare(
    file: &File,
    path: &Path,
    opts: &Options,
    created: bool,
    purpose: Purpose,
) -> Result<Recovered> {
    match starts_afresh(file, path)? {
        Some(torn) => write_header(file, path, opts, created, &torn),
        None => scan_existing(file, path, opts, purpose),
    }
}

/// Starts the segment afresh: the bytes it held (`torn`, a torn header)
/// are backed up and cut, and a new header is written (and synced, with
/// its directory entry if `created`, under a durable policy).
fn write_header(
    file: &File,
    path: &Path,
    opts: &Options,
    created: bool,
    torn: &[u8],
) -> Result<Recovered> {
    if !torn.is_empty() {
        backup_and_cut(file, path, 0, torn)?;
    }
    let created_ns = opts.created_ns.unwrap_or_else(crate::clock::now_ns);
    let header = opts.header(created_ns).encode()?;
    // The header is synced under every policy: whatever makes the file's
    // name durable later (another file's directory sync, a journal commit)
    // must not find it without its header, which no open and no repair
    // takes. Under the durable policies the directory entry is synced too.
    let durable = opts.durability != crate::writer::options::Durability::None;
    file.write_all_at(&header, 0)
        .and_then(|()| crate::sys::sync_data(file))
        .map_err(|e| Error::io_at(path, 0, "write header", e))?;
    if created && durable {
        crate::sys::sync_parent(path)?;
    }
    Ok(Recovered {
        file_len: header.len() as u64,
        seal_begun: false,
        next_seq: opts.first_seq,
        numbers_past: opts.first_seq,
        types: TypeTable::default(),
        index: fresh_index(opts),
    })
}

/// Continues an existing segment: a scan verifies its records and rebuilds
/// the index; a torn tail is backed up and cut, a seal cut off or kept
/// (see `Purpose`).
fn scan_existing(file: &File, path: &Path, opts: &Options, purpose: Purpose) -> Result<Recovered> {
    let mut reader = Reader::open(path)?;
    // The caller holds the segment's lock: nothing cuts it under this scan.
    reader.declare_nothing_can_cut_file();
    let mut index = fresh_index(opts);
    let dir = crate::sys::parent_dir(path);
    // Types the records use. A seal may list more (types without records,
    // which docs/FORMAT.md allows after the others), but it is cut off: a
    // type no record defines must be defined by the next record of it, or
    // that record would use an id nothing in the segment defines.
    let mut used = 0usize;
    let damaged_at = scan(&mut reader, purpose == Purpose::LogSegment, |r| {
        used = used.max(r.type_id as usize + 1);
        index.add(r.type_id, r.offset, r.seq, r.timestamp_ns, r.frame_len, dir);
    })?;
    let records_end = reader.position();
    let next_seq = reader.next_seq();
    let mut numbers_past = next_seq;
    let mut seal_begun = false;
    let file_len = len_of(file, path)?;
    let tail = match damaged_at {
        Some(offset) => Tail::Torn {
            offset,
            len: file_len - offset,
        },
        None => reader.tail(),
    };
    match tail {
        Tail::Torn { offset, len } => {
            if damaged_at.is_some() {
                salvage_after(path, reader.header(), offset, opts)?;
            }
            let past = cut_damage(file, path, offset, offset + len, next_seq)?;
            numbers_past = numbers_past.max(past);
        }
        Tail::Sealed | Tail::SealDamaged { .. } if is_sealed_for_good(&reader, purpose) => {
            return Err(sealed_for_good(&reader));
        }
        Tail::SealDamaged { .. } if purpose == Purpose::LogSegment => seal_begun = true,
        Tail::Sealed | Tail::SealDamaged { .. } => cut(file, path, records_end)?,
        // The scan ran to its end, so `Reading` does not occur.
        Tail::Unsealed => super::prealloc::release(file, records_end),
        Tail::Reading => {}
    }
    let names = reader.types();
    let mut types = TypeTable::default();
    for name in &names[..used.min(names.len())] {
        types.define(name);
    }
    Ok(Recovered {
        file_len: records_end,
        seal_begun,
        next_seq,
        numbers_past,
        types,
        index,
    })
}

/// An empty index for the segment's records.
fn fresh_index(opts: &Options) -> SegmentIndex {
    SegmentIndex::new(opts.sparse_interval, opts.index_memory_entries)
}

/// Whether the segment `reader` scanned to its seal must stay as it is: it
/// is sealed (its seal trailer was written whole, trusted or not) and
/// opened as a log's segment, or it is a log's segment or a file salvaged
/// from one (its file name says so) sealed or ending.
fn is_sealed_for_good(reader: &Reader, purpose: Purpose) -> bool {
    let of_a_log = || {
        let h = reader.header();
        let name = reader.path().file_name()?.to_str()?;
        let order = naming::parse_log_file_name(&h.log_name, name)?;
        Some(!h.log_name.is_empty() && order.segment_no == h.segment_no)
    };
    match purpose {
        Purpose::LogSegment => reader.seal().is_some() || reader.has_seal_trailer(),
        Purpose::Append => of_a_log().unwrap_or(false),
    }
}

/// The error for a segment that `is_sealed_for_good`.
fn sealed_for_good(reader: &Reader) -> Error {
    let h = reader.header();
    let why = format!(
        "segment {} of log {:?} is sealed (or being sealed) and never changes again; \
         open the log to append to it",
        h.segment_no, h.log_name
    );
    Error::file(ErrorKind::Sealed, reader.path(), why)
}

/// Whether `prepare` would take the existing segment of a log at `path`
/// (`Purpose::LogSegment`), found out by reading only: `Ok`, or the error
/// it would return. Lets a caller about to reopen several segments refuse
/// before changing any.
pub fn check_log_segment(path: &Path) -> Result<()> {
    let file = crate::sys::open_read_noatime(path).map_err(|e| Error::io(path, "open", e))?;
    if starts_afresh(&file, path)?.is_some() {
        return Ok(());
    }
    scan(&mut Reader::open(path)?, true, |_| {}).map(drop)
}

/// Reads every record `reader` has left, each given to `each`. Returns
/// `None` at their end, or, if `cuts_damage` (a segment of a log), where
/// damage a log cuts (`is_damage_a_log_cuts`) stops the scan; any other
/// error is returned.
fn scan(
    reader: &mut Reader,
    cuts_damage: bool,
    mut each: impl FnMut(&Record<'_>),
) -> Result<Option<u64>> {
    let e = loop {
        match reader.next() {
            Ok(Some(r)) => each(&r),
            Ok(None) => return Ok(None),
            Err(e) => break e,
        }
    };
    if cuts_damage && is_damage_a_log_cuts(reader, &e) {
        Ok(Some(reader.position()))
    } else {
        Err(e)
    }
}

/// Whether the error `e` the scan `reader` met is damage in the middle of
/// an unsealed segment, where the scan stands: for a segment of a log,
/// backed up and cut from there like a torn tail (docs/FORMAT.md section
/// 12). A sealed segment's damage is not: a sealed segment never changes.
fn is_damage_a_log_cuts(reader: &Reader, e: &Error) -> bool {
    e.kind() == ErrorKind::Corrupt
        && e.offset() == Some(reader.position())
        && reader.seal().is_none()
        && !reader.has_seal_trailer()
}

/// Copies the valid records after damage at `offset` in the middle of a
/// log's unsealed segment (`header` its header) into salvaged files of the
/// log, durably, before the damage is cut (docs/FORMAT.md section 12),
/// signed if `opts` sign. A rerun after a crash finds the files made
/// before and makes none again.
#[cfg_attr(not(feature = "sign"), allow(unused_variables))]
fn salvage_after(path: &Path, header: &SegmentHeader, offset: u64, opts: &Options) -> Result<()> {
    let origin = Options {
        // Signed by the log's key, outside its chain (read in the place
        // of the segment it came from, docs/FORMAT.md section 14a).
        #[cfg(feature = "sign")]
        signing: opts.signing.as_ref().map(|s| s.alone()),
        ..salvage::options_like(Some(header), "a log's recovery")
    };
    for run in salvage::runs_from(path, offset)? {
        salvage::salvage_run(path, origin.clone(), &run)?;
    }
    Ok(())
}

/// Backs up and cuts bytes `[from, to)` of the segment (`backup_and_cut`),
/// zeros that end them cut without a backup unless a valid record frame
/// ends in them (`end_without_zero_tail`), and returns the number the
/// segment's log goes on at or above: past `next_seq` and past every valid
/// record frame in the bytes cut (`frame::highest_record_seq`), so that a
/// salvage of the backup never meets a number given again.
fn cut_damage(file: &File, path: &Path, from: u64, to: u64, next_seq: u64) -> Result<u64> {
    let mut bytes = vec![0u8; (to - from) as usize];
    file.read_exact_at(&mut bytes, from)
        .map_err(|e| Error::io_at(path, from, "read the bytes to back up", e))?;
    let kept = crate::format::frame::end_without_zero_tail(&bytes);
    let past = crate::format::frame::highest_record_seq(&bytes[..kept])
        .map_or(next_seq, |h| next_seq.max(h.saturating_add(1)));
    if kept == 0 {
        cut(file, path, from)?;
    } else {
        backup_and_cut(file, path, from, &bytes[..kept])?;
    }
    Ok(past)
}

/// The segment's bytes if it gets a new header instead of a scan: it is
/// empty, or its header is torn (those bytes are backed up first). A torn
/// header is a file that starts like a segment but ends inside its header:
/// a writer died while creating it. Nothing but the header was ever
/// written, so no valid record frame may appear anywhere in it (a damaged
/// header length in a segment with records is corruption, not a torn
/// header).
fn starts_afresh(file: &File, path: &Path) -> Result<Option<Vec<u8>>> {
    let len = len_of(file, path)?;
    if len == 0 {
        return Ok(Some(Vec::new()));
    }
    let mut head = vec![0u8; len.min(crate::format::MAX_HEADER_LEN as u64) as usize];
    let read = crate::sys::read_upto(|b, o| file.read_at(b, o), &mut head, 0);
    head.truncate(read.map_err(|e| Error::io(path, "read header", e))?);
    if !MAGIC.starts_with(&head[..head.len().min(MAGIC.len())]) {
        return Ok(None);
    }
    // decode says Truncated only when no record frame follows.
    let decoded = SegmentHeader::decode(&head, path);
    let truncated = matches!(decoded, Err(e) if e.kind() == ErrorKind::Truncated);
    Ok((truncated && len < crate::format::MAX_HEADER_LEN as u64).then_some(head))
}

fn len_of(file: &File, path: &Path) -> Result<u64> {
    let meta = file.metadata().map_err(|e| Error::io(path, "stat", e))?;
    Ok(meta.len())
}

/// Copies `bytes`, the segment's from offset `from` on, to
/// `<segment>.corrupt-<from>`, syncs the copy, then cuts the segment at
/// `from`.
fn backup_and_cut(file: &File, path: &Path, from: u64, bytes: &[u8]) -> Result<()> {
    // Never overwrite an earlier backup: a second tear at the same offset
    // gets `.corrupt-<offset>.1`, and so on.
    let mut n = 0;
    let (mut out, backup) = loop {
        let candidate = naming::backup_path(path, from, n);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => break (f, candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 10_000 => n += 1,
            Err(e) => return Err(Error::io(&candidate, "create backup of torn tail", e)),
        }
    };
    let backup = backup.as_path();
    out.write_all(bytes)
        .map_err(|e| Error::io_at(path, from, "copy torn tail to backup", e))?;
    out.sync_all()
        .map_err(|e| Error::io(backup, "sync backup of torn tail", e))?;
    // The backup's name too, before the cut: after power loss, a cut
    // segment without its backup would have lost those bytes.
    crate::sys::sync_parent(backup)?;
    cut(file, path, from)
}

fn cut(file: &File, path: &Path, len: u64) -> Result<()> {
    file.set_len(len)
        .and_then(|()| crate::sys::sync_data(file))
        .map_err(|e| Error::io_at(path, len, "truncate", e))
}
