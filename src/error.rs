//! The one error type of the core. Every failure has a kind (which maps
//! one-to-one onto a C result code in `ffi/result.rs`) and a message that names
//! the file and, where there is one, the byte offset.

use std::fmt;
use std::io;
use std::path::Path;

/// What went wrong. The numbers are the C result codes (`BINLOG_ERR_*`) and
/// are never reused; a new kind gets a new number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorKind {
    /// A caller passed a value outside what the call accepts.
    InvalidArgument = 2,
    /// A caller passed a NULL pointer where one is required (C ABI only).
    NullPointer = 3,
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
    /// Another writer (in this or another process) holds the segment (or
    /// the log). An open waits up to 100 ms for the lock first: a child
    /// process between fork and exec holds its parent's locks that long.
    Locked = 13,
    /// The handle was closed.
    Closed = 14,
    /// The filesystem is full (ENOSPC or EDQUOT).
    DiskFull = 15,
    /// A Rust panic was caught at the C boundary.
    Panic = 16,
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
    /// A caller's output buffer cannot hold even one item (the message
    /// says how many bytes it needs); nothing was consumed.
    BufferTooSmall = 21,
    /// A file named as a segment of a log belongs to another log: its
    /// header names another log (a segment copied or renamed in).
    WrongLog = 22,
}

/// A core error: a kind and a message naming the file and offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// An error about a file and a byte offset in it.
    pub fn at(kind: ErrorKind, path: &Path, offset: u64, what: impl fmt::Display) -> Error {
        Error::new(
            kind,
            format!("{}: offset {}: {}", path.display(), offset, what),
        )
    }

    /// An error about a file as a whole.
    pub fn file(kind: ErrorKind, path: &Path, what: impl fmt::Display) -> Error {
        Error::new(kind, format!("{}: {}", path.display(), what))
    }

    /// Classifies an I/O error from an operation on `path`.
    pub fn io(path: &Path, doing: &str, err: io::Error) -> Error {
        Error::file(io_kind(&err), path, format!("{doing}: {err}"))
    }

    /// Classifies an I/O error at an offset of `path`.
    pub fn io_at(path: &Path, offset: u64, doing: &str, err: io::Error) -> Error {
        Error::at(io_kind(&err), path, offset, format!("{doing}: {err}"))
    }

    /// What a batch call says of entry `i` of its `n` that it refused
    /// before writing anything (every writer and the C boundary say the
    /// same); a single entry is the whole call, and `what` stays as it is.
    pub fn refused_entry(i: usize, n: usize, what: impl fmt::Display) -> String {
        if n > 1 {
            format!("entry {i} of {n}: {what}; no record of this call was written")
        } else {
            what.to_string()
        }
    }

    pub fn invalid(what: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, what)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

fn io_kind(err: &io::Error) -> ErrorKind {
    match err.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => return ErrorKind::DiskFull,
        _ => {}
    }
    match err.kind() {
        io::ErrorKind::NotFound => ErrorKind::NotFound,
        io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
        _ => ErrorKind::Io,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_is_disk_full_and_message_names_file() {
        let e = Error::io_at(
            Path::new("/x/seg"),
            42,
            "write",
            io::Error::from_raw_os_error(libc::ENOSPC),
        );
        assert_eq!(e.kind(), ErrorKind::DiskFull);
        assert!(e.message().contains("/x/seg"));
        assert!(e.message().contains("offset 42"));
    }

    #[test]
    fn not_found_maps() {
        let e = Error::io(Path::new("a"), "open", io::ErrorKind::NotFound.into());
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }
}
