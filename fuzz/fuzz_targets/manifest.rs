//! The manifest parser on hostile text: `Manifest::decode` on the input (as
//! UTF-8, and lossily converted when it is not), and a round trip of
//! whatever decodes: `decode(encode(m)) == m`. Each input is tried as it is
//! and with its checksum line recomputed.
#![no_main]

use binlog::log::manifest::Manifest;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.manifest");
    let lossy;
    let text = match std::str::from_utf8(data) {
        Ok(t) => t,
        Err(_) => {
            lossy = String::from_utf8_lossy(data);
            &lossy
        }
    };
    round_trip(text, p);
    // The checksum line guards everything else, and a fuzzer cannot write a
    // matching CRC as hex by mutation: also try the input's body with its
    // correct checksum line, so the line parser sees hostile text.
    let body = text.rfind("crc32 ").map_or(text, |i| &text[..i]);
    let fixed = format!(
        "{body}crc32 {:08x}\n",
        binlog::format::crc32(body.as_bytes())
    );
    round_trip(&fixed, p);
});

fn round_trip(text: &str, p: &Path) {
    if let Ok(m) = Manifest::decode(text, p) {
        let enc = m.encode();
        let back = Manifest::decode(&enc, p)
            .unwrap_or_else(|e| panic!("re-encoded manifest does not decode: {e}\n{enc:?}"));
        assert_eq!(back, m, "manifest round trip\n{enc:?}");
    }
}
