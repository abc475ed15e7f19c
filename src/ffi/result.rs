//! `binlog_result`: the C result codes, mapped one-to-one from the core
//! `ErrorKind` by number in exactly one place (`From<ErrorKind>` below). Three codes
//! have no core kind: `BINLOG_ERR_NULL_POINTER`, `BINLOG_ERR_PANIC` and
//! `BINLOG_ERR_BUFFER_TOO_SMALL` are failures of the C ABI alone
//! (`boundary::Failure`, `boundary::call`).

use crate::error::ErrorKind;
use std::ffi::{c_char, CStr};

/// Result of every libbinlog call. `BINLOG_OK` is success, `BINLOG_END` means
/// a reader has no more records (not an error); every other value is an
/// error whose message `binlog_last_error()` returns. Numbers are never
/// reused.
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
    BINLOG_ERR_REMOTE_CONFLICT = 28,
    BINLOG_ERR_REMOTE = 29,
    BINLOG_ERR_INVALID_SCHEMA = 30,
    BINLOG_ERR_SCHEMA_TOO_LARGE = 31,
    BINLOG_ERR_UNDECODABLE = 32,
    BINLOG_ERR_CORRUPT_CONSUMER = 33,
}

/// Every code in number order (a test checks each is at its number), with
/// its name as the header spells it and a few words saying what it means.
const CODES: [(binlog_result, &CStr, &CStr); 34] = {
    const fn c(name: &'static str) -> &'static CStr {
        match CStr::from_bytes_with_nul(name.as_bytes()) {
            Ok(name) => name,
            Err(_) => panic!("a name without NUL"),
        }
    }
    macro_rules! codes {
        ($($code:ident: $description:literal,)*) => {
            [$((binlog_result::$code, c(concat!(stringify!($code), "\0")), $description),)*]
        };
    }
    codes! {
        BINLOG_OK: c"success",
        BINLOG_END: c"no more records for now",
        BINLOG_ERR_INVALID_ARGUMENT: c"invalid argument",
        BINLOG_ERR_NULL_POINTER: c"a required pointer is NULL",
        BINLOG_ERR_NOT_FOUND: c"file or directory not found",
        BINLOG_ERR_PERMISSION_DENIED: c"permission denied",
        BINLOG_ERR_IO: c"I/O error",
        BINLOG_ERR_NOT_A_BINLOG: c"not a libbinlog segment",
        BINLOG_ERR_UNSUPPORTED_VERSION: c"unsupported format version",
        BINLOG_ERR_CORRUPT_HEADER: c"corrupt segment header",
        BINLOG_ERR_CORRUPT: c"corrupt record in the middle of a segment",
        BINLOG_ERR_TRUNCATED: c"file ends inside its header",
        BINLOG_ERR_RECORD_TOO_LARGE: c"record larger than the maximum record size",
        BINLOG_ERR_LOCKED: c"held by another handle (a writer, a consumer of the name, ...)",
        BINLOG_ERR_CLOSED: c"handle is closed",
        BINLOG_ERR_DISK_FULL: c"filesystem full",
        BINLOG_ERR_PANIC: c"internal error (panic)",
        BINLOG_ERR_INVALID_UTF8: c"not valid UTF-8",
        BINLOG_ERR_POISONED: c"an earlier fdatasync failed; writes refused",
        BINLOG_ERR_ALREADY_EXISTS: c"already exists",
        BINLOG_ERR_CORRUPT_SEAL: c"corrupt seal",
        BINLOG_ERR_BUFFER_TOO_SMALL: c"buffer too small for one record",
        BINLOG_ERR_WRONG_LOG: c"segment or bucket prefix of another log",
        BINLOG_ERR_SEALED: c"sealed segment of a log: open the log instead",
        BINLOG_ERR_COMPRESSED_TRUNCATED: c"compressed segment ends before its seek table",
        BINLOG_ERR_CORRUPT_FRAME: c"corrupt frame in a compressed segment",
        BINLOG_ERR_CORRUPT_SEEK_TABLE: c"corrupt seek table in a compressed segment",
        BINLOG_ERR_FRAME_SIZE_MISMATCH: c"compressed frame of another size than its seek table says",
        BINLOG_ERR_REMOTE_CONFLICT: c"an object in the bucket differs from the local segment; not overwritten",
        BINLOG_ERR_REMOTE: c"object store request failed",
        BINLOG_ERR_INVALID_SCHEMA: c"unusable type schema",
        BINLOG_ERR_SCHEMA_TOO_LARGE: c"type schemas too large for a segment header",
        BINLOG_ERR_UNDECODABLE: c"payload does not decode by its type's schema",
        BINLOG_ERR_CORRUPT_CONSUMER: c"consumer file damaged (the log is not)",
    }
};

/// What `binlog_result_name` and `binlog_result_description` return for a
/// number that is no result code.
const UNKNOWN_CODE: &CStr = c"BINLOG_UNKNOWN_RESULT";

/// The name of result code `code` as the header spells it (e.g.
/// "BINLOG_ERR_SEALED"), as a static NUL-terminated string; for a number
/// that is no code, "BINLOG_UNKNOWN_RESULT". Never NULL; thread-safe.
#[no_mangle]
pub extern "C" fn binlog_result_name(code: u32) -> *const c_char {
    CODES
        .get(code as usize)
        .map_or(UNKNOWN_CODE, |c| c.1)
        .as_ptr()
}

/// A few words saying what result code `code` means (e.g. "handle is
/// closed"), as a static NUL-terminated string; for a number that is no
/// code, "BINLOG_UNKNOWN_RESULT". Never NULL; thread-safe. The message of
/// a failed call (`binlog_last_error`) says more: the file, offset and
/// cause.
#[no_mangle]
pub extern "C" fn binlog_result_description(code: u32) -> *const c_char {
    CODES
        .get(code as usize)
        .map_or(UNKNOWN_CODE, |c| c.2)
        .as_ptr()
}

// The highest kind has its code in `CODES` (the lookup below runs outside
// the panic boundary); the tests check every kind against its code's name.
const _: () = assert!((ErrorKind::CorruptConsumer as usize) < CODES.len());

impl From<ErrorKind> for binlog_result {
    /// The code of the same number: `ErrorKind`'s numbers are the codes
    /// (the tests below check each against its code's name).
    fn from(kind: ErrorKind) -> binlog_result {
        CODES[kind as usize].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every core kind: the match stops compiling when a kind is added
    /// (a new kind needs its code, and its place in this list).
    fn every_kind() -> Vec<ErrorKind> {
        use ErrorKind::*;
        let all = vec![
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
            RemoteConflict,
            Remote,
            InvalidSchema,
            SchemaTooLarge,
            Undecodable,
            CorruptConsumer,
        ];
        for k in &all {
            match k {
                InvalidArgument | NotFound | PermissionDenied | Io | NotABinlog
                | UnsupportedVersion | CorruptHeader | Corrupt | Truncated | RecordTooLarge
                | Locked | Closed | DiskFull | InvalidUtf8 | Poisoned | AlreadyExists
                | CorruptSeal | WrongLog | Sealed | CompressedTruncated | CorruptFrame
                | CorruptSeekTable | FrameSizeMismatch | RemoteConflict | Remote
                | InvalidSchema | SchemaTooLarge | Undecodable | CorruptConsumer => {}
            }
        }
        all
    }

    #[test]
    fn codes_equal_the_core_kind_numbers() {
        for k in every_kind() {
            let code = binlog_result::from(k);
            assert_eq!(code as u32, k as u32, "{k:?}");
            // The code's name is the kind's: NotABinlog, BINLOG_ERR_NOT_A_BINLOG.
            let mut name = String::from("BINLOG_ERR");
            for c in format!("{k:?}").chars() {
                if c.is_ascii_uppercase() {
                    name.push('_');
                }
                name.push(c.to_ascii_uppercase());
            }
            assert_eq!(format!("{code:?}"), name);
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

    /// Every code is in `CODES` at its own number, and its name is the
    /// variant's (so the header's constant's) name.
    #[test]
    fn every_code_has_its_constant_name_and_a_description() {
        let mut seen = std::collections::HashSet::new();
        for (n, (code, _, _)) in CODES.iter().enumerate() {
            assert_eq!(*code as usize, n, "{code:?}");
            let name = unsafe { CStr::from_ptr(binlog_result_name(n as u32)) };
            assert_eq!(name.to_str().unwrap(), format!("{code:?}"));
            let desc = unsafe { CStr::from_ptr(binlog_result_description(n as u32)) };
            assert!(!desc.is_empty() && seen.insert(desc), "{code:?}: {desc:?}");
        }
        for n in [CODES.len() as u32, 99, u32::MAX] {
            let name = unsafe { CStr::from_ptr(binlog_result_name(n)) };
            assert_eq!(name, UNKNOWN_CODE);
            let desc = unsafe { CStr::from_ptr(binlog_result_description(n)) };
            assert_eq!(desc, UNKNOWN_CODE);
        }
    }
}
