//! The smallest decoders: varints and the bounds-checked cursor. Every read
//! either succeeds within the input or returns `None`; a decoded varint
//! re-encodes to at most the bytes it used (non-minimal encodings are
//! accepted, the writer emits the shortest).
#![no_main]

use binlog::format::cursor::Cursor;
use binlog::format::varint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((v, n)) = varint::decode(data) {
        assert!((1..=varint::MAX_LEN).contains(&n) && n <= data.len());
        let mut out = Vec::new();
        varint::encode(v, &mut out);
        assert_eq!(out.len(), varint::len(v));
        assert!(out.len() <= n);
        assert_eq!(varint::decode(&out), Some((v, out.len())));
    }

    // Drive a cursor with the input as both program and data: each byte
    // picks the next read.
    let mut c = Cursor::new(data);
    let mut ops = data.iter();
    while c.remaining() > 0 {
        let Some(&op) = ops.next() else { break };
        let before = c.pos();
        let ok = match op % 9 {
            0 => c.u8().is_some(),
            1 => c.u16().is_some(),
            2 => c.u32().is_some(),
            3 => c.u64().is_some(),
            4 => c.i64().is_some(),
            5 => c.varint().is_some(),
            6 => c.var_bytes().is_some(),
            7 => c.short_string().is_some(),
            _ => c.bytes(op as usize / 9).is_some(),
        };
        assert!(c.pos() >= before && c.pos() <= data.len());
        assert_eq!(c.remaining(), data.len() - c.pos());
        if !ok && matches!(op % 9, 0..=4) {
            // A failed fixed-width read consumes nothing.
            assert_eq!(c.pos(), before);
        }
    }
});
