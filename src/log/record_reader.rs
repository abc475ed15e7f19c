//! What a segment's reader ([`Reader`]) and a log's reader ([`LogReader`])
//! both do, as one trait: code that reads records can be written once for
//! either (the C API's `binlog_reader` is such code, through
//! [`crate::HoldBack`]).

use crate::error::Result;
use crate::format::header::SegmentHeader;
use crate::log::{Gap, LogReader};
use crate::reader::{Damage, Mapping, OwnedRecord, Reader, Record, Tail};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A reader of records: of one segment, or of a log across its segments.
///
/// `next` lends each record (zero-copy: valid until the next call);
/// `records` iterates owned copies.
///
/// ```
/// use binlog::{Options, Reader, RecordReader, Writer};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = std::env::temp_dir().join(format!("binlog-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("events.binlog");
/// let w = Writer::open(&path, Options::default())?;
/// w.write("click", b"a")?;
/// w.write("view", b"b")?;
/// w.close()?;
///
/// let mut r = Reader::open(&path)?;
/// while let Some(rec) = r.next()? {
///     println!("{} {}", rec.seq, rec.type_name); // borrowed from the mapping
/// }
/// r.seek_seq(0)?;
/// let kept: Vec<_> = r.records().collect::<Result<_, _>>()?; // owned copies
/// assert_eq!(kept[1].record().payload, b"b");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub trait RecordReader: Send {
    /// The next record, or `None` at the end for now (a live segment or log
    /// may grow: call again).
    fn next(&mut self) -> Result<Option<Record<'_>>>;

    /// Like `next`, but at the end waits up to `timeout` for a record (a
    /// log's reader follows its writer into new segments).
    fn next_wait(&mut self, timeout: Duration) -> Result<Option<Record<'_>>>;

    /// Positions the reader at the first record with a sequence number of
    /// at least `seq`.
    fn seek_seq(&mut self, seq: u64) -> Result<()>;

    /// Positions the reader at the first record, in write order, with a
    /// timestamp of at least `ts_ns`.
    fn seek_time(&mut self, ts_ns: i64) -> Result<()>;

    /// Only records of these types (empty: all types again).
    fn filter_types(&mut self, names: &[&str]);

    /// Skip damaged regions in the middle of segments instead of stopping
    /// with an error (see [`Reader::skip_damaged`]).
    fn skip_damaged(&mut self, skip: bool);

    /// The threads a compressed segment's scan decompresses its next
    /// frames ahead on (see [`Reader::decode_threads`]; 0 or 1: none).
    fn decode_threads(&mut self, threads: usize);

    /// The damaged regions skipped so far, with the segment each was in.
    fn damages(&self) -> Vec<(PathBuf, Damage)>;

    /// Records a log's reader could not return (none for a segment's).
    fn gaps(&self) -> &[Gap];

    /// The segment file being read (a log's reader: none before it opened
    /// one).
    fn current_path(&self) -> Option<&Path>;

    /// The header of the segment the last record came from: a segment's
    /// own; for a log, see [`LogReader::record_segment`].
    fn segment_header(&self) -> Option<&SegmentHeader>;

    /// The records from here as an [`Iterator`] of owned copies
    /// ([`OwnedRecord`], which may outlive the next call), ending at the
    /// end for now or after the first error it yields.
    fn records(&mut self) -> Records<'_, Self>
    where
        Self: Sized,
    {
        Records { reader: Some(self) }
    }

    /// The schema of type `type_name` in `segment_header`: each record is
    /// described by the header of its own segment.
    fn type_schema(&self, type_name: &str) -> Option<&crate::TypeSchema> {
        self.segment_header()?.type_schema(type_name)
    }

    /// How the segment `segment_header` describes ended (`Reading` while
    /// records remain); for a log, see [`LogReader::record_segment_tail`].
    fn segment_tail(&self) -> Tail;

    /// A descriptor to poll for new records (see [`crate::ChangeFd`]). A
    /// reader of neither kind has none by default (`InvalidArgument`).
    fn change_fd(&self) -> Result<crate::ChangeFd> {
        Err(crate::Error::invalid(
            "this reader has no pollable change descriptor",
        ))
    }

    /// The mapping the current segment's records are read from, if it has
    /// one (see `Reader::mapping`; for the C ABI's mapped reads).
    #[doc(hidden)]
    fn mapping(&self) -> Option<Mapping> {
        None
    }

    /// Where the reader stands in its log: the log's name and the
    /// sequence number it reads on at (see [`LogReader::next_position`]);
    /// what a consumer commits and a position token holds. A segment's
    /// reader has none (`InvalidArgument`).
    fn position(&self) -> Result<(String, u64)> {
        Err(no_position())
    }

    /// Positions the reader where a position token says (see
    /// [`LogReader::seek_position`]).
    fn seek_position(&mut self, token: &str) -> Result<()> {
        let _ = token;
        Err(no_position())
    }

    /// The last record returned no longer counts as returned, for
    /// `segment_header` and `segment_tail` (see
    /// [`LogReader::forget_last_record`]; a segment's reader has one header).
    fn forget_last_record(&mut self);
}

/// The error of a position asked of a reader of one segment.
fn no_position() -> crate::Error {
    crate::Error::invalid("a position is a place in a log: open the log, not a segment")
}

/// Trait methods that only call the method of the same name and
/// arguments on `$to`: `(Type)`, the type's own method, `(self.field)`,
/// the field's, or `(self.field after dropping other)`, the field's once
/// the `Option` field `other` is set to `None`. Each is given by its
/// signature.
macro_rules! forward {
    (@call ($t:ident), $s:ident, $name:ident($($arg:ident),*)) => {
        $t::$name($s $(, $arg)*)
    };
    (@call (self.$field:ident), $s:ident, $name:ident($($arg:ident),*)) => {
        $s.$field.$name($($arg),*)
    };
    (@call (self.$field:ident after dropping $other:ident), $s:ident, $name:ident($($arg:ident),*)) => {{
        $s.$other = None;
        $s.$field.$name($($arg),*)
    }};
    ($to:tt;) => {};
    ($to:tt; fn $name:ident(&self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?; $($rest:tt)*) => {
        fn $name(&self $(, $arg: $ty)*) $(-> $ret)? {
            forward!(@call $to, self, $name($($arg),*))
        }
        forward!($to; $($rest)*);
    };
    ($to:tt; fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?; $($rest:tt)*) => {
        fn $name(&mut self $(, $arg: $ty)*) $(-> $ret)? {
            forward!(@call $to, self, $name($($arg),*))
        }
        forward!($to; $($rest)*);
    };
}
pub(crate) use forward;

/// The calls each reader answers with its own method of the same name
/// (and those given after its type).
macro_rules! same_named_calls {
    ($t:ident; $($more:tt)*) => {
        forward!(($t);
            fn next(&mut self) -> Result<Option<Record<'_>>>;
            fn next_wait(&mut self, timeout: Duration) -> Result<Option<Record<'_>>>;
            fn seek_seq(&mut self, seq: u64) -> Result<()>;
            fn seek_time(&mut self, ts_ns: i64) -> Result<()>;
            fn filter_types(&mut self, names: &[&str]);
            fn skip_damaged(&mut self, skip: bool);
            fn decode_threads(&mut self, threads: usize);
            fn change_fd(&self) -> Result<crate::ChangeFd>;
            $($more)*
        );
    };
}

impl RecordReader for Reader {
    same_named_calls!(Reader;);

    fn damages(&self) -> Vec<(PathBuf, Damage)> {
        let path = self.path();
        Reader::damages(self)
            .iter()
            .map(|d| (path.to_path_buf(), *d))
            .collect()
    }

    fn gaps(&self) -> &[Gap] {
        &[]
    }

    fn current_path(&self) -> Option<&Path> {
        Some(self.path())
    }

    fn segment_header(&self) -> Option<&SegmentHeader> {
        Some(self.header())
    }

    fn mapping(&self) -> Option<Mapping> {
        Some(Reader::mapping(self))
    }

    fn segment_tail(&self) -> Tail {
        self.tail()
    }

    fn forget_last_record(&mut self) {}
}

impl RecordReader for LogReader {
    same_named_calls!(LogReader;
        fn damages(&self) -> Vec<(PathBuf, Damage)>;
        fn gaps(&self) -> &[Gap];
        fn current_path(&self) -> Option<&Path>;
        fn mapping(&self) -> Option<Mapping>;
        fn forget_last_record(&mut self);
        fn seek_position(&mut self, token: &str) -> Result<()>;
    );

    fn segment_header(&self) -> Option<&SegmentHeader> {
        self.record_segment().map(|s| s.header())
    }

    fn segment_tail(&self) -> Tail {
        self.record_segment_tail()
    }

    fn position(&self) -> Result<(String, u64)> {
        Ok((self.log_name()?, self.next_position()))
    }
}

/// The iterator of [`RecordReader::records`].
pub struct Records<'r, R> {
    /// `None` once an error was yielded.
    reader: Option<&'r mut R>,
}

impl<R: RecordReader> Iterator for Records<'_, R> {
    type Item = Result<OwnedRecord>;

    fn next(&mut self) -> Option<Result<OwnedRecord>> {
        match self.reader.as_mut()?.next() {
            Ok(rec) => Ok(rec.as_ref().map(OwnedRecord::from)).transpose(),
            Err(e) => {
                self.reader = None;
                Some(Err(e))
            }
        }
    }
}
