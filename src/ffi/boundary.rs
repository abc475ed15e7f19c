//! The panic boundary, the thread's last error, and checked conversions of
//! C pointers. Every exported function body runs inside `call`.

use super::result::binlog_result::{self, BINLOG_ERR_NULL_POINTER, BINLOG_OK};
use crate::error::{Error, ErrorKind};
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Why a C call failed: an error of the core, whose kind is the result
/// code, or one only the C ABI has (a panic is caught apart, in `call`).
#[derive(Debug)]
pub enum Failure {
    Core(Error),
    /// `BINLOG_ERR_NULL_POINTER` (a pointer the call requires is NULL; the
    /// message names the parameter) or `BINLOG_ERR_BUFFER_TOO_SMALL` (a
    /// buffer cannot hold one item; the message says how many bytes it
    /// needs), with the message.
    Abi(binlog_result, String),
}

/// The result of a call's body, and of the checks of its arguments.
pub type CallResult<T> = std::result::Result<T, Failure>;

impl Failure {
    fn code(&self) -> binlog_result {
        match self {
            Failure::Core(e) => e.kind().into(),
            Failure::Abi(code, _) => *code,
        }
    }

    /// What `binlog_last_error` returns for it.
    fn message(&self) -> &str {
        match self {
            Failure::Core(e) => e.message(),
            Failure::Abi(_, m) => m,
        }
    }

    /// The failure with its message replaced by `f(what went wrong)` (for a
    /// core error, its detail: the file and offset stay).
    pub fn with_detail(self, f: impl FnOnce(&str) -> String) -> Failure {
        match self {
            Failure::Core(e) => Failure::Core(e.with_detail(f)),
            Failure::Abi(code, m) => Failure::Abi(code, f(&m)),
        }
    }

    /// The failure of an argument check of a call on a handle, naming the
    /// handle's file (or log directory) as the handle's own errors do.
    #[cold]
    #[inline(never)]
    fn in_file(self, path: &Path) -> Failure {
        match self {
            Failure::Core(e) => Failure::Core(e.in_file(path)),
            other => other.with_detail(|m| format!("{}: {m}", path.display())),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Core(e)
    }
}

/// The thread's last failure as `binlog_last_error*` give it: the message,
/// and, when the core error has them, the file (or `s3://` object) it names,
/// the offset in it and the operating system's error number.
#[derive(Default)]
pub struct LastError {
    pub message: CString,
    pub path: CString,
    pub offset: Option<u64>,
    pub os_code: i32,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::new(LastError::default());
}

/// Runs `f`, turning its error or panic into a result code and the thread's
/// last error message. Inlined, with the failures out of line, so that a
/// call's checks and its work compile into the exported function.
#[inline(always)]
pub fn call(f: impl FnOnce() -> CallResult<binlog_result>) -> binlog_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => failed(e),
        Err(panic) => panicked(panic),
    }
}

#[cold]
#[inline(never)]
fn failed(f: Failure) -> binlog_result {
    let mut last = LastError {
        message: c_text(f.message()),
        ..LastError::default()
    };
    if let Failure::Core(e) = &f {
        last.path = e
            .path()
            .map(|p| c_text(&p.to_string_lossy()))
            .unwrap_or_default();
        last.offset = e.offset();
        last.os_code = e.os_code().unwrap_or(0);
    }
    set_last_error(last);
    f.code()
}

#[cold]
#[inline(never)]
fn panicked(panic: Box<dyn std::any::Any + Send>) -> binlog_result {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    set_last_error(LastError {
        message: c_text(&format!("internal error (panic): {what}")),
        ..LastError::default()
    });
    binlog_result::BINLOG_ERR_PANIC
}

/// The body of every `*_free`: drops the handle at `p` (made by
/// `new_handle`) inside the panic boundary; NULL is accepted.
///
/// # Safety
/// `p` is NULL or a handle of type `T` this library made and not yet freed.
pub unsafe fn free<T>(p: *mut T) {
    let _ = call(|| {
        if !p.is_null() {
            drop(unsafe { Box::from_raw(p) });
        }
        Ok(BINLOG_OK)
    });
}

/// The end of a call that succeeded: `value` written to `out`, `BINLOG_OK`.
///
/// # Safety
/// `out` is NULL or writable.
pub unsafe fn done<T>(out: *mut T, value: T) -> CallResult<binlog_result> {
    put(out, value);
    Ok(BINLOG_OK)
}

/// A new handle that owns `value` (released by `free`).
pub fn new_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// The body of a call that makes what it writes to `out` (required):
/// `args` checks the call's arguments (their errors come first, then a
/// NULL `out`'s), `make` makes the output of what they give.
#[inline(always)]
pub fn make<A, T>(
    out: *mut T,
    args: impl FnOnce() -> CallResult<A>,
    make: impl FnOnce(A) -> CallResult<T>,
) -> binlog_result {
    call(|| {
        let a = args()?;
        need_out(out)?;
        unsafe { done(out, make(a)?) }
    })
}

/// The body of a call that changes handle `p` (named `what` if NULL) by `f`.
pub fn update<T>(p: *mut T, what: &str, f: impl FnOnce(&mut T) -> CallResult<()>) -> binlog_result {
    call(|| {
        f(unsafe { handle_mut(p, what) }?)?;
        Ok(BINLOG_OK)
    })
}

/// `update` for a change that cannot fail.
pub fn assign<T>(p: *mut T, what: &str, f: impl FnOnce(&mut T)) -> binlog_result {
    update(p, what, |h| {
        f(h);
        Ok(())
    })
}

/// The body of a call that writes what `f` reads of handle `p` to `out`
/// (required).
pub fn get<H, T>(
    p: *const H,
    what: &str,
    out: *mut T,
    f: impl FnOnce(&H) -> CallResult<T>,
) -> binlog_result {
    make(out, || unsafe { handle(p, what) }, f)
}

/// `get` for a call that changes handle `p` as it reads it.
pub fn get_mut<H, T>(
    p: *mut H,
    what: &str,
    out: *mut T,
    f: impl FnOnce(&mut H) -> CallResult<T>,
) -> binlog_result {
    make(out, || unsafe { handle_mut(p, what) }, f)
}

fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

/// Keeps `last` as the thread's last error. Not possible while the thread
/// exits (a call from a thread-local destructor after ours was destroyed):
/// it is dropped then, since a panic here would abort.
fn set_last_error(last: LastError) {
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = last);
}

/// What `f` reads of the thread's last error; `or` while the thread exits
/// (see `set_last_error`).
pub fn last_error<T>(f: impl FnOnce(&LastError) -> T, or: T) -> T {
    LAST_ERROR.try_with(|e| f(&e.borrow())).unwrap_or(or)
}

/// A call's failure with `BINLOG_ERR_INVALID_ARGUMENT`, saying `what`.
pub fn invalid<T>(what: impl Into<String>) -> CallResult<T> {
    Err(Error::invalid(what).into())
}

pub fn null(what: &str) -> Failure {
    Failure::Abi(BINLOG_ERR_NULL_POINTER, format!("{what} is NULL"))
}

/// Runs the argument checks of a call on a handle of `path` (a file or a
/// log directory): their errors name it, as the handle's own errors do.
#[inline(always)]
pub fn checked<T>(path: &Path, f: impl FnOnce() -> CallResult<T>) -> CallResult<T> {
    f().map_err(|e| e.in_file(path))
}

/// A shared reference from a handle pointer.
///
/// # Safety
/// `p` is NULL or a pointer this library handed out and that was not freed.
pub unsafe fn handle<'a, T>(p: *const T, what: &str) -> CallResult<&'a T> {
    p.as_ref().ok_or_else(|| null(what))
}

/// A mutable reference from a handle pointer (same contract as `handle`).
pub unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> CallResult<&'a mut T> {
    p.as_mut().ok_or_else(|| null(what))
}

/// The bytes `[p, p+len)` (see `array`), checked to be UTF-8.
#[inline]
pub unsafe fn utf8<'a>(p: *const u8, len: usize, what: &str) -> CallResult<&'a str> {
    let b = array(p, len, what)?;
    // Type names and metadata keys are short and ASCII: checking that is
    // several times cheaper than the general validation's setup
    // (docs/PERFORMANCE.md).
    if b.len() <= 64 && b.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return Ok(std::str::from_utf8_unchecked(b));
    }
    std::str::from_utf8(b)
        .map_err(|e| Error::new(ErrorKind::InvalidUtf8, format!("{what} is not UTF-8: {e}")).into())
}

/// An array of `count` items (bytes of a buffer, or structs); NULL only with
/// `count == 0`.
///
/// # Safety
/// `p` points at `count` readable items that outlive `'a`.
#[inline]
pub unsafe fn array<'a, T>(p: *const T, count: usize, what: &str) -> CallResult<&'a [T]> {
    if p.is_null() {
        if count == 0 {
            return Ok(&[]);
        }
        return Err(null(what));
    }
    // No object is larger than isize::MAX bytes (a slice that claims to be
    // is undefined behaviour, and sums of such lengths overflow): such a
    // length is a caller's mistake, refused before it is used.
    if count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(too_long(count, what));
    }
    Ok(std::slice::from_raw_parts(p, count))
}

#[cold]
#[inline(never)]
fn too_long(count: usize, what: &str) -> Failure {
    let why = format!("{what}: a length of {count} is larger than any object can be");
    Failure::Core(Error::invalid(why))
}

/// Where a view handed to C points for `b`: at `b`, or, when it is empty,
/// at a static byte. An empty Rust slice points at an address like 1,
/// which C may not pass even to `memcpy` or `memcmp` with a length of 0.
#[inline(always)]
pub fn c_bytes(b: &[u8]) -> *const u8 {
    static EMPTY: u8 = 0;
    b.first().unwrap_or(&EMPTY)
}

/// A NUL-terminated path, the parameter `what` (named if it is NULL).
pub unsafe fn c_path<'a>(p: *const c_char, what: &str) -> CallResult<&'a Path> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = CStr::from_ptr(handle(p, what)?).to_bytes();
    Ok(Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

/// Like `c_path`, with NULL for none.
pub unsafe fn c_path_or_null<'a>(p: *const c_char, what: &str) -> CallResult<Option<&'a Path>> {
    (!p.is_null()).then(|| c_path(p, what)).transpose()
}

/// The value of a C argument where `none` stands for no value (0, or the
/// type's largest value, as the header says of each).
pub fn c_option<T: PartialEq>(value: T, none: T) -> Option<T> {
    (value != none).then_some(value)
}

/// The value of C enum `C` numbered `n`, the number of a Rust enum's value
/// numbered as `C`'s values are (a test of each such pair checks it value
/// by value). A number outside `numbers` panics, inside the call's
/// boundary, rather than make a value `C` does not have.
///
/// # Safety
/// `C` is a fieldless `repr(u32)` enum with a value of each of `numbers`.
pub unsafe fn c_enum<C: Copy>(n: u32, numbers: std::ops::RangeInclusive<u32>) -> C {
    const { assert!(std::mem::size_of::<C>() == 4) };
    assert!(numbers.contains(&n), "no C value numbered {n}");
    // SAFETY: `C` has a value numbered `n`, of the same size as `n`.
    unsafe { std::mem::transmute_copy(&n) }
}

/// A C caller's user pointer, given back to its callback: the caller
/// promises that the callback may be called with it from any thread.
pub struct UserPtr(pub *mut std::ffi::c_void);
unsafe impl Send for UserPtr {}
unsafe impl Sync for UserPtr {}

impl UserPtr {
    /// The pointer (a closure calling this captures the `Send` wrapper).
    pub fn get(&self) -> *mut std::ffi::c_void {
        self.0
    }
}

/// Refuses a NULL output pointer that the call requires.
pub fn need_out<T>(out: *mut T) -> CallResult<()> {
    if out.is_null() {
        return Err(null("out"));
    }
    Ok(())
}

/// Writes an output parameter if the caller gave one.
pub unsafe fn put<T>(out: *mut T, value: T) {
    if let Some(o) = out.as_mut() {
        *o = value;
    }
}

/// Like `c_str`, with NULL for none.
pub unsafe fn c_str_or_null<'a>(p: *const c_char, what: &str) -> CallResult<Option<&'a str>> {
    (!p.is_null()).then(|| c_str(p, what)).transpose()
}

/// A NUL-terminated UTF-8 string.
pub unsafe fn c_str<'a>(p: *const c_char, what: &str) -> CallResult<&'a str> {
    CStr::from_ptr(handle(p, what)?)
        .to_str()
        .map_err(|_| Error::new(ErrorKind::InvalidUtf8, format!("{what} is not UTF-8")).into())
}

/// The check of each Rust enum numbered as a C enum is (see `c_enum`).
#[cfg(test)]
pub mod enum_names {
    /// Checks that `to_c` gives each of `values` the C value of its name:
    /// `TornTail` the one named `<prefix>TORN_TAIL`.
    pub fn check<R: std::fmt::Debug, C: std::fmt::Debug>(
        values: impl IntoIterator<Item = R>,
        to_c: impl Fn(&R) -> C,
        prefix: &str,
    ) {
        for value in values {
            let mut name = prefix.to_string();
            for (i, c) in format!("{value:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    name.push('_');
                }
                name.push(c.to_ascii_uppercase());
            }
            assert_eq!(format!("{:?}", to_c(&value)), name);
        }
    }
}
