//! The one error type of the core. Every failure has a kind (which maps
//! one-to-one onto a C result code in `ffi/result.rs`), the file and byte
//! offset it is about where there are ones, a detail saying what went
//! wrong, and the I/O error behind it if there is one. Its message names
//! the file and offset before the detail: `<path>: offset <n>: <detail>`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What went wrong. The numbers are the C result codes (`BINLOG_ERR_*`) and
/// are never reused; a new kind gets a new number. Numbers 3
/// (`BINLOG_ERR_NULL_POINTER`), 16 (`BINLOG_ERR_PANIC`) and 21
/// (`BINLOG_ERR_BUFFER_TOO_SMALL`) belong to failures only the C ABI has
/// (src/ffi/boundary.rs) and are kept free here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorKind {
    /// A caller passed a value outside what the call accepts.
    InvalidArgument = 2,
    /// The file or directory does not exist.
    NotFound = 4,
    /// The operating system refused access to the file.
    PermissionDenied = 5,
    /// Any other I/O failure.
    Io = 6,
    /// The file is not a libbinlog segment (bad magic).
    NotABinlog = 7,
    /// The segment was written by another major version of the format.
    UnsupportedVersion = 8,
    /// The segment header fails its checksum or is malformed.
    CorruptHeader = 9,
    /// A record in the middle of a segment fails its length, CRC or sequence
    /// check while valid records follow it.
    Corrupt = 10,
    /// The file ends inside its header.
    Truncated = 11,
    /// A record is larger than the writer's maximum record size.
    RecordTooLarge = 12,
    /// Another handle (in this or another process) holds the file; the
    /// message says which (a writer, a consumer's reader, a shipper). An open
    /// waits up to 100 ms for the lock first (a child between fork and exec
    /// holds its parent's locks that long).
    Locked = 13,
    /// The handle was closed.
    Closed = 14,
    /// The filesystem is full (ENOSPC or EDQUOT).
    DiskFull = 15,
    /// A type name, metadata key or value is not valid UTF-8.
    InvalidUtf8 = 17,
    /// A previous fdatasync failed; the writer refuses further writes because
    /// the kernel may have dropped dirty pages.
    Poisoned = 18,
    /// The file already exists where a new one was required.
    AlreadyExists = 19,
    /// The seal of a sealed segment is damaged (the reader falls back to a
    /// scan; this kind is reported by checks that ask about the seal).
    CorruptSeal = 20,
    /// A file named as a segment of a log belongs to another log: its
    /// header names another log (a segment copied or renamed in).
    WrongLog = 22,
    /// A segment of a rolling log that is sealed (or ending) was opened to
    /// append: it never changes again; open the log instead.
    Sealed = 23,
    /// A compressed segment (`.binlog.zst`) ends before its seek table, or
    /// a frame its seek table lists runs past the end of the file.
    CompressedTruncated = 24,
    /// A frame of a compressed segment fails to decompress or fails its
    /// checksum (a flipped bit in the compressed bytes).
    CorruptFrame = 25,
    /// The seek table of a compressed segment is malformed or disagrees
    /// with the frames it lists.
    CorruptSeekTable = 26,
    /// A frame of a compressed segment decompresses to another size than
    /// its seek table entry says.
    FrameSizeMismatch = 27,
    /// An object in the bucket differs from the local segment it would be
    /// the copy of: the shipper stops and never overwrites it.
    RemoteConflict = 28,
    /// A request to an object store failed after its retries.
    Remote = 29,
    /// A type's schema is unusable: an unknown encoding, or a schema that
    /// does not parse or lacks the named message.
    InvalidSchema = 30,
    /// Type schemas too large for a segment header (1 MiB in all).
    SchemaTooLarge = 31,
    /// A payload does not decode by its type's schema (or a value does not
    /// encode by it).
    Undecodable = 32,
    /// A consumer's file is damaged (neither commit slot checks); the log is not.
    CorruptConsumer = 33,
}

impl ErrorKind {
    /// Whether an operation that failed so failed to do its I/O (the disk
    /// full, or another I/O error), not because of what it read or was
    /// given: the same operation may succeed when tried again.
    #[cfg(feature = "compression")]
    pub(crate) fn is_io(self) -> bool {
        matches!(self, ErrorKind::Io | ErrorKind::DiskFull)
    }
}

/// A core error: its kind, the file and offset it is about, what went
/// wrong, and the I/O error that caused it. Boxed, so that a `Result` is
/// one word larger than its value.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    path: Option<PathBuf>,
    offset: Option<u64>,
    /// `[path: ][offset n: ]detail`, rendered once (see `render`).
    message: String,
    /// Where the detail starts in `message`.
    detail_at: usize,
    /// Shared, so that the error stays `Clone` (`io::Error` is not).
    source: Option<Arc<io::Error>>,
}

/// The result of every fallible call of the library.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error about no file in particular (or one whose text names it).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::build(kind, None, None, message.into(), None)
    }

    /// An error about a file and a byte offset in it.
    pub fn at(kind: ErrorKind, path: &Path, offset: u64, what: impl fmt::Display) -> Error {
        Error::build(kind, Some(path), Some(offset), what.to_string(), None)
    }

    /// An error about a file as a whole.
    pub fn file(kind: ErrorKind, path: &Path, what: impl fmt::Display) -> Error {
        Error::build(kind, Some(path), None, what.to_string(), None)
    }

    /// Classifies an I/O error from an operation on `path`.
    pub fn io(path: &Path, doing: &str, err: io::Error) -> Error {
        let detail = format!("{doing}: {}", io_text(&err));
        Error::build(io_kind(&err), Some(path), None, detail, Some(err))
    }

    /// Classifies an I/O error at an offset of `path`.
    pub fn io_at(path: &Path, offset: u64, doing: &str, err: io::Error) -> Error {
        let detail = format!("{doing}: {}", io_text(&err));
        Error::build(io_kind(&err), Some(path), Some(offset), detail, Some(err))
    }

    /// What a batch call says of entry `i` of its `n` that it refused
    /// before writing anything; a single entry's `what` stays as it is.
    pub fn refused_entry(i: usize, n: usize, what: impl fmt::Display) -> String {
        if n > 1 {
            format!("entry {i} of {n}: {what}; no record of this call was written")
        } else {
            what.to_string()
        }
    }

    /// An `InvalidArgument` error saying `what` is wrong.
    pub fn invalid(what: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, what)
    }

    fn build(
        kind: ErrorKind,
        path: Option<&Path>,
        offset: Option<u64>,
        detail: String,
        source: Option<io::Error>,
    ) -> Error {
        let mut inner = Inner {
            kind,
            path: path.map(Path::to_path_buf),
            offset,
            message: String::new(),
            detail_at: 0,
            source: source.map(Arc::new),
        };
        inner.render(&detail);
        Error {
            inner: Box::new(inner),
        }
    }

    /// What went wrong, as a kind (one C result code each).
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The file (or log directory) the error is about, if it names one.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The byte offset in `path` the error is about, if there is one.
    pub fn offset(&self) -> Option<u64> {
        self.inner.offset
    }

    /// The operating system's error number (`errno`) of the I/O error that
    /// caused this one, if an OS call failed.
    pub fn os_code(&self) -> Option<i32> {
        self.inner.source.as_ref().and_then(|e| e.raw_os_error())
    }

    /// What went wrong, without the path and offset.
    pub fn detail(&self) -> &str {
        &self.inner.message[self.inner.detail_at..]
    }

    /// The whole message: `<path>: offset <n>: <detail>`, without the parts
    /// the error does not have. This is what `binlog_last_error` returns.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The error with its detail replaced by `f(detail)`: context added to
    /// what went wrong, while the kind, file, offset and I/O source stay.
    pub fn with_detail(mut self, f: impl FnOnce(&str) -> String) -> Error {
        let detail = f(self.detail());
        self.inner.render(&detail);
        self
    }

    /// The error as one of `kind`, the rest unchanged (a failed fdatasync
    /// that poisons a writer: the same file, offset and cause).
    pub fn with_kind(mut self, kind: ErrorKind) -> Error {
        self.inner.kind = kind;
        self
    }

    /// The error naming `path` as its file, if it names none yet (an
    /// argument refused before the call reached a file).
    pub fn in_file(mut self, path: &Path) -> Error {
        if self.inner.path.is_none() {
            self.inner.path = Some(path.to_path_buf());
            let detail = self.detail().to_string();
            self.inner.render(&detail);
        }
        self
    }
}

impl Inner {
    /// Sets `message` (and `detail_at`) from the path, the offset and
    /// `detail`.
    fn render(&mut self, detail: &str) {
        use fmt::Write;
        let mut m = String::with_capacity(detail.len() + 64);
        if let Some(p) = &self.path {
            let _ = write!(m, "{}: ", p.display());
        }
        if let Some(o) = self.offset {
            let _ = write!(m, "offset {o}: ");
        }
        self.detail_at = m.len();
        m.push_str(detail);
        self.message = m;
    }
}

/// An I/O error as the library's messages say it: the OS's description
/// without the " (os error N)" that `io::Error` appends (the number is
/// [`Error::os_code`]).
pub fn io_text(err: &io::Error) -> String {
    let text = err.to_string();
    match (err.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

fn io_kind(err: &io::Error) -> ErrorKind {
    match (err.raw_os_error(), err.kind()) {
        (Some(code), _) if crate::sys::is_disk_full(code) => ErrorKind::DiskFull,
        (_, io::ErrorKind::NotFound) => ErrorKind::NotFound,
        (_, io::ErrorKind::PermissionDenied) => ErrorKind::PermissionDenied,
        (_, io::ErrorKind::AlreadyExists) => ErrorKind::AlreadyExists,
        _ => ErrorKind::Io,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.inner.kind, self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("path", &self.inner.path)
            .field("offset", &self.inner.offset)
            .field("detail", &self.detail())
            .field("source", &self.inner.source)
            .finish()
    }
}

/// Errors are equal when they say the same: kind, file, offset and detail
/// (the I/O source is not compared: `io::Error` has no equality).
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        let (a, b) = (&*self.inner, &*other.inner);
        a.kind == b.kind && a.path == b.path && a.offset == b.offset && a.message == b.message
    }
}

impl Eq for Error {}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(|s| s as _)
    }
}

/// For code that returns `std::io::Result`: the I/O error's kind where
/// one caused it, else the nearest (`InvalidInput`, `InvalidData`,
/// `NotFound`...), with this error as its inner error (`get_ref` and
/// `downcast` give it back).
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        use ErrorKind::*;
        let kind = match (e.inner.source.as_deref(), e.kind()) {
            (Some(source), _) => source.kind(),
            (None, NotFound) => io::ErrorKind::NotFound,
            (None, PermissionDenied) => io::ErrorKind::PermissionDenied,
            (None, AlreadyExists | RemoteConflict) => io::ErrorKind::AlreadyExists,
            (None, InvalidArgument | RecordTooLarge | InvalidSchema | SchemaTooLarge) => {
                io::ErrorKind::InvalidInput
            }
            (None, Locked) => io::ErrorKind::WouldBlock,
            (None, Io | DiskFull | Closed | Poisoned | Sealed | Remote) => io::ErrorKind::Other,
            (None, _) => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// A write to `path` at `offset` that failed with ENOSPC.
    fn disk_full_at(path: &str, offset: u64) -> Error {
        let enospc = io::Error::from_raw_os_error(crate::sys::NO_SPACE);
        Error::io_at(Path::new(path), offset, "write", enospc)
    }

    #[test]
    fn an_error_becomes_an_io_error_of_the_nearest_kind_and_comes_back() {
        let missing = Error::file(ErrorKind::NotFound, Path::new("/x/seg"), "no such segment");
        let io_err = io::Error::from(missing.clone());
        assert_eq!(io_err.kind(), io::ErrorKind::NotFound);
        assert_eq!(
            io_err.get_ref().unwrap().downcast_ref::<Error>(),
            Some(&missing)
        );
        let corrupt = Error::file(ErrorKind::Corrupt, Path::new("/x/seg"), "bad CRC");
        assert_eq!(io::Error::from(corrupt).kind(), io::ErrorKind::InvalidData);
        let full = io::Error::from(disk_full_at("/x", 0));
        assert_eq!(full.raw_os_error(), None);
        assert!(full.to_string().contains("/x"), "{full}");
    }

    #[test]
    fn enospc_is_disk_full_and_message_names_file() {
        let e = disk_full_at("/x/seg", 42);
        assert_eq!(e.kind(), ErrorKind::DiskFull);
        assert!(e.message().contains("/x/seg"));
        assert!(e.message().contains("offset 42"));
    }

    #[test]
    fn not_found_maps() {
        let e = Error::io(Path::new("a"), "open", io::ErrorKind::NotFound.into());
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    #[cfg_attr(miri, ignore)] // It opens a file: Miri isolates the filesystem.
    fn an_os_error_is_described_without_its_number_which_os_code_gives() {
        let p = Path::new("/d/missing.binlog");
        let err = std::fs::File::open(p).unwrap_err();
        let code = err.raw_os_error();
        let e = Error::io(p, "open", err);
        assert_eq!(
            e.message(),
            "/d/missing.binlog: open: No such file or directory"
        );
        assert!(code.is_some());
        assert_eq!(e.os_code(), code);
        let other = Error::io(p, "read", io::Error::other("no (os error 3) here"));
        assert_eq!(other.detail(), "read: no (os error 3) here");
        assert_eq!(other.os_code(), None);
    }

    #[test]
    fn message_names_path_and_offset_before_the_detail() {
        let p = Path::new("/d/seg.binlog");
        let at = Error::at(ErrorKind::Corrupt, p, 7, "CRC mismatch");
        assert_eq!(at.message(), "/d/seg.binlog: offset 7: CRC mismatch");
        assert_eq!(
            at.to_string(),
            "Corrupt: /d/seg.binlog: offset 7: CRC mismatch"
        );
        assert_eq!(
            (at.path(), at.offset(), at.detail()),
            (Some(p), Some(7), "CRC mismatch")
        );
        let file = Error::file(ErrorKind::Locked, p, "held by a writer");
        assert_eq!(file.message(), "/d/seg.binlog: held by a writer");
        assert_eq!((file.offset(), file.detail()), (None, "held by a writer"));
        let bare = Error::invalid("bad size");
        assert_eq!(bare.message(), "bad size");
        assert_eq!((bare.path(), bare.offset()), (None, None));
    }

    #[test]
    fn io_error_is_the_source_and_its_text_the_detail() {
        let e = Error::io(Path::new("f"), "open", io::ErrorKind::NotFound.into());
        let source = e.source().expect("an I/O source");
        let io = source.downcast_ref::<io::Error>().expect("an io::Error");
        assert_eq!(io.kind(), io::ErrorKind::NotFound);
        assert_eq!(e.detail(), format!("open: {io}"));
        assert!(Error::invalid("x").source().is_none());
    }

    #[test]
    fn context_keeps_kind_path_offset_and_source() {
        let e = disk_full_at("/x/seg", 42);
        let before = e.message().to_string();
        let e = e.with_detail(|d| format!("{d} (3 of 5 records were written)"));
        assert_eq!(e.kind(), ErrorKind::DiskFull);
        assert_eq!(
            (e.path(), e.offset()),
            (Some(Path::new("/x/seg")), Some(42))
        );
        assert!(e.detail().starts_with("write: ") && e.detail().ends_with("were written)"));
        assert_eq!(
            e.message(),
            format!("{before} (3 of 5 records were written)")
        );
        assert!(e.source().is_some_and(|s| s.is::<io::Error>()));
        let poisoned = e.clone().with_kind(ErrorKind::Poisoned);
        assert_eq!(poisoned.kind(), ErrorKind::Poisoned);
        assert_eq!(
            (poisoned.message(), poisoned.offset()),
            (e.message(), Some(42))
        );
        assert!(poisoned.source().is_some());
    }

    #[test]
    fn in_file_names_a_file_only_where_none_is_named() {
        let e = Error::invalid("type name is empty").in_file(Path::new("/d/a.binlog"));
        assert_eq!(e.message(), "/d/a.binlog: type name is empty");
        assert_eq!(e.path(), Some(Path::new("/d/a.binlog")));
        assert_eq!(e.detail(), "type name is empty");
        let named = Error::at(ErrorKind::Corrupt, Path::new("/d/b.binlog"), 3, "bad");
        assert_eq!(named.clone().in_file(Path::new("/d/a.binlog")), named);
    }

    #[test]
    fn equality_compares_what_errors_say() {
        let a = Error::io(Path::new("f"), "open", io::ErrorKind::NotFound.into());
        let b = Error::io(Path::new("f"), "open", io::ErrorKind::NotFound.into());
        assert_eq!(a, b);
        assert_ne!(a, b.clone().with_detail(|d| format!("{d}!")));
        assert_ne!(a, b.with_kind(ErrorKind::Io));
    }
}
