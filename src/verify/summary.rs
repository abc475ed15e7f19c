//! Summaries: what records hold, in all and per type (records, bytes,
//! first and last sequence numbers and times), counted as they are read
//! from any reader, in memory that grows with the number of types, never
//! with the number of records. `binlog stats` and `binlog info` print them;
//! the C ABI and the bindings hand them out.

use crate::error::Result;
use crate::log::{record_reader::RecordReader, LogReader, MergedReader};
use crate::reader::{Reader, Record};
use std::collections::HashMap;
use std::path::Path;

/// What the records of one type hold (an entry of [`Summary::types`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeSummary {
    /// The type's name.
    pub name: String,
    /// How many records.
    pub records: u64,
    /// Their bytes in the file: framing, type, metadata and payload.
    pub bytes: u64,
    /// Their payloads' bytes.
    pub payload_bytes: u64,
    /// The sequence number of the first record of the type read.
    pub first_seq: u64,
    /// The sequence number of the last record of the type read.
    pub last_seq: u64,
    /// The timestamp (ns since the Unix epoch) of the first record read.
    pub first_ns: i64,
    /// The timestamp of the last record read.
    pub last_ns: i64,
}

/// What records hold: counts, bytes, sequence numbers and times in all and
/// per type, types in the order their first records were read. "First"
/// and "last" are in read order; `min_ns` and `max_ns` are the earliest
/// and latest timestamps (a clock step can put a later record earlier).
/// The sequence numbers and times are `None` when no record was read.
///
/// ```
/// use binlog::{Options, Summary, Writer};
///
/// let dir = std::env::temp_dir().join(format!("binlog-doc-summary-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("orders.binlog");
/// let w = Writer::open(&path, Options::default())?;
/// w.write("order", b"42 widgets")?;
/// w.write("cancel", b"42")?;
/// w.write("order", b"7 gadgets")?;
/// w.close()?;
///
/// let s = binlog::summarize(&path)?;
/// assert_eq!((s.records, s.first_seq, s.last_seq), (3, Some(0), Some(2)));
/// assert_eq!(s.types[0].name, "order");
/// assert_eq!((s.types[0].records, s.types[0].payload_bytes), (2, 19));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// How many records.
    pub records: u64,
    /// Their bytes in the file: framing, type, metadata and payload.
    pub bytes: u64,
    /// Their payloads' bytes.
    pub payload_bytes: u64,
    /// The sequence number of the first record read.
    pub first_seq: Option<u64>,
    /// The sequence number of the last record read.
    pub last_seq: Option<u64>,
    /// The timestamp (ns since the Unix epoch) of the first record read.
    pub first_ns: Option<i64>,
    /// The timestamp of the last record read.
    pub last_ns: Option<i64>,
    /// The earliest timestamp.
    pub min_ns: Option<i64>,
    /// The latest timestamp.
    pub max_ns: Option<i64>,
    /// Per type, in the order of each type's first record.
    pub types: Vec<TypeSummary>,
    /// Each type's place in `types`.
    index: HashMap<String, usize>,
}

impl Summary {
    /// An empty summary, to [`add`](Summary::add) records to.
    pub fn new() -> Summary {
        Summary::default()
    }

    /// Reads `reader` to its end (as far as `next` returns records: a
    /// follower's current end) and summarizes what it read, from where it
    /// stood: a segment's [`Reader`], a [`LogReader`] of a log's directory
    /// or of its shipped segments, with a type filter, seeks or
    /// `skip_damaged` as set on it. An error of `next` (damage, unless the
    /// reader skips it) is returned, and the summary of the records before
    /// it is lost: add them one by one to keep it.
    pub fn of_reader(reader: &mut dyn RecordReader) -> Result<Summary> {
        let mut s = Summary::new();
        while let Some(r) = reader.next()? {
            s.add(&r);
        }
        Ok(s)
    }

    /// [`of_reader`](Summary::of_reader) for the logs of a
    /// [`MergedReader`], in its order.
    pub fn of_merged(reader: &mut MergedReader) -> Result<Summary> {
        let mut s = Summary::new();
        while let Some(m) = reader.next()? {
            s.add(&m.record);
        }
        Ok(s)
    }

    /// Counts one record; returns where its type is in `types`.
    pub fn add(&mut self, r: &Record<'_>) -> usize {
        let (seq, ns, bytes, payload) = (r.seq, r.timestamp_ns, r.frame_len, r.payload.len());
        self.min_ns = Some(self.min_ns.map_or(ns, |m| m.min(ns)));
        self.max_ns = self.max_ns.max(Some(ns));
        self.count(r.type_name, 1, bytes, payload as u64, (seq, seq), (ns, ns))
    }

    /// Adds `other`, a summary of records read after this one's: the
    /// first record stays this one's (if any), the last becomes `other`'s.
    pub fn merge(&mut self, other: &Summary) {
        for t in &other.types {
            let (seqs, times) = ((t.first_seq, t.last_seq), (t.first_ns, t.last_ns));
            self.count(&t.name, t.records, t.bytes, t.payload_bytes, seqs, times);
        }
        self.first_seq = self.first_seq.or(other.first_seq);
        self.first_ns = self.first_ns.or(other.first_ns);
        self.last_seq = other.last_seq.or(self.last_seq);
        self.last_ns = other.last_ns.or(self.last_ns);
        self.min_ns = self.min_ns.into_iter().chain(other.min_ns).min();
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// The summary of type `name`, if a record of it was read.
    pub fn get(&self, name: &str) -> Option<&TypeSummary> {
        self.types.get(self.place(name)?)
    }

    /// Where type `name` is in `types` (the index checked: `types` is public).
    fn place(&self, name: &str) -> Option<usize> {
        match self.index.get(name) {
            Some(&i) if self.types.get(i).is_some_and(|t| t.name == name) => Some(i),
            _ => self.types.iter().position(|t| t.name == name),
        }
    }

    /// Counts `records` records of type `name`, first and last `seqs` and
    /// `times`, read after those counted; returns the type's place.
    fn count(
        &mut self,
        name: &str,
        records: u64,
        bytes: u64,
        payload_bytes: u64,
        seqs: (u64, u64),
        times: (i64, i64),
    ) -> usize {
        self.records += records;
        self.bytes += bytes;
        self.payload_bytes += payload_bytes;
        self.first_seq.get_or_insert(seqs.0);
        self.first_ns.get_or_insert(times.0);
        (self.last_seq, self.last_ns) = (Some(seqs.1), Some(times.1));
        let i = self.place(name).unwrap_or_else(|| {
            self.index.insert(name.to_string(), self.types.len());
            self.types.push(TypeSummary {
                name: name.to_string(),
                records: 0,
                bytes: 0,
                payload_bytes: 0,
                first_seq: seqs.0,
                last_seq: seqs.1,
                first_ns: times.0,
                last_ns: times.1,
            });
            self.types.len() - 1
        });
        let t = &mut self.types[i];
        t.records += records;
        t.bytes += bytes;
        t.payload_bytes += payload_bytes;
        (t.last_seq, t.last_ns) = (seqs.1, times.1);
        i
    }
}

/// The summary of every record at `path`: a segment file (plain or
/// compressed), or a directory that holds one log, read with a
/// [`LogReader`] (a directory of several logs is refused with
/// `ErrorKind::InvalidArgument`: read one with [`Summary::of_reader`]; one
/// of none with `ErrorKind::NotFound`). A log with no segment (none written
/// yet, or every one shipped or deleted) has no record: every count is 0.
/// Damage is an error, as in [`Summary::of_reader`].
pub fn summarize(path: impl AsRef<Path>) -> Result<Summary> {
    let path = path.as_ref();
    match crate::verify::log_at(path, None)? {
        Some(name) => Summary::of_reader(&mut LogReader::open(path, &name)?),
        None => Summary::of_reader(&mut Reader::open(path)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LogOptions, LogWriter, Options, Writer};

    #[test]
    fn a_segment_is_summarized_per_type_in_order_of_first_use() {
        let d = crate::sys::scratch::empty_dir("summary-segment");
        let path = d.join("s.binlog");
        let w = Writer::open(&path, Options::default()).unwrap();
        w.write_with("b", &[], Some(30), b"xyz").unwrap();
        w.write_with("a", &[], Some(10), b"").unwrap();
        w.write_with("b", &[], Some(20), b"12345").unwrap();
        w.close().unwrap();
        let s = summarize(&path).unwrap();
        assert_eq!((s.records, s.payload_bytes), (3, 8));
        assert_eq!((s.first_seq, s.last_seq), (Some(0), Some(2)));
        assert_eq!((s.first_ns, s.last_ns), (Some(30), Some(20)));
        assert_eq!((s.min_ns, s.max_ns), (Some(10), Some(30)));
        let names: Vec<&str> = s.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        let b = s.get("b").unwrap();
        assert_eq!(
            (b.records, b.payload_bytes, b.first_seq, b.last_seq),
            (2, 8, 0, 2)
        );
        assert_eq!((b.first_ns, b.last_ns), (30, 20));
        assert_eq!(s.bytes, s.types.iter().map(|t| t.bytes).sum::<u64>());
        assert!(s.bytes > s.payload_bytes);
        assert!(s.get("c").is_none());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_log_directory_is_read_across_its_segments_and_merges_add_up() {
        let d = crate::sys::scratch::empty_dir("summary-log");
        let opts = LogOptions {
            max_segment_records: Some(4),
            ..LogOptions::default()
        };
        let w = LogWriter::open(&d, "orders", opts).unwrap();
        for i in 0..10 {
            let t = if i % 2 == 0 { "even" } else { "odd" };
            w.write(t, &[i as u8]).unwrap();
        }
        w.close().unwrap();
        let all = summarize(&d).unwrap();
        assert_eq!(
            (all.records, all.first_seq, all.last_seq),
            (10, Some(0), Some(9))
        );
        assert_eq!(
            all.get("odd").map(|t| (t.records, t.last_seq)),
            Some((5, 9))
        );
        // The first 4 and the rest, merged: the same summary.
        let mut r = LogReader::open(&d, "orders").unwrap();
        let mut head = Summary::new();
        for _ in 0..4 {
            head.add(&r.next().unwrap().unwrap());
        }
        head.merge(&Summary::of_reader(&mut r).unwrap());
        assert_eq!(head, all);
        // A type filter on the reader.
        let mut r = LogReader::open(&d, "orders").unwrap();
        r.filter_types(&["even"]);
        let even = Summary::of_reader(&mut r).unwrap();
        assert_eq!((even.records, even.types.len()), (5, 1));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn nothing_read_is_an_empty_summary_and_a_lookup_survives_changed_types() {
        let d = crate::sys::scratch::empty_dir("summary-empty");
        let (empty, one) = (d.join("empty.binlog"), d.join("one.binlog"));
        Writer::open(&empty, Options::default())
            .unwrap()
            .close()
            .unwrap();
        let s = summarize(&empty).unwrap();
        assert_eq!(s, Summary::new());
        assert_eq!((s.first_seq, s.min_ns), (None, None));
        let w = Writer::open(&one, Options::default()).unwrap();
        w.write("x", b"").unwrap();
        w.close().unwrap();
        let mut s = Summary::new();
        s.types = summarize(&one).unwrap().types;
        assert_eq!(s.get("x").map(|t| t.records), Some(1));
        assert!(summarize(d.join("missing")).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_log_with_no_segment_has_every_count_zero() {
        let d = crate::sys::scratch::empty_dir("summary-no-segment");
        LogWriter::open(&d, "idle", LogOptions::default())
            .unwrap()
            .close()
            .unwrap();
        assert_eq!(summarize(&d).unwrap(), Summary::new());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
