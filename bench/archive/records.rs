//! Record frames parsed from a segment's original bytes as they arrive,
//! every CRC checked, each record's sequence number the one after the
//! last: what a reader does with the bytes it fetched.

use binlog::format::frame::{decode_record, frame_at, FrameAt, KIND_MASK, KIND_RECORD};
use binlog::format::header::stated_len;

pub struct RecordWalk {
    buf: Vec<u8>,
    pos: usize,
    /// Bytes of the segment before `buf`.
    base: u64,
    /// Bytes of header still to skip (unknown until they arrive: `None`).
    header_left: Option<usize>,
    /// The sequence number the next record must have, once one was seen.
    next_seq: Option<u64>,
    pub records: u64,
    /// The frames after the records (the seal) were reached.
    pub ended: bool,
}

impl RecordWalk {
    /// A walk over a segment from its first byte (its header first).
    pub fn from_start() -> RecordWalk {
        RecordWalk::new(0, None)
    }

    /// A walk over a segment's bytes from offset `at`, a record's start.
    pub fn at_record(at: u64) -> RecordWalk {
        RecordWalk::new(at, Some(0))
    }

    fn new(base: u64, header_left: Option<usize>) -> RecordWalk {
        RecordWalk {
            buf: Vec::new(),
            pos: 0,
            base,
            header_left,
            next_seq: None,
            records: 0,
            ended: false,
        }
    }

    /// Parses the whole frames of `bytes` (the segment's next bytes) and
    /// those before them, calling `seen` with each record's sequence
    /// number; stops when `seen` returns false.
    pub fn push(&mut self, bytes: &[u8], mut seen: impl FnMut(u64) -> bool) {
        self.buf.drain(..self.pos);
        self.base += self.pos as u64;
        self.pos = 0;
        self.buf.extend_from_slice(bytes);
        if !self.skip_header() {
            return;
        }
        while !self.ended {
            let at = self.base + self.pos as u64;
            match frame_at(&self.buf, self.pos, true) {
                FrameAt::Frame { kind, body, total } if kind & KIND_MASK == KIND_RECORD => {
                    let r = decode_record(body).unwrap_or_else(|| panic!("bad record at {at}"));
                    assert!(
                        self.next_seq.is_none_or(|s| s == r.seq),
                        "seq {} at {at}",
                        r.seq
                    );
                    self.next_seq = Some(r.seq + 1);
                    self.records += 1;
                    self.pos += total;
                    if !seen(r.seq) {
                        return;
                    }
                }
                FrameAt::Frame { .. } => self.ended = true,
                FrameAt::Incomplete => return,
                FrameAt::Invalid(why) => panic!("frame at {at}: {why}"),
            }
        }
    }

    /// Skips the header once its length has arrived: whether it is past.
    fn skip_header(&mut self) -> bool {
        if self.header_left.is_none() {
            self.header_left = stated_len(&self.buf);
        }
        match self.header_left {
            Some(n) if n <= self.buf.len() - self.pos => {
                self.pos += n;
                self.header_left = Some(0);
                true
            }
            _ => false,
        }
    }
}
