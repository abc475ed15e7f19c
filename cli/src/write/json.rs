//! `binlog write --json`: a record per JSON object of standard input.
//! An object's members are read in order from its text, so that metadata
//! keeps its order and repeated keys, as `cat --json` prints them. A
//! value of a type given a `--schema` is encoded as its encoding says.

use super::args::WriteArgs;
use super::batch::InputRecord;
use super::input::{input_error, Input, INPUT_BUFFER};
use crate::decode::Decoder;
use crate::encoding;
use crate::error::{CliError, CliResult};
use crate::time;
use binlog::TypeSchema;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::BufReader;

/// Reads a record per JSON object.
pub fn read_json(input: Input<'_>, args: &WriteArgs, meta: &[(String, String)]) -> CliResult<()> {
    let (batch, dest) = (input.batch, input.dest);
    // The encoders of the types whose decoded values are not stored as
    // JSON text: protobuf, CBOR and MessagePack.
    let binary = args.schemas.iter();
    let binary = binary.filter(|s| matches!(s.encoding.as_str(), "protobuf" | "cbor" | "msgpack"));
    let encoder = |s: &TypeSchema| -> CliResult<_> { Ok((s.type_name.clone(), Decoder::new(s)?)) };
    let encoders: HashMap<String, Decoder> = binary.map(encoder).collect::<CliResult<_>>()?;
    // Each object's text, to read its members in order (see
    // `object_members`). serde_json reads a byte at a time: through a
    // `BufReader`, whose bytes it reads fastest, that asks `input` for more
    // only once it has handed out all it holds.
    let input = BufReader::with_capacity(INPUT_BUFFER, input);
    let stream = serde_json::Deserializer::from_reader(input).into_iter::<Box<RawValue>>();
    for (i, v) in stream.enumerate() {
        let at = || format!("standard input: JSON object {}", i + 1);
        let v = v.map_err(|e| match e.is_io() {
            true => input_error(e.into()),
            false => CliError::usage(format!("{}: {e}", at())),
        })?;
        let now = time::now_ns();
        let r = record_from_json(v.get(), args, meta, now, &encoders)
            .map_err(|e| CliError::usage(format!("{}: {e}", at())))?;
        batch.borrow_mut().add(dest, r, at)?;
    }
    Ok(())
}

/// The record a JSON object's text describes; `meta` is the metadata of
/// every record (`--meta`), `now` its time unless the object gives one;
/// `encoders` encode the values of types with a binary encoding.
fn record_from_json(
    text: &str,
    args: &WriteArgs,
    meta: &[(String, String)],
    now: i64,
    encoders: &HashMap<String, Decoder>,
) -> Result<InputRecord, String> {
    // The members that make a record. "type", "encoding", "ts_ns" and
    // "time": the last of a key, as in a `Value`. "meta" as text, for its
    // entries in order; "payload" as text: one that is not a string is
    // stored as its text, compacted (a `Value` would sort and merge its
    // keys and round its numbers); "decoded" as text: the payload as a
    // value (`cat --decode --json`), used when there is no "payload".
    let (mut obj, mut meta_text, mut payload, mut decoded) = (Map::new(), None, None, None);
    for (key, value) in object_members(text).ok_or("not an object")? {
        match key.as_str() {
            "meta" => meta_text = Some(value),
            "payload" => payload = Some(value),
            "decoded" => decoded = Some(value),
            "type" | "encoding" | "ts_ns" | "time" => {
                let v = serde_json::from_str(value).map_err(|e| e.to_string())?;
                obj.insert(key, v);
            }
            _ => {}
        }
    }
    let type_name = match obj.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("\"type\" is not a string".into()),
        None => args.type_name.clone().ok_or("no \"type\", and no --type")?,
    };
    let mut m = meta.to_vec();
    if let Some(entries) = meta_text.and_then(object_members) {
        // An object: its entries in their order, a key written twice
        // twice (as `cat --json` prints them).
        for (k, v) in entries {
            m.push((k, text_of(v)?));
        }
    } else if let Some(t) = meta_text.filter(|t| t.trim_end_matches(WS) != "null") {
        // Not an object: a list of [key, value] pairs (or null).
        let list: Vec<&RawValue> = serde_json::from_str(t)
            .map_err(|_| "\"meta\" must be an object or a list of [key, value] pairs")?;
        for pair in list {
            match serde_json::from_str::<Vec<&RawValue>>(pair.get()).as_deref() {
                Ok([k, v]) => m.push((text_of(k.get())?, text_of(v.get())?)),
                _ => return Err("\"meta\" pairs must be [key, value]".into()),
            }
        }
    }
    let encoding = obj.get("encoding").and_then(|e| e.as_str());
    let text = payload.or(decoded);
    let payload = match (encoders.get(&type_name), text) {
        (Some(d), Some(t)) if !t.starts_with('"') && t.trim_end_matches(WS) != "null" => {
            let value: Value = serde_json::from_str(t).map_err(|e| e.to_string())?;
            d.encode(value)
                .map_err(|e| format!("type {type_name:?}: the value does not encode: {e}"))?
        }
        _ => payload_of(text, encoding)?,
    };
    let ts = match (obj.get("ts_ns"), obj.get("time")) {
        (Some(t), _) => Some(t.as_i64().ok_or("\"ts_ns\" is not an integer")?),
        (None, Some(Value::String(s))) => Some(time::parse_time(s, now)?),
        (None, Some(_)) => return Err("\"time\" is not a string".into()),
        (None, None) => Some(now),
    };
    Ok(InputRecord {
        type_name,
        meta: m,
        ts,
        payload,
    })
}

/// The payload's bytes from its text: a string decoded as `encoding` says
/// (utf8 by default), nothing for null, else the value's compact text.
fn payload_of(text: Option<&str>, encoding: Option<&str>) -> Result<Vec<u8>, String> {
    Ok(match text.map(|t| t.trim_end_matches(WS)) {
        None | Some("null") => Vec::new(),
        Some(t) if t.starts_with('"') => {
            let s: String = serde_json::from_str(t).map_err(|e| e.to_string())?;
            match encoding.unwrap_or("utf8") {
                "utf8" | "text" | "utf8-lossy" => s.into_bytes(),
                "hex" => encoding::decode_hex(&s).ok_or("\"payload\" is not valid hex")?,
                "base64" => encoding::decode_base64(&s).ok_or("\"payload\" is not valid base64")?,
                other => {
                    let why = format!("unknown \"encoding\" {other:?} (utf8, hex or base64)");
                    return Err(why);
                }
            }
        }
        Some(t) => compact_json(t),
    })
}

/// JSON's white space.
const WS: [char; 4] = [' ', '\t', '\n', '\r'];

/// The members of a JSON object in their order, keys that appear more
/// than once included, each value as its text (`None` if `text` is not an
/// object): a `serde_json::Value` object sorts its keys and keeps the last
/// value of a key, while `cat --json` prints a record's metadata as an
/// object whose keys are in written order and may repeat.
fn object_members(text: &str) -> Option<Vec<(String, &str)>> {
    let mut d = serde_json::Deserializer::from_str(text);
    let members = d.deserialize_map(InOrder).ok()?;
    d.end().ok().map(|()| members)
}

/// Reads an object's members (see `object_members`).
struct InOrder;

impl<'de> Visitor<'de> for InOrder {
    type Value = Vec<(String, &'de str)>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = m.next_entry::<String, &RawValue>()? {
            members.push((k, v.get()));
        }
        Ok(members)
    }
}

/// Valid JSON text without the white space between its tokens.
fn compact_json(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        out.push(b);
    }
    out
}

/// A string's value, or the compact JSON text of any other value (a
/// `Value` would sort an object's keys and round big numbers).
fn text_of(text: &str) -> Result<String, String> {
    let text = text.trim_matches(WS);
    if text.starts_with('"') {
        return serde_json::from_str(text).map_err(|e| e.to_string());
    }
    String::from_utf8(compact_json(text)).map_err(|e| e.to_string())
}
