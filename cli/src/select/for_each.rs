//! The streaming walk over segments that hands each matching record to a
//! command, and where it starts for `--tail N`. Damage met on the way is
//! reported on standard error and the walk goes on with the next segment,
//! or, when told to skip damage, with the next valid record after it.

use super::Filter;
use crate::error::{is_damage, CliResult, Outcome};
use crate::output::Origin;
use crate::paths;
use crate::progress::Progress;
use binlog::codec::{starts_with_zstd_frame, CompressedSegment};
use binlog::naming::{not_written_yet, FileShape};
use binlog::verify::{next_seq_after, Continuity, FindingKind};
use binlog::{Damage, Gap, Reader, Record, Tail};
use std::path::{Path, PathBuf};

/// Which matching records a walk hands over, where it starts, and what it
/// does at damage. The default: every matching record, each segment up to
/// its first damage.
#[derive(Clone, Copy, Debug, Default)]
pub struct Walk {
    /// The segment the walk starts in, and the matching records it passes
    /// over there.
    pub seg: usize,
    pub skip: u64,
    /// At most this many records (None: all).
    pub head: Option<u64>,
    /// Go on after damage with the next valid record (as
    /// `Reader::open_salvage` reads: a damaged header is skipped too)
    /// instead of with the next segment.
    pub skip_damaged: bool,
}

/// Calls `f` on every matching record `walk` selects (with its segment
/// and its type's schema there), moving `progress`
/// by the bytes read. Damage met on the way is reported on standard error
/// and the walk goes on with the next segment, or (`walk.skip_damaged`)
/// with the next valid record after the damage; the outcome says whether
/// there was any. A torn tail or a damaged seal (all records read) is only
/// a warning.
pub fn for_each(
    files: &[PathBuf],
    filter: &Filter,
    walk: Walk,
    progress: &mut Progress,
    mut f: impl FnMut(&Record<'_>, Origin<'_>) -> CliResult<()>,
) -> CliResult<Outcome> {
    let mut state = SegmentWalk {
        filter,
        walk,
        damages_reported: 0,
        gaps: Vec::new(),
        lost: 0,
        continuity: Continuity::default(),
        left: walk.head.unwrap_or(u64::MAX),
        files,
    };
    for file in files.iter().skip(walk.seg) {
        if state.left == 0 {
            break;
        }
        state.segment(file, progress, &mut f)?;
    }
    let missing = binlog::records_missing(&state.gaps, state.lost);
    Ok(Outcome::Damaged.when(missing))
}

/// What a walk hands each record to, with its segment and its type's
/// schema there.
trait Each: FnMut(&Record<'_>, Origin<'_>) -> CliResult<()> {}
impl<F: FnMut(&Record<'_>, Origin<'_>) -> CliResult<()>> Each for F {}

/// The state of a walk between segments.
struct SegmentWalk<'a> {
    filter: &'a Filter,
    /// What the walk does at damage; its `skip`: the matching records still
    /// to pass over before the first one handed out.
    walk: Walk,
    /// Damaged regions of the current segment reported so far.
    damages_reported: usize,
    /// Gaps met (objects pruned from the bucket since it was listed).
    gaps: Vec<Gap>,
    /// Damage met, and records missing between segments: what the walk
    /// could not hand out besides `gaps`.
    lost: usize,
    continuity: Continuity,
    /// Records still to hand out (`--head`).
    left: u64,
    /// Every file of the walk: a log's newest file may have no header yet.
    files: &'a [PathBuf],
}

impl SegmentWalk<'_> {
    /// Hands out the matching records of one segment.
    fn segment(&mut self, file: &Path, bar: &mut Progress, f: &mut impl Each) -> CliResult<()> {
        let file_len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let Some(mut r) = self.open(file)? else {
            bar.file_done(file_len);
            return Ok(());
        };
        let complete = self.read(&mut r, bar, f)?;
        self.walk.skip = 0;
        bar.file_done(file_len);
        // A type filter reads through the index, when there is one: the
        // reader's position then says nothing of the segment's end (a
        // seek only moves it forward, to the same end).
        let read_to_end = complete && self.filter.types.is_empty();
        self.continuity.ended(file, next_seq_after(&r, read_to_end));
        // How a segment read to its end ended, when that is worth knowing
        // (records were all read, but something is off). An object cut
        // short: its end was reported as damage.
        if complete && r.cut_short_at().is_none() {
            let file = paths::show(file);
            match r.tail() {
                Tail::Torn { offset, len } => eprintln!(
                    "binlog: warning: {file}: offset {offset}: torn tail of {len} bytes (an incomplete \
                     last record, or one being written); `binlog verify` tells more"
                ),
                Tail::SealDamaged { offset } => eprintln!(
                    "binlog: warning: {file}: offset {offset}: the seal is damaged or incomplete (all \
                     records were read); `binlog repair` rewrites it"
                ),
                _ => {}
            }
        }
        Ok(())
    }

    /// The segment's reader, prepared for the filter; None when it cannot
    /// be read (damage, reported) or holds no record to hand out.
    fn open(&mut self, file: &Path) -> CliResult<Option<Reader>> {
        self.damages_reported = 0;
        let mut r = match crate::remote::open_reader(file, self.walk.skip_damaged) {
            Ok(r) => r,
            // A log's newest segment being created: no record yet, and
            // nothing to say of where the log's sequence stands (as its
            // `LogReader` reads it). Anywhere else, a header cut short is
            // damage.
            Err(e) if not_written_yet(&e, paths::is_newest_of_its_log(self.files, file)) => {
                return Ok(None)
            }
            // Pruned from the bucket since it was listed: a retention gap,
            // as the library's log reader reports it.
            Err(e) if e.kind() == binlog::ErrorKind::NotFound => {
                let Some(gap) = crate::remote::prune::pruned_gap(file) else {
                    return Err(e.into());
                };
                eprintln!("binlog: gap: {gap}");
                self.gaps.push(gap);
                self.continuity.forget();
                return Ok(None);
            }
            Err(e) if is_damage(&e) => return self.damaged(e.message()),
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = paths::check_log_of(file, &r) {
            return self.damaged(e.message());
        }
        let f = self.filter;
        let seqs = f.from_seq.unwrap_or(0)..=f.to_seq.unwrap_or(u64::MAX);
        if let Some(b) = self.continuity.check(file, &FileShape::of(&r), seqs) {
            let (what, more) = match b.kind {
                FindingKind::MissingRecords => ("gap", "; `binlog verify` tells more"),
                _ if !b.is_damage() => ("note", ""),
                _ => ("damaged", ""),
            };
            eprintln!("binlog: {what}: {}{more}", b.message);
            self.lost += usize::from(b.is_damage());
        }
        if self.continuity.skips(file) {
            // Read as a log's reader reads it: nothing of it is printed.
            return Ok(None);
        }
        if !self.filter.may_match(&r) {
            self.continuity.ended(file, next_seq_after(&r, false));
            return Ok(None);
        }
        if let Err(e) = self.filter.prepare_reader(&mut r) {
            return self.damaged(e.message());
        }
        Ok(Some(r))
    }

    /// Hands out the matching records of `r`; true if it read them all.
    fn read(&mut self, r: &mut Reader, bar: &mut Progress, f: &mut impl Each) -> CliResult<bool> {
        // A record borrows its reader: the header's schemas are copied.
        let (path, header) = (r.path().to_path_buf(), r.header().clone());
        let (log, file) = (None, Some(path.as_path()));
        loop {
            // Regions skipped by the last read (or at open: a damaged
            // header) are reported once the read is done with.
            self.report_skipped(r);
            let rec = match r.next() {
                Ok(Some(rec)) => rec,
                Ok(None) => {
                    self.report_skipped(r);
                    return Ok(true);
                }
                Err(e) => {
                    eprintln!("binlog: damaged: {}", e.message());
                    self.lost += 1;
                    return Ok(false);
                }
            };
            bar.at(rec.offset);
            if self.filter.to_seq.is_some_and(|to| rec.seq > to) {
                return Ok(false);
            }
            if !self.filter.matches(&rec) {
                continue;
            }
            if self.walk.skip > 0 {
                self.walk.skip -= 1;
                continue;
            }
            let schema = header.type_schema(rec.type_name);
            f(&rec, Origin { log, file, schema })?;
            self.left -= 1;
            if self.left == 0 {
                return Ok(false);
            }
        }
    }

    /// Damaged regions a reader skipped: each reported with its file,
    /// offset and the records lost.
    fn report_skipped(&mut self, r: &Reader) {
        let new = &r.damages()[self.damages_reported.min(r.damages().len())..];
        for d in new {
            let why = r.damage_reason(d.offset);
            let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
            eprintln!("binlog: damaged: {}{why}", damage_message(r.path(), d));
            self.lost += 1;
        }
        self.damages_reported = r.damages().len();
    }

    /// A segment that cannot be read: reported, and nothing is known of
    /// where it ends; no reader of it (`open`'s None).
    fn damaged(&mut self, message: &str) -> CliResult<Option<Reader>> {
        eprintln!("binlog: damaged: {message}");
        self.lost += 1;
        self.continuity.forget();
        Ok(None)
    }
}

/// A damaged region skipped: where, and the records lost. Every command
/// that reads past damage (`cat --skip-damaged`, `tail -f`) reports it so:
/// its file, offset (and in a compressed segment the frames holding it),
/// and the records lost.
pub fn damage_message(file: &Path, d: &Damage) -> String {
    // The records `from_seq..to_seq` (end exclusive), named inclusively.
    let lost = match d.to_seq.saturating_sub(d.from_seq) {
        0 => "no record is lost".to_string(),
        1 => format!("record {} is lost", d.from_seq),
        _ => format!("records {}..{} are lost", d.from_seq, d.to_seq - 1),
    };
    let (at, resume) = (d.offset, d.resume_offset);
    let what = if at == 0 {
        format!("the header is damaged; records read from offset {resume}")
    } else if resume > at {
        let skipped = resume - at;
        format!("{skipped} damaged bytes skipped, up to offset {resume}")
    } else {
        "sequence numbers jump".to_string()
    };
    let frames = frames_holding(file, d).unwrap_or_default();
    format!("{}: offset {at}{frames}: {what}; {lost}", paths::show(file))
}

/// For a compressed segment, the frames that hold the damaged bytes and
/// where the first starts in the file: " (in compressed frame N), at
/// compressed offset C" or " (in compressed frames N..M), at compressed
/// offset C"; None for a plain segment (or a region of no bytes).
fn frames_holding(file: &Path, d: &Damage) -> Option<String> {
    let compressed = std::fs::File::open(file).is_ok_and(|f| starts_with_zstd_frame(&f));
    if !compressed || d.resume_offset <= d.offset {
        return None;
    }
    let (s, _) = CompressedSegment::open_frames_salvage(file).ok()?;
    let a = s.frame_index_at(d.offset)?;
    let b = s.frame_index_at(d.resume_offset - 1)?;
    let frames = match a == b {
        true => format!("frame {a}"),
        false => format!("frames {a}..{b}"),
    };
    let at = s.frames()[a].compressed_offset;
    let place = format!(" (in compressed {frames}), at compressed offset {at}");
    Some(place)
}

// Where printing starts for `--tail N`: the matching records are counted
// backwards one segment at a time, so that memory stays constant.

/// The walk that leaves the last `n` records filter `f` matches, counting
/// backwards one segment at a time: the records a reader that skips
/// damaged regions returns (`skip_damaged`, as `tail -f` reads) or, without
/// it, those before the first damage of each segment (as `for_each`
/// prints). Only the segments whose records would be printed are read (a
/// seal that shows no record can match skips its segment): a seal says how
/// many records were written, not how many can be read, and printing stops
/// at damage.
pub fn tail_start(files: &[PathBuf], f: &Filter, n: u64, skip_damaged: bool) -> CliResult<Walk> {
    let at = |seg, skip| Walk {
        seg,
        skip,
        skip_damaged,
        ..Walk::default()
    };
    let mut need = n;
    if need == 0 {
        return Ok(at(files.len(), 0));
    }
    for (seg, file) in files.iter().enumerate().rev() {
        let c = matching(file, f, skip_damaged)?.count() as u64;
        if c >= need {
            return Ok(at(seg, c - need));
        }
        need -= c;
    }
    Ok(at(0, 0))
}

/// The sequence numbers of the matching records in one segment that can
/// be read, up to `--to-seq`: a scan that stops at damage, as printing does
/// (or skips it, with `skip_damaged`).
fn matching<'f>(
    file: &Path,
    filter: &'f Filter,
    skip_damaged: bool,
) -> CliResult<impl Iterator<Item = u64> + 'f> {
    // Opened prepared for `filter`; none when it cannot be read for
    // damage or cannot match. With `skip_damaged` a damaged header or
    // damaged records are skipped, as `LogReader::skip_damaged` does.
    let mut r = match crate::remote::open_reader(file, skip_damaged) {
        Ok(r) => Some(r),
        Err(e) if is_damage(&e) => None,
        Err(e) => return Err(e.into()),
    };
    r.take_if(|r| {
        let wrong_log = paths::check_log_of(file, r).is_err();
        wrong_log || !filter.may_match(r) || filter.prepare_reader(r).is_err()
    });
    Ok(std::iter::from_fn(move || loop {
        let rec = r.as_mut()?.next().ok()??;
        if filter.to_seq.is_some_and(|to| rec.seq > to) {
            return None;
        }
        if filter.matches(&rec) {
            return Some(rec.seq);
        }
    }))
}

/// The sequence number of the first record walking from `start` would
/// hand over, read as `tail_start` counted (None: there is none).
pub fn first_seq_from(files: &[PathBuf], filter: &Filter, start: Walk) -> CliResult<Option<u64>> {
    // Only the start's segment has records to skip.
    let mut skip = start.skip as usize;
    for file in files.iter().skip(start.seg) {
        let mut seqs = matching(file, filter, start.skip_damaged)?;
        if let Some(seq) = seqs.nth(std::mem::take(&mut skip)) {
            return Ok(Some(seq));
        }
    }
    Ok(None)
}
