//! `binlog_version()`, `binlog_version_number()` and the version macros,
//! all from Cargo.toml (a test checks the macros against it).

use super::prelude::*;

pub const BINLOG_VERSION_MAJOR: u32 = 0;
pub const BINLOG_VERSION_MINOR: u32 = 1;
pub const BINLOG_VERSION_PATCH: u32 = 0;
/// The version as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH (0.1.0
/// is 1000), ordered as the versions are: compare it with
/// `binlog_version_number()` to learn whether the library a program loaded
/// is at least the one it was compiled against.
pub const BINLOG_VERSION_NUMBER: u32 =
    BINLOG_VERSION_MAJOR * 1_000_000 + BINLOG_VERSION_MINOR * 1_000 + BINLOG_VERSION_PATCH;
/// Major version of the segment format this library reads and writes.
pub const BINLOG_FORMAT_MAJOR: u32 = 1;

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version as a NUL-terminated static string, e.g. "0.1.0".
#[no_mangle]
pub extern "C" fn binlog_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The loaded library's version as one number, MAJOR * 1000000 + MINOR * 1000
/// + PATCH (`BINLOG_VERSION_NUMBER` of the library's own header).
#[no_mangle]
pub extern "C" fn binlog_version_number() -> u32 {
    BINLOG_VERSION_NUMBER
}

/// The calling thread's last error message (NUL-terminated, never NULL; empty
/// if no call on this thread has failed). Valid until the next failing call
/// on this thread; copy it to keep it.
#[no_mangle]
pub extern "C" fn binlog_last_error() -> *const c_char {
    last_error(|e| e.message.as_ptr(), c"".as_ptr())
}

/// The file, log directory or `s3://` object URL the calling thread's last
/// error names (NUL-terminated, never NULL; empty if it names none). Valid
/// until the next failing call on this thread.
#[no_mangle]
pub extern "C" fn binlog_last_error_path() -> *const c_char {
    last_error(|e| e.path.as_ptr(), c"".as_ptr())
}

/// Whether the calling thread's last error names a byte offset in its file
/// or object; if so, and `offset_out` is not NULL, writes it there.
///
/// # Safety
/// `offset_out` is NULL or points to a writable `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn binlog_last_error_offset(offset_out: *mut u64) -> bool {
    let offset = last_error(|e| e.offset, None);
    if let Some(offset) = offset {
        put(offset_out, offset);
    }
    offset.is_some()
}

/// The operating system's error number (`errno`, e.g. `ENOENT`) of the
/// failed system call behind the calling thread's last error; 0 if it had
/// no such cause.
#[no_mangle]
pub extern "C" fn binlog_last_error_os_code() -> i32 {
    last_error(|e| e.os_code, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_match_cargo_toml() {
        assert_eq!(
            BINLOG_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            BINLOG_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            BINLOG_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        assert_eq!(BINLOG_FORMAT_MAJOR, crate::format::FORMAT_MAJOR as u32);
        let number = |part: &str| part.parse::<u32>().unwrap();
        assert_eq!(
            binlog_version_number(),
            number(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
                + number(env!("CARGO_PKG_VERSION_MINOR")) * 1_000
                + number(env!("CARGO_PKG_VERSION_PATCH"))
        );
        let s = unsafe { std::ffi::CStr::from_ptr(binlog_version()) };
        assert_eq!(s.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
