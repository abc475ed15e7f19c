//! libbinlog against commitlog and okaywal, interleaved pairs, one JSON line
//! per row on stdout (read by bench/peers/run.py). The reads are timed
//! through the Rust API and through the C ABI (`c_abi_side`).
//!
//! Usage: binlog-bench-peers PAIRS RECORDS_600 RECORDS_32 RECORDS_DURABLE DIR
mod c_abi_side;
mod commitlog_side;
mod harness;
mod libbinlog_side;
mod okaywal_side;

use harness::{Params, Row};

const BATCH: usize = 256;
const THREADS: usize = 8;

fn main() {
    let p = Params::from_args();
    for size in [600usize, 32] {
        let n = if size == 600 {
            p.records_600
        } else {
            p.records_32
        };
        let payload = vec![0x5a_u8; size];
        let row = |what: &str| Row::new("commitlog", format!("{what} {size} B"), n);
        p.pairs(
            &row("append one call per record"),
            |d| libbinlog_side::append_one(d, &payload, n),
            |d| commitlog_side::append_one(d, &payload, n),
        );
        p.pairs(
            &row(&format!("append batched ({BATCH})")),
            |d| libbinlog_side::append_batched(d, &payload, n, BATCH),
            |d| commitlog_side::append_batched(d, &payload, n, BATCH),
        );
        p.pairs(
            &row("full-scan read"),
            |d| libbinlog_side::read_all(d, &payload, n),
            |d| commitlog_side::read_all(d, &payload, n),
        );
        p.pairs(
            &row("full-scan read, C ABI one call per record"),
            |d| c_abi_side::read_one(d, &payload, n),
            |d| commitlog_side::read_all(d, &payload, n),
        );
        p.pairs(
            &row("full-scan read, C ABI batched"),
            |d| c_abi_side::read_batched(d, &payload, n),
            |d| commitlog_side::read_all(d, &payload, n),
        );
        p.pairs(
            &row("full-scan read, C ABI batched, payloads mapped"),
            |d| c_abi_side::read_batched_mapped(d, &payload, n),
            |d| commitlog_side::read_all(d, &payload, n),
        );
        // The C rows' baseline: the same file's bytes with read(2).
        let raw = Row::new(
            "read(2)",
            format!("full-scan read, C ABI one call per record {size} B"),
            n,
        );
        p.pairs(
            &raw,
            |d| c_abi_side::read_one(d, &payload, n),
            |d| c_abi_side::read_plain(d, &payload, n),
        );
    }
    let payload = vec![0x5a_u8; 600];
    let n = p.records_durable;
    for threads in [1, THREADS] {
        p.pairs(
            &Row::new(
                "okaywal",
                format!("durable append 600 B, {threads} thread{}", plural(threads)),
                n,
            ),
            |d| libbinlog_side::append_durable(d, &payload, n, threads),
            |d| okaywal_side::append_durable(d, &payload, n, threads),
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
