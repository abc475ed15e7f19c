//! The record region of a dump, frame by frame: each record with its
//! header fields and first payload bytes; a bad frame with what is wrong,
//! after which the dump resumes at the next valid record (as a reader's
//! scan would).

use super::{DumpArgs, DumpOutput, Field};
use crate::error::CliResult;
use crate::output;
use binlog::codec::{
    self as frame, crc32, FrameAt, MetaIter, RecordBody, SealDirectory, FLAG_DEFINES_TYPE,
    FLAG_HAS_META, FRAME_HEADER_LEN, KIND_MASK, KIND_RECORD, KIND_SEAL_BEGIN,
};
use binlog::Damage;
use std::collections::HashMap;
use std::path::Path;

/// The dump of a segment's record region.
pub(super) struct RecordDump<'m> {
    map: &'m [u8],
    /// The record region: the file up to the seal, or all of it.
    data: &'m [u8],
    /// The segment has a valid seal (which the dump shows after the
    /// records).
    sealed: bool,
    /// Type names by id, as the library's reader names them (a type whose
    /// defining record it lost included), else as the records define them.
    types: HashMap<u32, String>,
    /// The damaged regions the library's reader skipped, in file order:
    /// where the dump resumes after a bad frame (it has no rule of its own).
    regions: Vec<Damage>,
    /// The bytes from here on were zeros when the dump began (see
    /// `original::zeros_from`): a durable writer's space prepared ahead, which
    /// ends an unsealed segment's records and is never read through the map.
    zeros_from: usize,
    /// Payload bytes shown per record (`--bytes`).
    bytes: usize,
}

impl<'m> RecordDump<'m> {
    /// The dump of `map`, the bytes of the segment at `path`, and what the
    /// library's reader finds in it (`read_by_reader`).
    pub(super) fn new(
        map: &'m [u8],
        sealdir: Option<&SealDirectory>,
        path: &Path,
        zeros_from: usize,
    ) -> RecordDump<'m> {
        let end = sealdir.map_or(map.len(), |s| s.records_end as usize);
        let mut dump = RecordDump {
            map,
            data: &map[..end],
            sealed: sealdir.is_some(),
            types: HashMap::new(),
            regions: Vec::new(),
            zeros_from,
            bytes: 0,
        };
        dump.read_by_reader(path);
        dump
    }

    /// Notes what the library's reader finds in the segment at `path`,
    /// read to its end skipping damage as `binlog verify` reads it: each
    /// type's name as it names it (`unknown-type-<id>` for a type it lost
    /// the name of), and the damaged regions it skipped (nothing if it
    /// cannot be opened: the dump then shows the bytes without resuming or
    /// names).
    fn read_by_reader(&mut self, path: &Path) {
        let Ok(mut r) = binlog::Reader::open_salvage(path) else {
            return;
        };
        r.skip_damaged(true);
        // `next`, not `next_header`: every record's CRC is checked, as
        // verify checks it. A read that fails ends what is known.
        while let Ok(Some(rec)) = r.next() {
            let name = || output::shown_type_name(&rec).into_owned();
            self.types.entry(rec.type_id()).or_insert_with(name);
        }
        self.regions = r.damages().to_vec();
    }

    /// Dumps the frames from `p`, at most `--limit` of them; true if it
    /// reached the end of the record region (the seal follows), false if
    /// it stopped before. With `--from-offset`, the dump starts at the
    /// first record at or after it, the records before it read (not
    /// printed): an offset inside a record is not damage, and the records
    /// before it give the types' names.
    pub fn dump(&mut self, d: &mut DumpOutput, mut p: usize, args: &DumpArgs) -> CliResult<bool> {
        self.bytes = args.bytes;
        let limit = args.limit.unwrap_or(u64::MAX);
        let from = args.from_offset.unwrap_or(0);
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        let mut shown = 0u64;
        while p < self.data.len() {
            if p >= from && shown >= limit {
                if !args.json {
                    writeln!(d.out, "... stopped after {limit} frames (--limit)")?;
                }
                return Ok(false);
            }
            shown += u64::from(p >= from);
            let next = match frame::frame_at(self.data, p, true) {
                FrameAt::Frame {
                    kind: KIND_RECORD,
                    body,
                    total,
                } if frame::decode_record(body).is_some() => {
                    match p < from {
                        true => self.name_type(&frame::decode_record(body).expect("checked")),
                        false => self.record(d, p, body, total)?,
                    }
                    Some(p + total)
                }
                // Damage before the offset: where records resume, if before
                // it; else the dump starts at the offset, in the damage.
                _ if p < from => Some(self.resume_after(p).filter(|&q| q < from).unwrap_or(from)),
                FrameAt::Frame {
                    kind: KIND_SEAL_BEGIN,
                    total,
                    body,
                } if !self.sealed => {
                    self.seal_begin(d, p, body, total)?;
                    None
                }
                other => self.bad_frame(d, p, other)?,
            };
            let Some(q) = next else { return Ok(false) };
            p = q;
        }
        Ok(true)
    }

    /// A valid record at `p` (`body`, `total` bytes with its frame header),
    /// with its first `--bytes` payload bytes.
    fn record(&mut self, d: &mut DumpOutput, p: usize, body: &[u8], total: usize) -> CliResult<()> {
        let r = frame::decode_record(body).expect("checked");
        self.name_type(&r);
        let named = self.types.get(&r.type_id).cloned();
        let tname = named.unwrap_or_else(|| output::lost_type_name(r.type_id));
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let meta = MetaIter::new(r.meta).map(|(k, v)| (text(k), text(v)));
        let n = r.payload.len().min(self.bytes);
        let shown = Field::Bytes(r.payload[..n].to_vec(), r.payload.len() > n);
        let (_, stored) = frame::frame_header(self.data, p).expect("a whole frame");
        let mut fields = vec![
            ("body", Field::Unsigned((total - FRAME_HEADER_LEN) as u64)),
            ("crc", Field::Crc(stored, stored)),
            ("flags", Field::Flags(body[0], flag_names(body[0]))),
            ("seq", Field::Unsigned(r.seq)),
            ("ts", Field::Time(r.timestamp_ns)),
            ("ts_ns", Field::Signed(r.timestamp_ns)),
            ("type_id", Field::Unsigned(r.type_id as u64)),
            ("type", Field::Quoted(tname)),
        ];
        if r.defines.is_some() {
            fields.push(("defines", Field::YesNo(true)));
        }
        if r.meta_count > 0 {
            fields.push(("meta", Field::Pairs(meta.collect())));
        }
        fields.push(("payload_len", Field::Unsigned(r.payload.len() as u64)));
        fields.push(("payload", shown));
        d.line(p as u64, "record", total as u64, fields)
    }

    /// The SEAL_BEGIN frame of a seal that could not be read, and the rest
    /// of the file after it.
    fn seal_begin(&self, d: &mut DumpOutput, p: usize, body: &[u8], total: usize) -> CliResult<()> {
        // The count its bytes hold where a writer writes it (none: 0),
        // whatever the frame's length and flags: a dump shows what a
        // damaged seal says.
        let le = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
        let count = body.get(1..9).map(le);
        let note = Field::Bare("the seal after it is damaged or incomplete".into());
        let fields = vec![
            ("record_count", Field::Unsigned(count.unwrap_or(0))),
            ("note", note),
        ];
        d.line(p as u64, "seal-begin", total as u64, fields)?;
        let rest = (self.map.len() - p - total) as u64;
        d.line((p + total) as u64, "rest", rest, vec![])
    }

    /// A bad frame at `p`, what is wrong with it and its first bytes: where
    /// the dump goes on (the next valid record), or None if nothing valid
    /// follows.
    fn bad_frame(&mut self, d: &mut DumpOutput, p: usize, f: FrameAt) -> CliResult<Option<usize>> {
        if !self.sealed && p >= self.zeros_from {
            let note = "zeros prepared ahead by the writer: the records' end so far";
            d.note(p as u64, "zero-tail", (self.map.len() - p) as u64, note)?;
            return Ok(None);
        }
        let why = match f {
            FrameAt::Frame {
                kind: KIND_RECORD, ..
            } => "malformed record body".to_string(),
            FrameAt::Frame { kind, .. } => format!("unexpected frame kind {kind}"),
            FrameAt::Incomplete => "frame extends past the end of the data".to_string(),
            FrameAt::Invalid(w) => w.to_string(),
        };
        let mut fields = vec![("error", Field::Quoted(why))];
        let data = self.data;
        if let Some((len, stored)) = frame::frame_header(data, p) {
            let len = len as usize;
            fields.push(("body_len", Field::Unsigned(len as u64)));
            fields.push(("stored_crc", Field::Hex32(stored)));
            if let Some(body) = data.get(p + FRAME_HEADER_LEN..p + FRAME_HEADER_LEN + len) {
                fields.push(("computed_crc", Field::Hex32(crc32(body))));
            }
        }
        let n = (data.len() - p).min(self.bytes.max(8));
        fields.push(("bytes", Field::Bytes(data[p..p + n].to_vec(), false)));
        d.line(p as u64, "bad-frame", 0, fields)?;
        let Some(q) = self.resume_after(p) else {
            let note = "no valid record after this offset";
            d.note(p as u64, "tail", (self.map.len() - p) as u64, note)?;
            return Ok(None);
        };
        let next = vec![("next_record", Field::Unsigned(q as u64))];
        d.line(p as u64, "skip", (q - p) as u64, next)?;
        Ok(Some(q))
    }

    /// The next valid record after bad bytes at `p`: where the library's
    /// reader resumed after the damaged region holding `p`; `None` if it
    /// found nothing valid after them (a torn tail is no region).
    fn resume_after(&self, p: usize) -> Option<usize> {
        let p = p as u64;
        let holds_p = |d: &&Damage| d.offset <= p && p < d.resume_offset;
        let region = self.regions.iter().find(holds_p)?;
        let resume = usize::try_from(region.resume_offset).ok()?;
        (resume < self.data.len()).then_some(resume)
    }

    /// Notes the type of record `r` when the reader did not name it (a
    /// record it did not read): the name `r` defines, if it does.
    fn name_type(&mut self, r: &RecordBody<'_>) {
        if let Some(name) = r.defines {
            let name = || String::from_utf8_lossy(name).into_owned();
            self.types.entry(r.type_id).or_insert_with(name);
        }
    }
}

fn flag_names(flags: u8) -> Vec<&'static str> {
    let mut names = vec![match flags & KIND_MASK {
        KIND_RECORD => "record",
        KIND_SEAL_BEGIN => "seal-begin",
        3 => "seal-dir",
        _ => "?",
    }];
    if flags & FLAG_DEFINES_TYPE != 0 {
        names.push("defines-type");
    }
    if flags & FLAG_HAS_META != 0 {
        names.push("has-meta");
    }
    names
}
