//! Standard input, and the records of `binlog write` read from it a line
//! at a time (JSON objects: `json.rs`).

use super::args::WriteArgs;
use super::batch::{Batch, InputRecord};
use super::destination::Destination;
use crate::error::{CliError, CliResult};
use crate::time;
use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read, StdinLock};

/// Bytes of standard input read at a time.
pub(super) const INPUT_BUFFER: usize = 64 << 10;

/// Standard input, read through a buffer. Before a read that would wait
/// for the producer (the buffer is used up and nothing more is ready), the
/// batch is written and handed to the OS: piped bulk input is still written
/// a batch at a time, while a slow producer's records (`tail -F`) are in the
/// file within a moment of their line, not when 1024 more have come or the
/// input ends.
pub(super) struct Input<'a> {
    buf: BufReader<StdinLock<'static>>,
    pub(super) batch: &'a RefCell<Batch>,
    pub(super) dest: &'a Destination,
}

impl<'a> Input<'a> {
    pub(super) fn stdin(batch: &'a RefCell<Batch>, dest: &'a Destination) -> Input<'a> {
        Input {
            buf: BufReader::with_capacity(INPUT_BUFFER, io::stdin().lock()),
            batch,
            dest,
        }
    }
}

impl BufRead for Input<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.buf.buffer().is_empty() && !stdin_ready() {
            let flushed = self.batch.borrow_mut().flush_to_os(self.dest);
            flushed.map_err(io::Error::other)?;
        }
        self.buf.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.buf.consume(n)
    }
}

impl Read for Input<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Whether standard input has bytes (or its end) to read without waiting.
fn stdin_ready() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, ours for the call; a zero timeout only checks.
    unsafe { libc::poll(&mut fd, 1, 0) > 0 }
}

/// The error of a read of standard input: the write's own error if the
/// batch written before the read failed (carried out through the reader).
pub(super) fn input_error(e: io::Error) -> CliError {
    e.downcast::<CliError>()
        .unwrap_or_else(|e| CliError::io_on("standard input", e))
}

/// Reads a record per line: the line is the payload.
pub fn read_lines(mut input: Input, args: &WriteArgs, meta: &[(String, String)]) -> CliResult<()> {
    let (batch, dest) = (input.batch, input.dest);
    let type_name = args.type_name.clone().expect("checked");
    // A line longer than a record can be is refused as soon as that much of
    // it is read (not held in memory whole).
    let limit = batch.borrow().max_record_size;
    for n in 1u64.. {
        let mut line = Vec::new();
        let mut bounded = (&mut input).take(limit.saturating_add(1));
        let read = bounded.read_until(b'\n', &mut line).map_err(input_error)?;
        let now = time::now_ns();
        if read == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if read as u64 > limit {
            return Err(CliError::usage(format!(
                "standard input: line {n}: longer than the maximum record size {limit} \
                 (--max-record-size)"
            )));
        }
        let r = InputRecord {
            type_name: type_name.clone(),
            meta: meta.to_vec(),
            ts: Some(now),
            payload: line,
        };
        let at = || format!("standard input: line {n}");
        batch.borrow_mut().add(dest, r, at)?;
    }
    Ok(())
}
