//! What a segment's writer ([`Writer`]) and a rolling log's writer
//! ([`LogWriter`]) both do, as one trait: code that appends records can be
//! written once for either (the C API's `binlog_writer` is such code).

use crate::error::{Error, ErrorKind, Result};
use crate::log::{record_reader::forward, LogWriter};
use crate::writer::{Entry, Writer};
use std::path::Path;

/// A writer of records: one segment's, or a rolling log's. Every method
/// may be called from any number of threads at once.
pub trait RecordWriter: Send + Sync {
    /// What is written, which errors name: the segment file, or the log's
    /// directory.
    fn path(&self) -> &Path;

    /// Appends a record with the current time and no metadata; returns its
    /// sequence number.
    fn write(&self, type_name: &str, payload: &[u8]) -> Result<u64>;

    /// Appends records in order; returns the first one's sequence number.
    /// Every entry is checked first: if one is refused, nothing is written.
    fn write_batch(&self, entries: &[Entry<'_>]) -> Result<u64>;

    /// Hands buffered records to the OS; readers see them afterwards.
    fn flush(&self) -> Result<()>;

    /// Flushes and fdatasyncs: every record written so far is on stable
    /// storage.
    fn sync(&self) -> Result<()>;

    /// The sequence number the next record will get; `Closed` once the
    /// writer is closed.
    fn next_seq(&self) -> Result<u64>;

    /// Every record with a lower sequence number is on stable storage;
    /// `Closed` once the writer is closed.
    fn durable_seq(&self) -> Result<u64>;

    /// Flushes, seals and closes; later calls return `Closed`, and closing
    /// again is a no-op.
    fn close(&self) -> Result<()>;

    /// Whether `close` was called.
    fn is_closed(&self) -> bool;
}

/// `Closed` for a writer that `close` was called on.
fn still_open(w: &impl RecordWriter) -> Result<()> {
    if w.is_closed() {
        return Err(Error::file(ErrorKind::Closed, w.path(), "writer is closed"));
    }
    Ok(())
}

/// The calls each writer answers with its own method of the same name
/// (and those given after its type).
macro_rules! same_named_calls {
    ($t:ident; $($more:tt)*) => {
        forward!(($t);
            fn write(&self, type_name: &str, payload: &[u8]) -> Result<u64>;
            fn write_batch(&self, entries: &[Entry<'_>]) -> Result<u64>;
            fn flush(&self) -> Result<()>;
            fn sync(&self) -> Result<()>;
            fn close(&self) -> Result<()>;
            fn is_closed(&self) -> bool;
            $($more)*
        );
    };
}

impl RecordWriter for Writer {
    same_named_calls!(Writer; fn path(&self) -> &Path;);

    fn next_seq(&self) -> Result<u64> {
        still_open(self)?;
        Ok(Writer::next_seq(self))
    }

    fn durable_seq(&self) -> Result<u64> {
        still_open(self)?;
        Ok(Writer::durable_seq(self))
    }
}

impl RecordWriter for LogWriter {
    same_named_calls!(LogWriter;);

    fn path(&self) -> &Path {
        self.dir()
    }

    fn next_seq(&self) -> Result<u64> {
        still_open(self)?;
        LogWriter::next_seq(self)
    }

    fn durable_seq(&self) -> Result<u64> {
        still_open(self)?;
        LogWriter::durable_seq(self)
    }
}
