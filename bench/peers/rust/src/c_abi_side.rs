//! libbinlog's reads through its C ABI: the `extern "C"` functions that
//! libbinlog.so exports (include/binlog.h), called from Rust. A C program
//! runs the same code, plus the call through the shared library's PLT.
use crate::harness::timed;
use crate::libbinlog_side::write_segment;
use binlog::ffi::batch::{binlog_reader_next_batch, binlog_reader_next_mapped};
use binlog::ffi::reader::{
    binlog_reader, binlog_reader_free, binlog_reader_next, binlog_reader_open,
};
use binlog::ffi::result::binlog_result;
use binlog::ffi::types::{binlog_batch_record, binlog_mapped_record, binlog_record};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// Records a batch call may return, and its buffer's bytes.
const BATCH_RECORDS: usize = 1024;
const BATCH_BUF: usize = 1 << 20;

fn open_reader(path: &Path) -> *mut binlog_reader {
    let c = CString::new(path.as_os_str().as_bytes()).expect("a path without NUL");
    let mut r = std::ptr::null_mut();
    assert_eq!(
        binlog_reader_open(c.as_ptr(), &mut r),
        binlog_result::BINLOG_OK
    );
    r
}

/// Writes `n` records (not timed), then times opening them with
/// `binlog_reader_open` and reading them with one `binlog_reader_next`
/// a record.
pub fn read_one(dir: &Path, payload: &[u8], n: u64) -> Duration {
    let path = write_segment(dir, payload, n);
    timed(|| {
        let r = open_reader(&path);
        // SAFETY: every field is an integer or a pointer; all zero is valid.
        let mut rec: binlog_record = unsafe { std::mem::zeroed() };
        let (mut count, mut bytes) = (0u64, 0usize);
        loop {
            match binlog_reader_next(r, &mut rec) {
                binlog_result::BINLOG_OK => {}
                binlog_result::BINLOG_END => break,
                e => panic!("binlog_reader_next: {e:?}"),
            }
            count += 1;
            bytes += rec.payload_len;
        }
        binlog_reader_free(r);
        assert_eq!((count, bytes), (n, n as usize * payload.len()));
    })
}

/// Writes `n` records (not timed), then times opening them and reading
/// them a batch at a time: `batch(reader, buf)` reads one into `buf` and
/// returns its records' count and payload bytes (0 records at the end).
fn read_in_batches(
    dir: &Path,
    payload: &[u8],
    n: u64,
    mut batch: impl FnMut(*mut binlog_reader, &mut [u8]) -> (u64, usize),
) -> Duration {
    let path = write_segment(dir, payload, n);
    let mut buf = vec![0u8; BATCH_BUF];
    timed(|| {
        let r = open_reader(&path);
        let (mut count, mut bytes) = (0u64, 0usize);
        loop {
            let (c, b) = batch(r, &mut buf);
            if c == 0 {
                break;
            }
            (count, bytes) = (count + c, bytes + b);
        }
        binlog_reader_free(r);
        assert_eq!((count, bytes), (n, n as usize * payload.len()));
    })
}

/// What a batch call returned: its records' count and payload bytes, none
/// at the end.
fn batch_read(rc: binlog_result, call: &str, lens: impl Iterator<Item = u32>) -> (u64, usize) {
    match rc {
        binlog_result::BINLOG_OK => lens.fold((0, 0), |(c, b), len| (c + 1, b + len as usize)),
        binlog_result::BINLOG_END => (0, 0),
        e => panic!("{call}: {e:?}"),
    }
}

/// Like `read_one`, with `binlog_reader_next_batch` (up to
/// `BATCH_RECORDS` records copied into a buffer of `BATCH_BUF` bytes a
/// call), as the Go binding reads.
pub fn read_batched(dir: &Path, payload: &[u8], n: u64) -> Duration {
    // SAFETY: every field is an integer; all zero is valid.
    let mut recs: Vec<binlog_batch_record> = vec![unsafe { std::mem::zeroed() }; BATCH_RECORDS];
    read_in_batches(dir, payload, n, |r, buf| {
        let mut got = 0usize;
        let (b, cap) = (buf.as_mut_ptr(), buf.len());
        let rc = binlog_reader_next_batch(r, b, cap, recs.as_mut_ptr(), recs.len(), 0, &mut got);
        batch_read(
            rc,
            "binlog_reader_next_batch",
            recs[..got].iter().map(|x| x.payload_len),
        )
    })
}

/// Like `read_batched`, with `binlog_reader_next_mapped`: the payloads
/// left in the reader's mapping (offsets into it), not copied, as the Java
/// binding reads.
pub fn read_batched_mapped(dir: &Path, payload: &[u8], n: u64) -> Duration {
    // SAFETY: every field is an integer; all zero is valid.
    let mut recs: Vec<binlog_mapped_record> = vec![unsafe { std::mem::zeroed() }; BATCH_RECORDS];
    read_in_batches(dir, payload, n, |r, buf| {
        let (mut got, mut map, mut map_len) = (0usize, std::ptr::null(), 0usize);
        let (b, cap, out) = (buf.as_mut_ptr(), buf.len(), recs.as_mut_ptr());
        let rc = binlog_reader_next_mapped(
            r,
            b,
            cap,
            out,
            recs.len(),
            0,
            &mut got,
            &mut map,
            &mut map_len,
        );
        batch_read(
            rc,
            "binlog_reader_next_mapped",
            recs[..got].iter().map(|x| x.payload_len),
        )
    })
}

/// The baseline of the C rows: the same segment as `read_one`'s (written
/// the same way, not timed), opened and read whole with read(2) into a
/// buffer of `BATCH_BUF` bytes, then closed: its bytes copied, nothing
/// checked.
pub fn read_plain(dir: &Path, payload: &[u8], n: u64) -> Duration {
    use std::io::Read;
    let path = write_segment(dir, payload, n);
    let mut buf = vec![0u8; BATCH_BUF];
    timed(|| {
        let mut f = std::fs::File::open(&path).expect("open the segment");
        let (mut bytes, mut sum) = (0usize, 0u64);
        loop {
            match f.read(&mut buf).expect("read(2)") {
                0 => break,
                k => (bytes, sum) = (bytes + k, sum + u64::from(buf[k - 1])),
            }
        }
        assert!(bytes >= n as usize * payload.len(), "{sum}");
    })
}
