//! `binlog_result`: the C result codes, mapped one-to-one from the core
//! `ErrorKind` in exactly one place (`From<ErrorKind>` below). Three codes
//! have no core kind: `BINLOG_ERR_NULL_POINTER`, `BINLOG_ERR_PANIC` and
//! `BINLOG_ERR_BUFFER_TOO_SMALL` are failures of the C ABI alone
//! (`boundary::Failure`, `boundary::call`).

use crate::error::ErrorKind;

/// Result of every libbinlog call. `BINLOG_OK` is success, `BINLOG_END` means
/// a reader has no more records (not an error); every other value is an
/// error whose message `binlog_last_error()` returns. Numbers are never
/// reused.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_result {
    BINLOG_OK = 0,
    BINLOG_END = 1,
    BINLOG_ERR_INVALID_ARGUMENT = 2,
    BINLOG_ERR_NULL_POINTER = 3,
    BINLOG_ERR_NOT_FOUND = 4,
    BINLOG_ERR_PERMISSION_DENIED = 5,
    BINLOG_ERR_IO = 6,
    BINLOG_ERR_NOT_A_BINLOG = 7,
    BINLOG_ERR_UNSUPPORTED_VERSION = 8,
    BINLOG_ERR_CORRUPT_HEADER = 9,
    BINLOG_ERR_CORRUPT = 10,
    BINLOG_ERR_TRUNCATED = 11,
    BINLOG_ERR_RECORD_TOO_LARGE = 12,
    BINLOG_ERR_LOCKED = 13,
    BINLOG_ERR_CLOSED = 14,
    BINLOG_ERR_DISK_FULL = 15,
    BINLOG_ERR_PANIC = 16,
    BINLOG_ERR_INVALID_UTF8 = 17,
    BINLOG_ERR_POISONED = 18,
    BINLOG_ERR_ALREADY_EXISTS = 19,
    BINLOG_ERR_CORRUPT_SEAL = 20,
    BINLOG_ERR_BUFFER_TOO_SMALL = 21,
    BINLOG_ERR_WRONG_LOG = 22,
    BINLOG_ERR_SEALED = 23,
    BINLOG_ERR_COMPRESSED_TRUNCATED = 24,
    BINLOG_ERR_CORRUPT_FRAME = 25,
    BINLOG_ERR_CORRUPT_SEEK_TABLE = 26,
    BINLOG_ERR_FRAME_SIZE_MISMATCH = 27,
}

impl From<ErrorKind> for binlog_result {
    fn from(kind: ErrorKind) -> binlog_result {
        use binlog_result::*;
        match kind {
            ErrorKind::InvalidArgument => BINLOG_ERR_INVALID_ARGUMENT,
            ErrorKind::NotFound => BINLOG_ERR_NOT_FOUND,
            ErrorKind::PermissionDenied => BINLOG_ERR_PERMISSION_DENIED,
            ErrorKind::Io => BINLOG_ERR_IO,
            ErrorKind::NotABinlog => BINLOG_ERR_NOT_A_BINLOG,
            ErrorKind::UnsupportedVersion => BINLOG_ERR_UNSUPPORTED_VERSION,
            ErrorKind::CorruptHeader => BINLOG_ERR_CORRUPT_HEADER,
            ErrorKind::Corrupt => BINLOG_ERR_CORRUPT,
            ErrorKind::Truncated => BINLOG_ERR_TRUNCATED,
            ErrorKind::RecordTooLarge => BINLOG_ERR_RECORD_TOO_LARGE,
            ErrorKind::Locked => BINLOG_ERR_LOCKED,
            ErrorKind::Closed => BINLOG_ERR_CLOSED,
            ErrorKind::DiskFull => BINLOG_ERR_DISK_FULL,
            ErrorKind::InvalidUtf8 => BINLOG_ERR_INVALID_UTF8,
            ErrorKind::Poisoned => BINLOG_ERR_POISONED,
            ErrorKind::AlreadyExists => BINLOG_ERR_ALREADY_EXISTS,
            ErrorKind::CorruptSeal => BINLOG_ERR_CORRUPT_SEAL,
            ErrorKind::WrongLog => BINLOG_ERR_WRONG_LOG,
            ErrorKind::Sealed => BINLOG_ERR_SEALED,
            ErrorKind::CompressedTruncated => BINLOG_ERR_COMPRESSED_TRUNCATED,
            ErrorKind::CorruptFrame => BINLOG_ERR_CORRUPT_FRAME,
            ErrorKind::CorruptSeekTable => BINLOG_ERR_CORRUPT_SEEK_TABLE,
            ErrorKind::FrameSizeMismatch => BINLOG_ERR_FRAME_SIZE_MISMATCH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_equal_the_core_kind_numbers() {
        use ErrorKind::*;
        for k in [
            InvalidArgument,
            NotFound,
            PermissionDenied,
            Io,
            NotABinlog,
            UnsupportedVersion,
            CorruptHeader,
            Corrupt,
            Truncated,
            RecordTooLarge,
            Locked,
            Closed,
            DiskFull,
            InvalidUtf8,
            Poisoned,
            AlreadyExists,
            CorruptSeal,
            WrongLog,
            Sealed,
            CompressedTruncated,
            CorruptFrame,
            CorruptSeekTable,
            FrameSizeMismatch,
        ] {
            assert_eq!(binlog_result::from(k) as u32, k as u32, "{k:?}");
            assert!(![3, 16, 21].contains(&(k as u32)), "{k:?}");
        }
    }

    /// The codes of the C ABI's own failures keep their numbers.
    #[test]
    fn the_c_only_codes_keep_their_numbers() {
        assert_eq!(binlog_result::BINLOG_ERR_NULL_POINTER as u32, 3);
        assert_eq!(binlog_result::BINLOG_ERR_PANIC as u32, 16);
        assert_eq!(binlog_result::BINLOG_ERR_BUFFER_TOO_SMALL as u32, 21);
    }
}
