//! A segment past a size mark, on a real file: records past the mark (and
//! one straddling it) must be found by the seal's per-type and sparse
//! indexes, by a scan when the seal is gone, by a reopen that continues
//! the segment, and by a reopen that cuts a torn tail there; and a record
//! as large as a large size limit is written from parts and read back.
//!
//! `make torture` puts the mark at 4 GiB, where every offset in the format
//! must be 64 bits (a file of about 4.3 GB), and the record at 1 GiB;
//! `cargo test` at 32 MiB and 64 MiB, the same checks on smaller files
//! (`BINLOG_LARGE_SEGMENT_MIB`, `BINLOG_LARGE_RECORD_MIB`). The files are
//! removed at the end, also when a test fails.

use crate::common;

use binlog::{Options, Reader, Tail, Writer};
use common::{knob, TempDir};
use std::path::Path;

/// Bulk payloads of 16 MiB.
const BULK: usize = 16 << 20;

/// The offset the segment must reach past: `BINLOG_LARGE_SEGMENT_MIB`
/// (default 32; `make torture` sets 4096, where 32-bit offsets wrap).
fn mark() -> u64 {
    knob("BINLOG_LARGE_SEGMENT_MIB", 32) << 20
}

/// Bulk records that carry the segment 128 MiB past `mark` (264 for 4 GiB).
fn bulks(mark: u64) -> u64 {
    mark / BULK as u64 + 8
}

fn ts(seq: u64) -> i64 {
    1_700_000_000_000_000_000 + seq as i64 * 1_000
}

/// Record `seq`: even ones are bulk records whose payload starts and ends
/// with their sequence number; odd ones are small "tick" records.
fn check(seq: u64, type_name: &str, payload: &[u8]) {
    if seq % 2 == 0 {
        assert_eq!(type_name, "bulk", "record {seq}");
        assert_eq!(payload.len(), BULK, "record {seq}");
        assert_eq!(payload[..8], seq.to_le_bytes(), "record {seq} head");
        assert_eq!(payload[BULK - 8..], seq.to_le_bytes(), "record {seq} tail");
    } else {
        assert_eq!(type_name, "tick", "record {seq}");
        assert_eq!(payload, format!("tick {seq}").as_bytes());
    }
}

fn write(w: &Writer, seq: u64, bulk: &mut [u8]) {
    let got = if seq % 2 == 0 {
        bulk[..8].copy_from_slice(&seq.to_le_bytes());
        bulk[BULK - 8..].copy_from_slice(&seq.to_le_bytes());
        w.write_with("bulk", &[], Some(ts(seq)), bulk)
    } else {
        let m = seq.to_string();
        w.write_with(
            "tick",
            &[("seq", &m)],
            Some(ts(seq)),
            format!("tick {seq}").as_bytes(),
        )
    };
    assert_eq!(got.unwrap(), seq);
}

/// Reads the whole segment in order and returns the offset of every record.
fn scan(p: &Path, want: u64) -> Vec<u64> {
    let mut r = Reader::open(p).unwrap();
    let mut offsets = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, offsets.len() as u64);
        assert_eq!(rec.timestamp_ns, ts(rec.seq));
        check(rec.seq, rec.type_name, rec.payload);
        offsets.push(rec.offset);
    }
    assert_eq!(offsets.len() as u64, want);
    offsets
}

/// The reads that use an index (or, unsealed, a scan standing in for one):
/// the ticks by type, and seeks by sequence number and by time to records
/// past `mark`.
fn check_lookups(p: &Path, offsets: &[u64], sealed: bool, mark: u64) {
    let mut r = Reader::open(p).unwrap();
    assert_eq!(r.seal().is_some(), sealed);
    r.filter_types(&["tick"]);
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, 2 * n + 1);
        assert_eq!(rec.offset, offsets[rec.seq as usize]);
        assert_eq!(rec.meta("seq"), Some(rec.seq.to_string().as_str()));
        check(rec.seq, rec.type_name, rec.payload);
        n += 1;
    }
    assert_eq!(n, offsets.len() as u64 / 2);

    let past: Vec<u64> = (0..offsets.len() as u64)
        .filter(|&s| offsets[s as usize] > mark)
        .collect();
    assert!(past.len() >= 4, "too few records past {mark}: {past:?}");
    for &s in [
        past[0],
        past[1],
        past[past.len() / 2],
        *past.last().unwrap(),
    ]
    .iter()
    {
        let mut r = Reader::open(p).unwrap();
        r.seek_seq(s).unwrap();
        let rec = r.next().unwrap().expect("record after seek_seq");
        assert_eq!((rec.seq, rec.offset), (s, offsets[s as usize]));
        check(rec.seq, rec.type_name, rec.payload);

        let mut r = Reader::open(p).unwrap();
        r.seek_time(ts(s)).unwrap();
        let rec = r.next().unwrap().expect("record after seek_time");
        assert_eq!((rec.seq, rec.offset), (s, offsets[s as usize]));
    }
}

#[test]
fn a_segment_past_a_size_mark_is_written_indexed_scanned_reopened_and_cut() {
    let d = TempDir::new("past-mark");
    let p = d.join("big.binlog");
    let mut bulk = vec![0x5a_u8; BULK];
    let mark = mark();
    let total = 2 * bulks(mark);

    let w = Writer::open(&p, Options::default()).unwrap();
    for seq in 0..total {
        write(&w, seq, &mut bulk);
    }
    w.close().unwrap();
    let len = std::fs::metadata(&p).unwrap().len();
    assert!(len > mark + (64 << 20), "segment only {len} bytes");

    // Sealed: a scan, the per-type index and the sparse index.
    let offsets = scan(&p, total);
    assert!(
        offsets
            .iter()
            .zip(offsets.iter().skip(1))
            .any(|(&a, &b)| a < mark && b > mark),
        "no record straddles {mark}"
    );
    check_lookups(&p, &offsets, true, mark);
    let r = Reader::open(&p).unwrap();
    let seal = r.seal().expect("sealed");
    assert_eq!((seal.first_seq, seal.last_seq), (0, total - 1));
    let records_end = seal.records_end;
    assert!(records_end > mark);
    drop(r);

    // The operator's tool agrees (when it is built: feature "cli").
    {
        let out = crate::common::child::command(crate::common::cli::tool())
            .arg("verify")
            .arg(&p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "binlog verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The seal gone, as after a crash: everything is found by a scan.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(records_end)
        .unwrap();
    let mut r = Reader::open(&p).unwrap();
    while r.next().unwrap().is_some() {}
    assert_eq!(r.tail(), Tail::Unsealed);
    drop(r);
    check_lookups(&p, &offsets, false, mark);

    // Reopened for appending: the scan rebuilds the index past the mark, the
    // sequence continues and the new seal indexes everything.
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), total);
    write(&w, total, &mut bulk);
    write(&w, total + 1, &mut bulk);
    w.close().unwrap();
    let offsets = scan(&p, total + 2);
    check_lookups(&p, &offsets, true, mark);

    // A torn tail past the mark: the last record cut in half. The reopen cuts
    // it, keeping the cut bytes in a backup named by their 64-bit offset.
    let last = offsets[total as usize + 1];
    let seal_start = Reader::open(&p).unwrap().seal().unwrap().records_end;
    let cut_at = (last + seal_start) / 2;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(cut_at)
        .unwrap();
    let mut r = Reader::open(&p).unwrap();
    while r.next().unwrap().is_some() {}
    assert_eq!(
        r.tail(),
        Tail::Torn {
            offset: last,
            len: cut_at - last
        }
    );
    drop(r);
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), total + 1);
    w.close().unwrap();
    let backup = d.join(format!("big.binlog.corrupt-{last}"));
    assert_eq!(
        std::fs::metadata(&backup).unwrap().len(),
        cut_at - last,
        "{}",
        backup.display()
    );
    let offsets = scan(&p, total + 1);
    check_lookups(&p, &offsets, true, mark);
}

/// A record 4 KiB short of a large `max_record_size` (`BINLOG_LARGE_RECORD_MIB`,
/// default 64; `make torture` sets 1024), written from four parts, reads
/// back whole between two small records; one byte over the limit is refused
/// and changes nothing.
#[test]
fn a_record_near_a_large_size_limit_is_written_gathered_and_read_back() {
    let d = TempDir::new("large-record");
    let p = d.join("gib.binlog");
    let limit: u64 = knob("BINLOG_LARGE_RECORD_MIB", 64) << 20;
    let opts = Options {
        max_record_size: limit,
        ..Options::default()
    };
    let mut big = vec![0u8; (limit - 4096) as usize];
    for (i, chunk) in big.chunks_mut(4096).enumerate() {
        chunk[..8].copy_from_slice(&(i as u64).to_le_bytes());
    }
    let w = Writer::open(&p, opts).unwrap();
    assert_eq!(w.write("small", b"before").unwrap(), 0);
    let parts: Vec<std::io::IoSlice> = big
        .chunks(limit as usize / 4)
        .map(std::io::IoSlice::new)
        .collect();
    assert_eq!(w.write_vectored("huge", &parts).unwrap(), 1);
    // One byte more than the limit allows is refused on its own and
    // changes nothing.
    let over = vec![0u8; limit as usize + 1];
    let e = w.write("huge", &over).unwrap_err();
    assert_eq!(e.kind(), binlog::ErrorKind::RecordTooLarge, "{e}");
    drop(over);
    assert_eq!(w.write("small", b"after").unwrap(), 2);
    w.close().unwrap();

    let mut r = Reader::open(&p).unwrap();
    let rec = r.next().unwrap().unwrap();
    assert_eq!((rec.seq, rec.payload), (0, &b"before"[..]));
    let rec = r.next().unwrap().unwrap();
    assert_eq!((rec.seq, rec.type_name), (1, "huge"));
    assert!(rec.payload == &big[..], "{limit}-byte payload differs");
    let rec = r.next().unwrap().unwrap();
    assert_eq!((rec.seq, rec.payload), (2, &b"after"[..]));
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Sealed);
}
