//! The bytes of a compressed segment (`.binlog.zst`) for the commands that
//! walk a segment's bytes (verify, dump, repair --salvage): decompressed
//! frame by frame into an unlinked temporary file, which is then mapped, so
//! that memory stays flat (the page cache holds the bytes). A frame that
//! does not decompress becomes zeros of its original size (no valid frame
//! starts with a zero length: the walk finds a damaged region there) and a
//! note naming the file, the frame and its offsets. A file whose seek table
//! is lost (cut short) gives the whole frames before the damage, and a
//! note.

use super::analysis::Issue;
use super::{Analysis, IssueKind, RecordsEnd, WalkError};
pub use binlog::compressed::frame_decoder::starts_with_zstd_frame as is_compressed;
use binlog::compressed::CompressedSegment;
use binlog::ErrorKind;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// How a compressed segment's file ends: with its seek table, or without
/// (the table's error: the file was cut short, or the table is broken).
pub struct FileEnd {
    table_lost: Option<String>,
}

impl FileEnd {
    /// Corrects the analysis of a compressed segment's bytes for what they
    /// do not show: a compressed segment is always sealed (only a sealed
    /// segment is compressed), so bytes that end without a seal lost it
    /// (the file was cut short: the frames after the last whole one are
    /// gone), and a lost seek table is damage even when every byte of the
    /// segment is there.
    pub fn judge(&self, a: &mut Analysis) {
        let at = a.file_len;
        let what = match (&self.table_lost, a.end) {
            (_, RecordsEnd::Unsealed) => {
                a.end = RecordsEnd::SealDamaged { offset: at };
                format!(
                    "a compressed segment ends in a seal, and this one's is lost (the frames \
                     after offset {at} are gone); every record before it is intact, and \
                     `binlog repair` rewrites it"
                )
            }
            (Some(lost), _) if a.is_clean() => format!(
                "the compressed file's seek table is lost ({lost}); every record is intact, \
                 and `binlog repair` rewrites it"
            ),
            _ => return,
        };
        a.issues.push(Issue {
            kind: IssueKind::Seal,
            offset: at,
            len: 0,
            resume: None,
            message: what,
        });
    }
}

/// The analysis of a compressed segment with no whole frame left (`what`
/// says why), and its bytes (none): a header lost, no record found.
pub fn nothing_left(what: String) -> (Analysis, memmap2::Mmap) {
    let mut w = super::Walker::new(0);
    w.issue(
        IssueKind::Header,
        0,
        0,
        None,
        format!("{what}; no whole frame is left to read"),
    );
    let mut a = w.into_analysis();
    a.end = RecordsEnd::Unreadable;
    let none = memmap2::MmapOptions::new()
        .len(0)
        .map_anon()
        .and_then(|m| m.make_read_only())
        .expect("an empty anonymous map");
    (a, none)
}

/// The original bytes of the compressed segment at `path`, in an unlinked
/// temporary file, a note for each frame that did not decompress, and how
/// the file ends.
pub fn decompressed(path: &Path) -> Result<(File, Vec<String>, FileEnd), WalkError> {
    let not_read = |e: binlog::Error| match e.kind() {
        ErrorKind::Io => WalkError::Io(e.message().to_string()),
        ErrorKind::CompressedTruncated | ErrorKind::CorruptSeekTable => {
            WalkError::Lost(e.message().to_string())
        }
        _ => WalkError::NotSegment(e.message().to_string()),
    };
    let (mut seg, table_lost) = CompressedSegment::open_frames_salvage(path).map_err(not_read)?;
    let (file, tmp) = temp_file()?;
    let io = |e: std::io::Error| WalkError::Io(format!("{}: {e}", tmp.display()));
    let mut out = BufWriter::with_capacity(1 << 20, &file);
    let mut notes = Vec::new();
    if let Some(e) = &table_lost {
        notes.push(format!(
            "offset {}: {}; read the {} whole frames before it (original bytes 0..{})",
            e.offset().unwrap_or(0),
            e.detail(),
            seg.frames().len(),
            seg.original_len()
        ));
    }
    let end = FileEnd {
        table_lost: table_lost.map(|e| e.detail().to_string()),
    };
    let mut frame = Vec::new();
    for i in 0..seg.frames().len() {
        let f = seg.frames()[i];
        match seg.frame_into(i, &mut frame) {
            Ok(()) => out.write_all(&frame).map_err(io)?,
            Err(e) if e.kind() == ErrorKind::Io => return Err(not_read(e)),
            Err(e) => {
                notes.push(format!(
                    "original bytes {}..{} are lost: {}",
                    f.offset,
                    f.end(),
                    e.message()
                ));
                frame.clear();
                frame.resize(f.size as usize, 0);
                out.write_all(&frame).map_err(io)?;
            }
        }
    }
    out.flush().map_err(io)?;
    drop(out);
    if end.table_lost.is_none() {
        notes.extend(damaged_type_copies(path, &file));
    }
    Ok((file, notes, end))
}

/// What is wrong with the type copies of the compressed segment at `path`
/// (docs/FORMAT.md 17.5), checked against its original bytes in
/// `original`: a reader does not use a damaged copy (it reads the main
/// frames), so no record is lost, but the copy is named. Nothing for a
/// segment whose header or seal cannot be read (reported otherwise).
fn damaged_type_copies(path: &Path, original: &File) -> Vec<String> {
    let Ok(mut segment) = CompressedSegment::open(path) else {
        return Vec::new();
    };
    let unused = "not used: its type is read from the main frames";
    segment
        .check_type_copies(original)
        .iter()
        .map(|e| format!("{} ({unused})", e.message()))
        .collect()
}

/// A new file in the temporary directory, already unlinked (it goes when
/// closed), and the name it had.
fn temp_file() -> Result<(File, std::path::PathBuf), WalkError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = std::env::temp_dir().join(format!(
        "binlog-decompressed-{}-{n}.binlog",
        std::process::id()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| WalkError::Io(format!("{}: create: {e}", tmp.display())))?;
    let _ = std::fs::remove_file(&tmp);
    Ok((file, tmp))
}
