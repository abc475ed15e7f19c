//! Verifying a source of segments, one segment at a time: a segment file,
//! a list of them, a log directory, or (feature `s3`) a log in a bucket.
//! For a log, what is wrong between its segments is found by the rules
//! `LogReader` reads it by: its first sequence number continues the one
//! before (or the records between are a gap, accepted or not), an empty
//! file left by a failed roll is skipped, a file of another log is not
//! read, and a segment with newer ones after it is sealed.

use super::continuity::Continuity;
use super::segment::{empty_report, segment_held};
use super::{Finding, FindingKind, SegmentReport};
use crate::error::{Error, ErrorKind, Result};
use crate::log::{manifest::Manifest, naming, position, segments, FileShape};
use std::path::{Path, PathBuf};

/// An iterator of segment reports (see [`super`]): each segment is
/// verified when `next` reaches it, so that memory holds one at a time;
/// for a local log, a report of its manifest last if it cannot be used
/// (`SegmentReport::manifest` set). The default one verifies nothing.
#[derive(Default)]
pub struct Verify {
    files: Vec<PathBuf>,
    next: usize,
    /// The log the files are the segments of, if they are.
    log: Option<LogPlace>,
    /// A log in a bucket, whose objects `files` names by URL.
    #[cfg(feature = "s3")]
    remote: Option<RemoteObjects>,
    /// The key seals are verified against (`trusting`).
    #[cfg(feature = "sign")]
    trust: Option<super::chain::Trust>,
    /// A log's own signed head, read before its files are listed (so it
    /// names none after them).
    #[cfg(feature = "sign")]
    own_head: crate::sign::head::OwnHead,
}

/// The objects of a log in a bucket that a `Verify` reads.
#[cfg(feature = "s3")]
struct RemoteObjects {
    log: crate::archive::RemoteLog,
    /// Each object's key, in `files`' order.
    keys: Vec<String>,
    /// Whether each is fetched whole and checked against its metadata
    /// (`Verify::shipped`), not read with ranged GETs.
    shipped: bool,
}

/// A log's name and what its next segment must continue.
struct LogPlace {
    name: String,
    continuity: Continuity,
    /// A log writer holds the log's lock (`<name>.lock`), from its open to
    /// its close, rolls included: an unsealed segment of the log is its.
    locked: bool,
    /// The directory of a local log, whose manifest is looked at after
    /// its segments (once: taken then).
    manifest_dir: Option<PathBuf>,
    /// The highest sequence number a file of the log was read to (where
    /// the log's next segment would start), if one was.
    reached: Option<u64>,
}

impl Verify {
    /// The segment file at `path`, on its own.
    pub fn segment(path: impl AsRef<Path>) -> Verify {
        Verify::files(vec![path.as_ref().to_path_buf()])
    }

    /// Segment files, each on its own (no continuity between them).
    pub fn files(files: Vec<PathBuf>) -> Verify {
        Verify {
            files,
            ..Verify::default()
        }
    }

    /// Verifies signed seals against `key` (feature `sign`): each sealed
    /// segment must be signed by it (else `Unsigned`, `OtherKey`,
    /// `BadSignature`), and a log's segments must form one chain (else
    /// `ChainGap`, `NotInChain`, `Reordered`, `Duplicate`), checked
    /// against the log's own signed head (`<log>.head`, read by `log`; in
    /// a bucket the newest its shipper put) unless `with_head` names one.
    /// Without it, a verify checks each signed seal's digest only
    /// (`RecordsChanged`).
    #[cfg(feature = "sign")]
    pub fn trusting(mut self, key: crate::sign::PublicKey) -> Verify {
        self.trust = Some(super::chain::Trust {
            key,
            head: std::mem::take(&mut self.own_head),
            ..Default::default()
        });
        self
    }

    /// A log checked against its signed head in the file at `head` (a
    /// copy of `<log>.head` kept where the writer's host cannot change
    /// it), after `trusting`, not against its own: a head signed by
    /// another key is `OtherKey`, one that does not verify `BadSignature`,
    /// a head whose segment the log does not hold `CutOff` (on the log's
    /// last file), one whose `prev` is not the link of the segment before
    /// its own `NotInChain`. `InvalidArgument` without `trusting`, or for
    /// a file that is no signed head.
    /// Nothing changes when it fails.
    #[cfg(feature = "sign")]
    pub fn with_head(&mut self, head: &Path) -> Result<&mut Verify> {
        let why = "a signed head is checked against a trusted key";
        let trust = self.trust.as_mut().ok_or_else(|| Error::invalid(why))?;
        let signed = crate::sign::SignedHead::from_file(head)?;
        trust.head.0 = Some((signed, head.to_path_buf(), true));
        Ok(self)
    }

    /// Every file of log `name` in `dir`, in the order `LogReader` reads
    /// them, with the continuity between them; then, if the log's manifest
    /// cannot be used, a report of it (`manifest` set; see
    /// [`FindingKind::ManifestDamaged`]). Fails if the directory cannot be
    /// listed, and with `NotFound` if it does not hold the log
    /// (`segments::require_log`; a manifest alone is a file of it: the only
    /// record of the log's position).
    pub fn log(dir: impl AsRef<Path>, name: &str) -> Result<Verify> {
        let dir = dir.as_ref();
        #[cfg(feature = "sign")]
        let own_head = super::chain::own_head(dir.join(format!("{name}.head")));
        let files = segments::list_files(dir, name)?;
        segments::require_log(dir, name, !files.is_empty())?;
        let v = Verify::files(files.into_iter().map(|f| f.path).collect());
        let locked = crate::sys::is_path_locked(&naming::lock_path(dir, name));
        #[cfg(feature = "sign")]
        let v = Verify { own_head, ..v };
        Ok(v.of_log(name, locked, Some(dir)))
    }

    /// What is at `path`: a segment file on its own, or a log directory:
    /// log `name` in it, or without a name the one log it holds
    /// (`segments::logs_in`; `InvalidArgument` if it holds several,
    /// `NotFound` if none). A path
    /// that does not exist is `NotFound`, as a reader's open says; a file
    /// that exists but cannot be read is a finding of its verification.
    pub fn path(path: impl AsRef<Path>, name: Option<&str>) -> Result<Verify> {
        let path = path.as_ref();
        match log_at(path, name)? {
            Some(name) => Verify::log(path, &name),
            None => Ok(Verify::segment(path)),
        }
    }

    /// Every segment of a log in a bucket, in order, with the continuity
    /// between them; each object read with ranged GETs.
    #[cfg(feature = "s3")]
    pub fn remote(log: crate::archive::RemoteLog) -> Result<Verify> {
        Verify::in_bucket(log, false)
    }

    /// `remote`, each object fetched whole once and checked against the
    /// metadata its shipper wrote (`binlog remote verify`): a size, SHA-256,
    /// record count, last sequence number or seal other than it says is a
    /// `Corrupt` finding, the object's first.
    #[cfg(feature = "s3")]
    pub fn shipped(log: crate::archive::RemoteLog) -> Result<Verify> {
        Verify::in_bucket(log, true)
    }

    /// `remote`, or with `shipped` `shipped`.
    #[cfg(feature = "s3")]
    fn in_bucket(log: crate::archive::RemoteLog, shipped: bool) -> Result<Verify> {
        #[cfg(feature = "sign")]
        let own_head = log.newest_head()?;
        let keys: Vec<String> = log.segments()?.into_iter().map(|s| s.object_key).collect();
        let v = Verify::files(keys.iter().map(|k| log.url_of(k)).collect());
        let v = v.of_log(log.log(), false, None);
        let remote = Some(RemoteObjects { log, keys, shipped });
        #[cfg(feature = "sign")]
        let v = Verify { own_head, ..v };
        Ok(Verify { remote, ..v })
    }

    /// These files as the segments of log `name` (its lock `locked`, its
    /// manifest in `manifest_dir`).
    fn of_log(mut self, name: &str, locked: bool, manifest_dir: Option<&Path>) -> Verify {
        self.log = Some(LogPlace {
            name: name.to_string(),
            locked,
            continuity: Continuity::new(),
            manifest_dir: manifest_dir.map(Path::to_path_buf),
            reached: None,
        });
        self
    }

    /// `rep`, file `i`, against the trusted key, if there is one.
    #[cfg(feature = "sign")]
    fn check_trust(&mut self, rep: &mut SegmentReport, i: usize) {
        let Some(mut trust) = self.trust.take() else {
            return;
        };
        if self.log.is_some() {
            trust.read_log(self.files.len(), |j| self.seal_of(j));
        }
        trust.check(rep, i);
        if self.log.is_some() && i + 1 == self.files.len() {
            trust.check_head(rep, |j| self.reader_of(j, true));
        }
        self.trust = Some(trust);
    }

    /// A reader of file `j` (of its object, for a log in a bucket), a
    /// salvaging one if `salvage`.
    #[cfg(feature = "sign")]
    fn reader_of(&self, j: usize, salvage: bool) -> Option<crate::reader::Reader> {
        #[cfg(feature = "s3")]
        if let Some(RemoteObjects { log, keys, .. }) = &self.remote {
            return log.open_reader(&keys[j], true).ok();
        }
        let path = &self.files[j];
        let r = match salvage {
            true => crate::reader::Reader::open_salvage(path),
            false => crate::reader::Reader::open(path),
        };
        r.ok()
    }

    /// File `j`'s segment number (by its name) and its seal if it has a
    /// usable one; `None` for a salvaged file (signed alone, no link of
    /// the log's chain).
    #[cfg(feature = "sign")]
    fn seal_of(&self, j: usize) -> super::chain::Numbered<crate::format::seal::SealDirectory> {
        let o = order(&self.files[j]).filter(|o| o.salvaged.is_none())?;
        let seal = self.reader_of(j, false).and_then(|r| r.seal().cloned());
        Some((o.segment_no, seal))
    }

    /// Verifies file `i` (`newest`: its log's newest segment, if a log's).
    fn verify_file(&self, i: usize, newest: bool) -> SegmentReport {
        #[cfg(feature = "s3")]
        if let Some(RemoteObjects { log, keys, shipped }) = &self.remote {
            let rep = match shipped {
                true => shipped_object(log, &keys[i]),
                false => log
                    .open_reader(&keys[i], true)
                    .map(super::segment_of_reader),
            };
            return rep.unwrap_or_else(|e| super::segment::unopened(&self.files[i], &e));
        }
        // The log's lock covers its newest segment only: an older one is
        // held only while its own lock is (its seal being written after a
        // roll), which the segment's verification sees for itself.
        let held = newest && self.log.as_ref().is_some_and(|l| l.locked);
        segment_held(&self.files[i], held)
    }
}

impl Iterator for Verify {
    type Item = SegmentReport;

    fn next(&mut self) -> Option<SegmentReport> {
        let i = self.next;
        if i >= self.files.len() {
            // After the segments, the log's manifest (once).
            let log = self.log.as_mut()?;
            let dir = log.manifest_dir.take()?;
            return manifest_report(&dir, &log.name);
        }
        self.next += 1;
        let newest = newest_segment(&self.files, i);
        let mut rep = self.verify_file(i, newest);
        // Local files' names are checked against the log.
        #[cfg(feature = "s3")]
        let local = self.remote.is_none();
        #[cfg(not(feature = "s3"))]
        let local = true;
        if let Some(log) = &mut self.log {
            log.place(&mut rep, newest, local);
            if self.next == self.files.len() {
                log.ended(&mut rep);
            }
        }
        #[cfg(feature = "sign")]
        self.check_trust(&mut rep, i);
        Some(rep)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.files.len() - self.next;
        let manifest = self.log.as_ref().is_some_and(|l| l.manifest_dir.is_some());
        (n, Some(n + usize::from(manifest)))
    }
}

impl LogPlace {
    /// Adds what is wrong with `rep` as a segment of this log, and notes
    /// where the log's next segment must start.
    fn place(&mut self, rep: &mut SegmentReport, newest: bool, local: bool) {
        let Some(header) = rep.header.clone() else {
            if newest {
                newest_of_log(rep);
            }
            // Where the next segment must start is not known.
            self.continuity.forget();
            return;
        };
        if local {
            if let Err(e) = segments::check_file_name(&rep.location, &header, &self.name) {
                rep.push_error(FindingKind::WrongLog, &e);
                return;
            }
        }
        let sealed_count = rep.seal.as_ref().map(|d| d.record_count);
        let file = FileShape::new(&header, sealed_count, rep.file_len, rep.data_start);
        if let Some(f) = self.continuity.check(&rep.location, &file, 0..=u64::MAX) {
            let leftover = f.kind == FindingKind::FailedRollLeftover;
            rep.push(f);
            if leftover {
                // Not read as part of the log: not its end either.
                return;
            }
        }
        if !newest && !rep.writer_holds {
            not_sealed(rep);
        }
        self.continuity.ended(&rep.location, rep.next_seq);
        self.reached = self.reached.max(rep.next_seq);
    }

    /// After the log's last file `rep`: the records its manifest proves
    /// the log held past those its files hold, missing unless the operator
    /// accepted them as lost (a finding on `rep`, the log's last file).
    fn ended(&mut self, rep: &mut SegmentReport) {
        let Some(dir) = &self.manifest_dir else {
            return;
        };
        // A live log's files move while they are read: its manifest may
        // list as sealed a segment read while it was still being written.
        let live = || crate::sys::is_path_locked(&naming::lock_path(dir, &self.name));
        if self.locked || rep.writer_holds || live() {
            return;
        }
        // The newest sealed segment's end (`position::sealed_through`),
        // past the end the files were read to.
        let Some(e) = position::sealed_through(dir, &self.name) else {
            return;
        };
        let end = e.first_seq.saturating_add(e.record_count);
        let from = self.reached.unwrap_or(e.first_seq);
        if from >= end {
            return;
        }
        let lost = match end - from {
            1 => format!("record {from} is"),
            _ => format!("records {from}..{} are", end - 1),
        };
        let message = format!(
            "{}: {lost} missing from the end of the log: its manifest lists segment {} ({}) \
             as sealed with records {}..{}, and the log's files hold none of them (cut short \
             or removed)",
            rep.location.display(),
            e.segment_no,
            e.file,
            e.first_seq,
            end - 1
        );
        let f = self.continuity.missing(&rep.location, (from, end), message);
        rep.push(f);
    }
}

/// Whether `files[i]` is its log's newest segment: each file (or object)
/// listed after it is a file salvaged from it (read in its place, docs/FORMAT.md
/// "Salvaged files"), not a later segment. Such a file is what a crash
/// between a log writer's salvage and its cut of the damage leaves.
fn newest_segment(files: &[PathBuf], i: usize) -> bool {
    let this = order(&files[i]).map(|o| o.segment_no);
    files[i + 1..]
        .iter()
        .all(|f| order(f).is_some_and(|o| o.salvaged.is_some() && Some(o.segment_no) == this))
}

/// Where the file (or object) at `p` stands in its log, by its name.
fn order(p: &Path) -> Option<crate::format::naming::ReadOrder> {
    let name = p.file_name()?.to_str()?;
    crate::log::remote_order(p).or_else(|| naming::log_of_file_name(name).map(|(_, o)| o))
}

/// `rep` is of the newest file of a log: one whose header ends short
/// (`Truncated`, empty or not) is what a writer leaves between creating
/// the segment and writing its header, nothing to read yet
/// (`NotYetWritten`), as `LogReader` reads it.
pub fn newest_of_log(rep: &mut SegmentReport) {
    if rep.header.is_none() && rep.tail.is_none() {
        for f in of_kind(rep, FindingKind::Truncated) {
            f.kind = FindingKind::NotYetWritten;
        }
    }
}

/// An unsealed segment with newer segments after it and no writer: its
/// writer died before sealing it.
fn not_sealed(rep: &mut SegmentReport) {
    let loc = rep.location.display().to_string();
    for f in of_kind(rep, FindingKind::Unsealed) {
        f.kind = FindingKind::NotSealed;
        f.message = format!(
            "{loc}: offset {}: not sealed, although newer segments follow it (its writer died); \
             `binlog repair` seals it",
            f.offset.unwrap_or(0)
        );
    }
}

/// The findings of `rep` of kind `kind`.
fn of_kind(rep: &mut SegmentReport, kind: FindingKind) -> impl Iterator<Item = &mut Finding> {
    rep.findings.iter_mut().filter(move |f| f.kind == kind)
}

/// The object at `key`, fetched whole and verified (`Verify::shipped`,
/// `binlog remote verify`), then checked against the metadata its shipper
/// wrote: bytes other than it says are the object's first finding
/// (`Corrupt`), records other than it says its last.
#[cfg(feature = "s3")]
fn shipped_object(log: &crate::archive::RemoteLog, key: &str) -> Result<SegmentReport> {
    use super::segment::{segment_of_reader, unopened};
    use crate::archive::{check_digest, digest};
    let url = log.url_of(key);
    let meta = log.remote().head(key)?.and_then(|(_, m)| m);
    let what = "no binlog metadata (not an object `binlog ship` wrote)";
    let meta = meta.ok_or_else(|| Error::file(ErrorKind::Corrupt, &url, what))?;
    let bytes = log.get_whole(key)?;
    let copy = log.reader_of_copy(key, &bytes, Some(&meta), true);
    let mut rep = copy.map_or_else(|e| unopened(&url, &e), segment_of_reader);
    let (records, last, sealed) = (rep.records, rep.last_seq, rep.seal.is_some());
    if let Err(e) = check_digest(&url, &digest::of_bytes(&bytes), &meta) {
        let f = Finding::new(FindingKind::Corrupt, &url, e.offset(), e.message().into());
        let found = std::mem::replace(&mut rep.findings, vec![f]);
        found.into_iter().for_each(|f| rep.push(f));
    } else if (records, last) != (meta.records, meta.last_seq) || !sealed {
        let m = format!(
            "{}: {records} records (last {last:?}, sealed: {sealed}), the metadata says {} (last \
             {:?})",
            url.display(),
            meta.records,
            meta.last_seq
        );
        rep.push(Finding::new(FindingKind::Corrupt, &url, None, m));
    }
    Ok(rep)
}

// A log's manifest looked at, after its segments: the record of the log's
// position when no segment file is left (docs/FORMAT.md section 14a),
// and of the sealed segments' records, which the files must still hold.
// Whether it is the only record is `position::check`'s rule: a manifest
// that cannot be used is damage then (a writer's open refuses the log),
// else a note (the writer rewrites it).

/// The report of log `name`'s manifest in `dir` (`manifest` set), if it
/// cannot be used: `ManifestDamaged` where it is the only record of the
/// log's position, `ManifestUnused` where another record holds it,
/// `Unreadable` if the directory cannot be listed. `None` when it can be
/// used or is not there.
fn manifest_report(dir: &Path, name: &str) -> Option<SegmentReport> {
    let path = naming::manifest_path(dir, name);
    let (kind, e) = match position::check(dir, name) {
        Err(e) if e.kind() == ErrorKind::Corrupt => (FindingKind::ManifestDamaged, e),
        Err(e) => (FindingKind::Unreadable, e),
        Ok(()) => match Manifest::load(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => (FindingKind::ManifestUnused, e),
            _ => return None,
        },
    };
    let message = match kind {
        FindingKind::ManifestUnused => format!(
            "{} (the manifest is rewritten when the log is next opened for writing)",
            e.message()
        ),
        _ => e.message().to_string(),
    };
    let mut rep = empty_report(&path);
    rep.manifest = true;
    rep.file_len = std::fs::metadata(&path).map_or(0, |m| m.len());
    rep.push(Finding::new(kind, &path, e.offset(), message));
    Some(rep)
}

/// What is at `path` (see `Verify::path`): None for a segment file, else
/// the name of the log of directory `path` to verify.
pub(crate) fn log_at(path: &Path, name: Option<&str>) -> Result<Option<String>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::io(path, "open", e))
        }
        Ok(m) if m.is_dir() => {}
        _ => return Ok(None),
    }
    if let Some(name) = name {
        return Ok(Some(name.to_string()));
    }
    let logs = crate::log::logs_in(path, "*", "list")?;
    let names: Vec<String> = logs.into_keys().collect();
    match names.as_slice() {
        [one] => Ok(Some(one.clone())),
        [] => Err(Error::file(
            ErrorKind::NotFound,
            path,
            "holds no log (no segment, salvaged file or manifest of one)",
        )),
        several => Err(Error::file(
            ErrorKind::InvalidArgument,
            path,
            format!("holds the files of logs {}: name one", several.join(", ")),
        )),
    }
}
