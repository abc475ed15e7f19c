//! A log's files with their state, for uploaders and tools: which segments
//! are sealed (never written again: safe to upload or archive), which one
//! is being written or sealed, and which files `binlog repair --salvage`
//! made, in the order a log reader reads them.

use super::segments;
#[cfg(feature = "compression")]
use crate::compressed::CompressedSegment;
use crate::error::{ErrorKind, Result};
use crate::format::naming;
use crate::reader::{Reader, Tail};
use std::path::{Path, PathBuf};

/// Where a log's file is in its one-way lifecycle (docs/FORMAT.md
/// section 14a, Rolling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentState {
    /// No seal: being written, or its writer stopped between records.
    Active,
    /// Its records are closed by a `SEAL_BEGIN` frame and the rest of the
    /// seal is not written (yet): no record is added any more.
    Ending,
    /// Sealed (its seal trailer is whole): it never changes again.
    Sealed,
    /// Its header cannot be read (damaged, not a segment, or cut short in
    /// an older segment); `first_seq` and `last_seq` are unknown.
    Unreadable,
}

/// One file of a log, as [`list_segments`] found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedSegment {
    /// The file.
    pub path: PathBuf,
    /// Its segment number (a salvaged file's is its segment's).
    pub segment_no: u64,
    /// For a file `binlog repair --salvage` made: the offset in its segment
    /// the records it holds were copied from.
    pub salvaged_offset: Option<u64>,
    /// What state the file is in.
    pub state: SegmentState,
    /// The first record's sequence number, from the header (also of a
    /// segment that holds no record yet: the number its first will carry).
    pub first_seq: Option<u64>,
    /// The last record's sequence number, once the records are closed
    /// (`Sealed` or `Ending`) and there is one; `None` while `Active`.
    pub last_seq: Option<u64>,
    /// The file's size in bytes when listed (of a compressed segment: its
    /// compressed size, what it takes on disk).
    pub bytes: u64,
    /// For a compressed segment (`<segment>.binlog.zst`, always sealed):
    /// the size of the segment it holds, once its seek table was read;
    /// `None` for a plain file.
    pub original_bytes: Option<u64>,
}

impl ListedSegment {
    /// For a salvaged file: the offset and copy number its name carries
    /// (`naming::salvaged_name`), where it stands after its segment.
    #[cfg(feature = "s3")]
    pub(crate) fn salvaged_order(&self) -> Option<(u64, u64)> {
        self.salvaged_offset?;
        let name = self.path.file_name()?.to_str()?;
        naming::split_salvaged(name).map(|(_, at)| at)
    }

    /// Whether the file is a compressed segment (its name ends in
    /// `.binlog.zst`).
    pub fn is_compressed(&self) -> bool {
        naming::is_compressed_path(&self.path)
    }
}

/// Every file of log `name` in `dir` in read order, with its state. A
/// sealed segment costs reading its header and seal; one without a seal is
/// read to its end to tell `Ending` from `Active`. A file removed while
/// listing is left out. A live log may roll or seal meanwhile.
pub fn list_segments(dir: impl AsRef<Path>, name: &str) -> Result<Vec<ListedSegment>> {
    super::options::validate_name(name)?;
    let mut out = Vec::new();
    // The last file found cut short inside its header.
    let mut cut_short = None;
    for f in segments::list_files(dir.as_ref(), name)? {
        let bytes = match std::fs::metadata(&f.path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(crate::error::Error::io(&f.path, "stat", e)),
        };
        let mut listed = ListedSegment {
            path: f.path,
            segment_no: f.order.segment_no,
            salvaged_offset: f.order.salvaged.map(|(offset, _)| offset),
            state: SegmentState::Unreadable,
            first_seq: None,
            last_seq: None,
            bytes,
            original_bytes: None,
        };
        #[cfg(feature = "compression")]
        if listed.is_compressed() {
            match CompressedSegment::open(&listed.path) {
                Ok(c) => describe_compressed(&c, &mut listed),
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(_) => {}
            }
            out.push(listed);
            continue;
        }
        match Reader::open(&listed.path) {
            Ok(r) => describe(r, &mut listed),
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) if e.kind() == ErrorKind::Truncated => cut_short = Some(out.len()),
            Err(_) => {}
        }
        out.push(listed);
    }
    // The newest segment of a live log may be caught between its creation
    // and its header write: being created, it is `Active`, not unreadable.
    let newest = out.iter().rposition(|l| l.salvaged_offset.is_none());
    if let Some(i) = cut_short.filter(|&i| Some(i) == newest) {
        out[i].state = SegmentState::Active;
    }
    Ok(out)
}

#[cfg(feature = "compression")]
/// Fills in `l`'s state, sequence numbers and original size from its
/// compressed segment (no record is decompressed).
fn describe_compressed(c: &CompressedSegment, l: &mut ListedSegment) {
    l.state = SegmentState::Sealed;
    l.first_seq = Some(c.header().first_seq);
    l.last_seq = (c.seal().record_count > 0).then_some(c.seal().last_seq);
    l.original_bytes = Some(c.original_len());
}

/// Fills in `l`'s state and sequence numbers from the reader of its file.
fn describe(mut r: Reader, l: &mut ListedSegment) {
    let first = r.header().first_seq;
    l.first_seq = Some(first);
    if let Some(d) = r.seal() {
        l.state = SegmentState::Sealed;
        l.last_seq = (d.record_count > 0).then_some(d.last_seq);
        return;
    }
    // No usable seal: read to the end to find how the records end.
    r.skip_damaged(true);
    while let Ok(Some(_)) = r.next() {}
    let closed = |n: u64| (n > first).then(|| n - 1);
    l.state = if r.has_seal_trailer() {
        SegmentState::Sealed
    } else if matches!(r.tail(), Tail::SealDamaged { .. }) {
        SegmentState::Ending
    } else {
        SegmentState::Active
    };
    if l.state != SegmentState::Active {
        l.last_seq = closed(r.next_seq());
    }
}
