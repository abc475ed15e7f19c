//! Byte encodings for payloads: hex, base64 (the base64 crate's; printed in
//! the standard alphabet, padded) and text with control characters escaped
//! so a record stays on one line.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;

const HEX: &[u8; 16] = b"0123456789abcdef";

pub fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
}

#[cfg(test)]
pub fn hex(bytes: &[u8]) -> String {
    let mut v = Vec::new();
    push_hex(&mut v, bytes);
    String::from_utf8(v).expect("ASCII")
}

/// `de ad be ef` (for dumps).
pub fn hex_spaced(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(" ")
}

pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let val = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    // An odd digit out (a pair of one) makes None.
    let pair = |p: &[u8]| Some(val(p[0])? << 4 | val(*p.get(1)?)?);
    digits.chunks(2).map(pair).collect()
}

/// Appends `bytes` in base64, standard alphabet, padded.
pub fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = STANDARD.encode_slice(bytes, &mut out[start..]);
    written.expect("room for the encoding made");
}

/// `bytes` in base64, standard alphabet, padded.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes base64 in the standard alphabet or the URL-safe one, its `=`
/// padding optional (some or all of it may be left out, none added),
/// whitespace ignored.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let lenient = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    [alphabet::STANDARD, alphabet::URL_SAFE]
        .iter()
        .find_map(|a| GeneralPurpose::new(a, lenient).decode(&clean).ok())
}

/// Appends `text` with control characters escaped (`\n`, `\r`, `\t`,
/// `\xNN`), so that a payload never breaks the one-record-per-line output.
pub fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|&b| b < 0x20 || b == 0x7f) {
        out.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => {
                out.extend_from_slice(b"\\x");
                push_hex(out, &[b]);
            }
            _ => out.push(b),
        }
    }
}

/// Appends what `f` appends, in double quotes.
pub fn quoted(out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    out.push(b'"');
    f(out);
    out.push(b'"');
}

/// Appends `s` as a JSON string.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    // Most strings need no escape and are copied whole: serde_json's
    // escaper (the same output) looks each byte up in a table.
    if !needs_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        quoted(out, |out| out.extend_from_slice(s.as_bytes()));
        return;
    }
    serde_json::to_writer(out, s).expect("writing to a Vec cannot fail");
}

/// Appends float `x` as JSON, as every decoded value and export prints
/// one: a finite one as the shortest text that reads back as it (ryu's,
/// an `f32`'s digits its own); NaN and the infinities, which JSON lacks,
/// as protobuf's JSON mapping writes them, the strings `"NaN"`,
/// `"Infinity"` and `"-Infinity"` (`non_finite`).
pub fn push_float<F: Copy + Into<f64> + serde::Serialize>(out: &mut Vec<u8>, x: F) {
    match non_finite(x.into()) {
        None => serde_json::to_writer(out, &x).expect("writing to a Vec cannot fail"),
        Some(name) => json_str(out, name),
    }
}

/// The string a float JSON lacks is printed as (see `push_float`); None
/// for a finite one.
pub fn non_finite(x: f64) -> Option<&'static str> {
    match x {
        f64::INFINITY => Some("Infinity"),
        f64::NEG_INFINITY => Some("-Infinity"),
        x if x.is_nan() => Some("NaN"),
        _ => None,
    }
}

/// Whether `s` holds a byte JSON escapes (a control character, `"`,
/// `\\`): eight bytes at a time (the bit tricks of "Bit Twiddling Hacks":
/// a zero byte, a byte less than n).
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = u64::MAX / 255;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & (ONES * 0x80) != 0;
    let below_space = |v: u64| v.wrapping_sub(ONES * 0x20) & !v & (ONES * 0x80) != 0;
    let mut words = s.chunks_exact(8);
    let word_needs = |w: &[u8]| {
        let v = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        below_space(v) || zero_byte(v ^ (ONES * 0x22)) || zero_byte(v ^ (ONES * 0x5c))
    };
    let rest = |b: &u8| *b < 0x20 || *b == b'"' || *b == b'\\';
    words.any(word_needs) || words.remainder().iter().any(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0, 255, 128],
        ] {
            assert_eq!(decode_base64(&base64(s)).unwrap(), s);
            assert_eq!(decode_hex(&hex(s)).unwrap(), s);
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(hex_spaced(&[0xde, 0xad]), "de ad");
        let mut out = b"x".to_vec();
        push_base64(&mut out, b"fo");
        assert_eq!(out, b"xZm8=");
        let mut v = Vec::new();
        push_escaped(&mut v, "a\nb\x01");
        assert_eq!(v, b"a\\nb\\x01");
    }

    /// Padding may be left out, whole or in part, but not be too long; the
    /// URL-safe alphabet is read too (not mixed with the standard one);
    /// whitespace is ignored.
    #[test]
    fn decodes_base64_padded_or_not() {
        let fo = Some(b"fo".to_vec());
        assert_eq!(decode_base64("Zm8="), fo);
        assert_eq!(decode_base64("Zm8"), fo);
        assert_eq!(decode_base64(" Zm\n8= "), fo);
        assert_eq!(decode_base64("Zg=="), Some(b"f".to_vec()));
        assert_eq!(decode_base64("Zg"), Some(b"f".to_vec()));
        assert_eq!(decode_base64("Zm8=="), None);
        assert_eq!(decode_base64("Zg="), Some(b"f".to_vec()));
        assert_eq!(decode_base64("Z"), None);
        assert_eq!(decode_base64("Zm9v!"), None);
        assert_eq!(decode_base64("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("+_8="), None);
        assert_eq!(decode_base64(""), Some(Vec::new()));
    }

    #[test]
    fn json_strings_are_escaped_as_serde_json_escapes_them() {
        let mut out = Vec::new();
        // Each ASCII byte, and a multi-byte character, at each place of a
        // string longer than one eight-byte word.
        for b in (0..0x80u8).map(char::from).chain(['\u{e9}', '\u{2028}']) {
            for at in 0..19 {
                let mut s: String = "abcdefghijklmnopqr".into();
                s.insert(at, b);
                out.clear();
                json_str(&mut out, &s);
                assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
            }
        }
    }
}
