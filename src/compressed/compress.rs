//! Compressing a sealed segment `<segment>` into `<segment>.zst`, crash
//! safely: write `<segment>.zst.tmp`, each frame read back and compared
//! with the segment as soon as it is written (on a second thread, so that
//! compressing and checking overlap: `verify_frames`), fsync it,
//! check its seek table lists the frames compared, rename it, fsync the
//! directory, and only then unlink the segment. A crash leaves the segment
//! or a verified copy (or both); running it again finishes the job.

use super::cuts::{walk_ahead, DEFAULT_FRAME_SIZE};
use super::durable::{
    check_same_bytes, move_aside, open_for_conversion, remove_durably, rename_durably, same_frame,
    sync, Step,
};
use super::frame_decoder::{starts_with_zstd_frame, Frame, FrameDecoder};
use super::frame_stream::is_frame_damage;
use super::frame_writer::{SeekableWriter, DEFAULT_LEVEL};
use super::open::is_table_lost;
use super::seek_table::{FrameEntry, MAX_FRAME_DECOMPRESSED};
use super::segment::CompressedSegment;
use super::source::{read_frame, source_len};
use super::type_copies::{
    copy_frames, CopyDirectory, TypeCopies, COPY_DIRECTORY_MAGIC, COPY_FRAME_MAGIC,
};
use crate::error::{Error, ErrorKind, Result};
use crate::format::seal::SealDirectory;
use crate::source::{map_file, open_segment_file, PlainSegment};
use crate::sys::with_suffix;
use std::fs::{File, OpenOptions};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

/// How to compress: the zstd level and the size of the record frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompressOptions {
    /// zstd level (3, zstd's default, unless set; up to 22, slower and
    /// smaller; negative levels are faster and larger).
    pub level: i32,
    /// Original bytes per frame at most (1 MiB by default); smaller frames
    /// make random reads cheaper and compress a little worse.
    pub frame_size: u64,
}

impl Default for CompressOptions {
    fn default() -> CompressOptions {
        CompressOptions {
            level: DEFAULT_LEVEL,
            frame_size: DEFAULT_FRAME_SIZE,
        }
    }
}

/// What a conversion produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted {
    /// The file written.
    pub path: PathBuf,
    /// The source file's length in bytes.
    pub original_len: u64,
    /// The written file's length in bytes.
    pub compressed_len: u64,
    /// The zstd frames written (type copies' frames included).
    pub frames: usize,
}

/// Compresses the sealed segment at `path` into `path` + `.zst` and removes
/// `path`; see the module's documentation.
pub fn compress_segment(path: &Path, opts: &CompressOptions) -> Result<Converted> {
    compress_segment_with_copies(path, opts, &TypeCopies::default(), |_| {})
}

/// `compress_segment`, calling `on_step` after each step (for the tests).
#[cfg(any(test, feature = "internals"))]
pub fn compress_segment_with(
    path: &Path,
    opts: &CompressOptions,
    on_step: impl FnMut(Step),
) -> Result<Converted> {
    compress_segment_with_copies(path, opts, &TypeCopies::default(), on_step)
}

/// `compress_segment_with`, choosing which rare types get a second copy
/// of their records with `copies` (`compress_segment` uses
/// `TypeCopies::default()`; `TypeCopies::NONE` makes none).
pub fn compress_segment_with_copies(
    path: &Path,
    opts: &CompressOptions,
    copies: &TypeCopies,
    mut on_step: impl FnMut(Step),
) -> Result<Converted> {
    opts.validate()?;
    if !copies.is_valid() {
        let what = format!("type copies' share {} (0 to 1)", copies.max_share);
        return Err(Error::invalid(what));
    }
    let zst = compressed_path(path);
    let tmp = compressed_tmp_path(path);
    let reader = sealed_segment(path)?;
    let original = open_for_conversion(path, &tmp)?;
    if zst.exists() {
        // A crash between the rename and the unlink (the copy was verified
        // before its rename): finish. A copy damaged since is made again.
        // A whole file that is not the segment's copy is moved aside to
        // `<zst>.differs`, and the copy made.
        match check_copy(&zst, &original, path) {
            Ok(done) => {
                remove_durably(path)?;
                on_step(Step::SourceRemoved);
                return Ok(done);
            }
            // Damaged (its frames or seek table), not whole but different.
            Err(e) if is_frame_damage(&e) || is_table_lost(&e) => remove_durably(&zst)?,
            // A whole file of other bytes (or of no segment).
            Err(e) if matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::NotABinlog) => {
                drop(move_aside(&zst, "differs")?)
            }
            Err(e) => return Err(e),
        }
    }
    let done = write_compressed(&reader, &original, &tmp, opts, copies).and_then(|verified| {
        on_step(Step::Written);
        check_layout(&tmp, &verified, &original, path)
    });
    let done = done.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        let why = match e.kind().is_io() {
            true => "not finished",
            false => "failed verification",
        };
        e.with_detail(|d| format!("{d} (compressed copy {why}, removed)"))
    })?;
    on_step(Step::Verified);
    rename_durably(&tmp, &zst)?;
    on_step(Step::Renamed);
    remove_durably(path)?;
    on_step(Step::SourceRemoved);
    Ok(Converted { path: zst, ..done })
}

/// The file `compress_segment` makes of the segment at `path`:
/// `path` + `.zst`.
pub fn compressed_path(path: &Path) -> PathBuf {
    with_suffix(path, ".zst")
}

/// The temporary file `compress_segment` writes the segment at `path` to
/// before it is verified: `path` + `.zst.tmp`.
pub fn compressed_tmp_path(path: &Path) -> PathBuf {
    with_suffix(path, ".zst.tmp")
}

impl CompressOptions {
    /// Fails unless zstd takes the level and the frame size is 1 byte to
    /// 1 GiB.
    pub fn validate(&self) -> Result<()> {
        let levels = zstd::compression_level_range();
        let (min, max, level) = (levels.start(), levels.end(), self.level);
        if !levels.contains(&level) {
            let what = format!("compression level {level} (zstd takes {min} to {max})");
            return Err(Error::invalid(what));
        }
        if self.frame_size == 0 || self.frame_size > MAX_FRAME_DECOMPRESSED {
            let what = format!("frame size {} (1 byte to 1 GiB)", self.frame_size);
            return Err(Error::invalid(what));
        }
        Ok(())
    }
}

/// Opens `path`, which must be a sealed segment (its seal intact) that no
/// writer holds. A compressed one (or its copy, `path` missing) is refused
/// once it opens as a reader opens it (an error of its open first).
fn sealed_segment(path: &Path) -> Result<PlainSegment> {
    let refused = |kind, what: &str| Err(Error::file(kind, path, what));
    let (opened, file) = open_segment_file(path)?;
    if starts_with_zstd_frame(&file) {
        CompressedSegment::open_source(opened, Box::new(file), false)?;
        let what = "is already a compressed segment";
        return refused(ErrorKind::InvalidArgument, what);
    }
    let reader = PlainSegment::of_file(opened, file)?;
    if reader.has_writer()? {
        let what = "a writer holds the segment; only a sealed segment is compressed";
        return refused(ErrorKind::Locked, what);
    }
    if reader.seal().is_none() {
        return match reader.has_seal_trailer() {
            true => refused(ErrorKind::CorruptSeal, "its seal is damaged (repair it first); only a segment with an intact seal is compressed"),
            false => refused(ErrorKind::InvalidArgument, "the segment is not sealed; only a sealed segment is compressed"),
        };
    }
    Ok(reader)
}

/// Writes the compressed copy of the segment `original` to `tmp` and
/// fsyncs it, each frame verified as written (`verify_frames`); returns the
/// frames verified.
fn write_compressed(
    reader: &PlainSegment,
    original: &File,
    tmp: &Path,
    opts: &CompressOptions,
    copies: &TypeCopies,
) -> Result<Vec<FrameEntry>> {
    let map = map_file(original, reader.path())?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| Error::io(tmp, "create", e))?;
    let verified = std::thread::scope(|s| {
        let (written, to_verify) = std::sync::mpsc::sync_channel(FRAMES_AHEAD);
        let (file, map, plain) = (&file, &map[..], reader.path());
        let checker = s.spawn(move || verify_frames(file, tmp, map, plain, to_verify));
        // The checker returns (its receiver gone) only once it has failed
        // or the sender is dropped: a failed send stops the writer.
        let send = |entry| {
            written
                .send(entry)
                .map_or(ControlFlow::Break(()), ControlFlow::Continue)
        };
        let wrote = write_frames(reader, map, file, tmp, opts, copies, send);
        drop(written);
        let checked = checker.join().expect("the frame checker does not panic");
        // The checker's reason first: a writer stopped for it, and any
        // error of the writer's own came after it.
        let verified = checked?;
        match wrote? {
            ControlFlow::Continue(()) => Ok(verified),
            ControlFlow::Break(()) => {
                let what = "the frame checker stopped before the last frame";
                Err(Error::file(ErrorKind::Io, tmp, what))
            }
        }
    })?;
    keep_modified_time(original, &file, tmp)?;
    // Unmapping the segment, whose pages the compression all faulted in,
    // takes about as long as the fsync waits for the disk: they overlap.
    std::thread::scope(|s| {
        s.spawn(move || drop(map));
        sync(&file, tmp)
    })?;
    Ok(verified)
}

/// Writes the frames of the segment `map` and the seek table to `file`
/// (at `tmp`), calling `written` with each frame's entry once its bytes
/// are in the file; stops, writing no seek table, at the first `Break`.
fn write_frames(
    reader: &PlainSegment,
    map: &[u8],
    file: &File,
    tmp: &Path,
    opts: &CompressOptions,
    copies: &TypeCopies,
    mut written: impl FnMut(FrameEntry) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let seal = reader.seal().expect("checked sealed");
    let data_start = reader.data_start();
    // A write that fails names the copy and where in it the frame starts.
    let io = |at: u64, e| Error::io_at(tmp, at, "write compressed copy", e);
    let mut out = SeekableWriter::new(file, opts.level).map_err(|e| io(0, e))?;
    // The cuts are found on a thread of their own, a few frames ahead; it
    // stops once the compression below returns, done, failed or stopped.
    let (compressed, _) = walk_ahead(map, data_start, seal, opts.frame_size, |cuts| {
        let mut ends = Vec::new();
        for end in cuts {
            let start = ends.last().map_or(0, |&e| e as usize);
            let frame = out.frame(&map[start..end as usize]);
            if written(frame.map_err(|e| io(out.written(), e))?).is_break() {
                return Ok(ControlFlow::Break(()));
            }
            ends.push(end);
            if end == seal.records_end {
                // Every record frame's end is known: the copies' choice
                // (see `TypeCopies::chosen`) needs no more.
                let copied = copies.chosen(map, seal, &ends);
                if !copied.is_empty() {
                    write_type_copies(&mut out, map, seal, &copied, opts.frame_size)
                        .map_err(|e| io(out.written(), e))?;
                }
            }
        }
        Ok::<_, Error>(ControlFlow::Continue(()))
    });
    if compressed?.is_break() {
        return Ok(ControlFlow::Break(()));
    }
    let table_at = out.written();
    out.finish().map_err(|e| io(table_at, e))?;
    Ok(ControlFlow::Continue(()))
}

/// Writes the copies of the types `ids` of the sealed segment `file` to
/// `out` after the frame that ends the records: each type's copy frames,
/// in id order, then the directory.
fn write_type_copies<W: std::io::Write>(
    out: &mut SeekableWriter<W>,
    file: &[u8],
    seal: &SealDirectory,
    ids: &[u32],
    frame_size: u64,
) -> std::io::Result<()> {
    let mut directory = CopyDirectory::default();
    for &id in ids {
        copy_frames(file, seal, id, frame_size, |frame, records| {
            directory.frames.push(frame);
            out.skippable_compressed(COPY_FRAME_MAGIC, records)
        })?;
    }
    out.skippable(COPY_DIRECTORY_MAGIC, &directory.encode())
}

/// Gives the copy `file` (at `tmp`) the modification time of `original`:
/// a log ages a sealed segment it finds by that time (age retention), so
/// compressing it must not make it young again.
fn keep_modified_time(original: &File, file: &File, tmp: &Path) -> Result<()> {
    let modified = original
        .metadata()
        .and_then(|m| m.modified())
        .map_err(|e| Error::io(tmp, "read the segment's modification time", e))?;
    file.set_modified(modified)
        .map_err(|e| Error::io(tmp, "set modification time", e))
}

/// Checks that the compressed copy at `tmp`, whose frames were verified
/// as written (`verified`), lists exactly those frames in its seek table,
/// covering every byte of the segment `original` (at `original_path`).
fn check_layout(
    tmp: &Path,
    verified: &[FrameEntry],
    original: &File,
    original_path: &Path,
) -> Result<Converted> {
    let copy = CompressedSegment::open(tmp)?;
    let len = source_len(original, original_path)?;
    if copy.frames() != verified || copy.original_len() != len {
        let (listed, bytes, n) = (copy.frames().len(), copy.original_len(), verified.len());
        let what = format!(
            "its seek table lists {listed} frames of {bytes} bytes, not the {n} frames of {len} \
             bytes verified"
        );
        return Err(Error::file(ErrorKind::Corrupt, tmp, what));
    }
    converted(&copy, tmp)
}

/// Opens the compressed copy at `zst` and checks it holds exactly the bytes
/// of `original` (at `original_path`).
fn check_copy(zst: &Path, original: &File, original_path: &Path) -> Result<Converted> {
    let mut copy = CompressedSegment::open(zst)?;
    check_same_bytes(&mut copy, original, original_path)?;
    converted(&copy, zst)
}

/// What a conversion to or from `segment` made: the file at `path`.
pub(super) fn converted(segment: &CompressedSegment, path: &Path) -> Result<Converted> {
    Ok(Converted {
        path: path.to_path_buf(),
        original_len: segment.original_len(),
        compressed_len: source_len(segment.file.as_ref(), segment.path())?,
        frames: segment.frames().len(),
    })
}

/// Frames written and not yet verified, at most: bounds how far the
/// writer runs ahead (each is re-read from the file, not held in memory).
pub(super) const FRAMES_AHEAD: usize = 8;

/// Verifies each frame `written` announces (once in the file `tmp`, read
/// through `copy`) against the bytes `plain` of the segment at
/// `plain_path`, until the sender is dropped; returns the frames verified.
pub(super) fn verify_frames(
    copy: &File,
    tmp: &Path,
    plain: &[u8],
    plain_path: &Path,
    written: Receiver<FrameEntry>,
) -> Result<Vec<FrameEntry>> {
    let mut decoder = FrameDecoder::default();
    let (mut compressed, mut ours) = (Vec::new(), Vec::new());
    let mut verified = Vec::new();
    for entry in written {
        read_frame(copy, tmp, &entry, &mut compressed)?;
        let frame = Frame::new(tmp, verified.len(), entry);
        decoder.decode(frame, &compressed, &mut ours)?;
        #[cfg(test)]
        failing::spoil_if_asked(tmp, entry.offset, &mut ours);
        let theirs = usize::try_from(entry.offset)
            .ok()
            .and_then(|at| plain.get(at..at.checked_add(ours.len())?));
        same_frame(tmp, entry.offset, &ours, theirs, plain_path)?;
        verified.push(entry);
    }
    Ok(verified)
}

/// Checks made to fail, for the tests of a compression whose checker
/// fails: the frame at an original offset of a copy decompresses, for the
/// checker, to other bytes than the segment's.
#[cfg(test)]
pub(super) mod failing {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// The copies (by path) and original offsets whose frames fail; by
    /// path, so that tests running at once do not fail each other's.
    static FAILING: Mutex<Vec<(PathBuf, u64)>> = Mutex::new(Vec::new());

    /// Makes the check of the frame at original offset `offset` of the
    /// copy written to `tmp` fail, until `stop_failing(tmp)`.
    pub fn fail_check_at(tmp: &Path, offset: u64) {
        FAILING.lock().unwrap().push((tmp.to_path_buf(), offset));
    }

    pub fn stop_failing(tmp: &Path) {
        FAILING.lock().unwrap().retain(|(p, _)| p != tmp);
    }

    /// Flips the first byte of the frame at `offset` of `tmp`, decompressed
    /// (`ours`, never empty), if its check is to fail.
    pub fn spoil_if_asked(tmp: &Path, offset: u64, ours: &mut [u8]) {
        let failing = FAILING.lock().unwrap();
        if failing.iter().any(|(p, at)| p == tmp && *at == offset) {
            ours[0] ^= 0xFF;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cuts::frame_ends;
    use super::super::frame_walk::walk_frames;
    use super::super::test_segment::sealed;
    use super::failing::{fail_check_at, stop_failing};
    use super::*;

    #[test]
    fn a_frame_that_fails_its_check_stops_the_compression_and_is_reported() {
        let path = sealed("check-fails");
        let opts = CompressOptions {
            level: 1,
            frame_size: 4096,
        };
        let reader = sealed_segment(&path).unwrap();
        let plain = std::fs::read(&path).unwrap();
        let seal = reader.seal().unwrap();
        let ends = frame_ends(&plain, reader.data_start(), seal, opts.frame_size);
        // The fourth frame fails: the writer, at most `FRAMES_AHEAD` frames
        // ahead of the checker and one more it could not hand over, stops.
        let failing = 3;
        let most_written = failing + 1 + FRAMES_AHEAD + 1;
        assert!(ends.len() > 10 * most_written, "{} frames", ends.len());
        let offset = ends[failing - 1];
        let tmp = compressed_tmp_path(&path);
        fail_check_at(&tmp, offset);

        let original = File::open(&path).unwrap();
        let e = write_compressed(&reader, &original, &tmp, &opts, &TypeCopies::NONE).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert_eq!(e.path(), Some(tmp.as_path()), "{e}");
        assert!(
            e.to_string()
                .contains(&format!("original offset {offset} ")),
            "{e}"
        );
        let copy = File::open(&tmp).unwrap();
        let walk = walk_frames(&copy, copy.metadata().unwrap().len()).unwrap();
        let written = walk.frames.frames.len();
        assert!(
            (failing + 1..=most_written).contains(&written),
            "{written} of {} frames written",
            ends.len()
        );
        drop((copy, original));
        std::fs::remove_file(&tmp).unwrap();

        // Compressing the segment fails with the checker's error, removes
        // the copy and leaves the segment as it was.
        let e = compress_segment(&path, &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(
            e.to_string()
                .contains(&format!("original offset {offset} ")),
            "{e}"
        );
        assert!(
            e.to_string().contains("failed verification, removed"),
            "{e}"
        );
        assert!(!tmp.exists() && !compressed_path(&path).exists());
        assert_eq!(std::fs::read(&path).unwrap(), plain);

        stop_failing(&tmp);
        compress_segment(&path, &opts).unwrap();
    }

    /// A file of frames compressed from `parts`, and their entries.
    fn frames_file(name: &str, parts: &[&[u8]]) -> (std::path::PathBuf, Vec<FrameEntry>) {
        let path = crate::sys::scratch::empty_dir(&format!("verify-ahead-{name}")).join("frames");
        let file = File::create(&path).unwrap();
        let mut w = SeekableWriter::new(&file, 3).unwrap();
        let entries = parts.iter().map(|p| w.frame(p).unwrap()).collect();
        w.finish().unwrap();
        (path, entries)
    }

    fn verify(path: &Path, entries: &[FrameEntry], plain: &[u8]) -> Result<Vec<FrameEntry>> {
        let (tx, rx) = std::sync::mpsc::sync_channel(FRAMES_AHEAD);
        for e in entries {
            tx.send(*e).unwrap();
        }
        drop(tx);
        let copy = File::open(path).unwrap();
        verify_frames(&copy, path, plain, Path::new("seg.binlog"), rx)
    }

    #[test]
    fn frames_that_hold_the_segment_are_verified_and_others_refused_with_their_offset() {
        let (path, entries) = frames_file("ok", &[b"header..", b"records", b"seal"]);
        let plain = b"header..recordsseal";
        assert_eq!(verify(&path, &entries, plain).unwrap(), entries);
        let other = b"header..recordXseal";
        let e = verify(&path, &entries, other).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(e.to_string().contains("original offset 8"), "{e}");
        let e = verify(&path, &entries, &plain[..12]).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Corrupt,
            "a segment shorter than the frames: {e}"
        );
    }
}
