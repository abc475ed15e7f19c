//! Type schemas: what a type's payloads hold and how to decode them, stored
//! in the segment header from format 1.1 on (docs/FORMAT.md, section 5.1).
//!
//! ```text
//! schema_count u16, then per schema:
//!   type_name, encoding, schema_encoding, schema_name: u16 length + UTF-8
//!   schema: u32 length + bytes
//! ```
//!
//! The names are MCAP's registry names. The library checks what it can
//! without a decoder of its own: the encodings are known ones, a protobuf
//! descriptor set parses and holds the named message, a FlatBuffers schema
//! carries its `BFBS` identifier, a JSON Schema is a UTF-8 JSON object.
//! Decoding payloads is the tool's (`binlog cat --decode`, `binlog export`).

use super::cursor::Cursor;
use crate::error::{Error, ErrorKind, Result};

/// Message encodings a type may declare (MCAP's registry names).
pub const ENCODINGS: [&str; 5] = ["protobuf", "flatbuffer", "json", "cbor", "msgpack"];

/// Schema encodings: a protobuf `FileDescriptorSet`, a FlatBuffers binary
/// schema (`.bfbs`), a JSON Schema document, or none (`""`) for a
/// self-describing encoding.
#[cfg(any(test, feature = "internals"))]
pub const SCHEMA_ENCODINGS: [&str; 4] = ["protobuf", "flatbuffer", "jsonschema", ""];

/// What one type's payloads hold: its message encoding and, where the
/// encoding needs one or the writer gives one, the schema that describes
/// them. A segment's header holds at most one per type name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeSchema {
    /// The record type this schema describes.
    pub type_name: String,
    /// How each payload is encoded: `protobuf`, `flatbuffer`, `json`,
    /// `cbor` or `msgpack`.
    pub encoding: String,
    /// What `schema` holds: `protobuf` (a `FileDescriptorSet`),
    /// `flatbuffer` (a binary schema, `.bfbs`), `jsonschema` or none (`""`,
    /// for a self-describing encoding): `protobuf` for a
    /// `protobuf` encoding, `flatbuffer` for `flatbuffer`; `jsonschema` or
    /// none for `json`, `cbor` and `msgpack`.
    pub schema_encoding: String,
    /// The message within the schema: a protobuf message's full name
    /// (`package.Message`), a FlatBuffers root table; free (may be empty)
    /// for a JSON Schema.
    pub schema_name: String,
    /// The schema's bytes (empty without a schema).
    pub schema: Vec<u8>,
}

impl TypeSchema {
    /// A schema of a self-describing encoding (`json`, `cbor`, `msgpack`)
    /// without a schema document.
    pub fn self_describing(type_name: &str, encoding: &str) -> TypeSchema {
        TypeSchema {
            type_name: type_name.into(),
            encoding: encoding.into(),
            ..TypeSchema::default()
        }
    }

    /// A protobuf type: `descriptor_set` is a serialized
    /// `google.protobuf.FileDescriptorSet` (`protoc --descriptor_set_out
    /// --include_imports`) holding `message` (its full name).
    pub fn protobuf(type_name: &str, descriptor_set: Vec<u8>, message: &str) -> TypeSchema {
        TypeSchema {
            type_name: type_name.into(),
            encoding: "protobuf".into(),
            schema_encoding: "protobuf".into(),
            schema_name: message.into(),
            schema: descriptor_set,
        }
    }

    /// Refuses a schema a reader could not use (`InvalidSchema`, naming
    /// the type): an unknown encoding, a schema encoding that does not
    /// describe it, a descriptor set that does not parse or lacks the
    /// message, a FlatBuffers schema without its identifier, a JSON Schema
    /// that is not a JSON object.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| {
            let what = format!("schema of type {:?}: {what}", self.type_name);
            Error::new(ErrorKind::InvalidSchema, what)
        };
        if !ENCODINGS.contains(&self.encoding.as_str()) {
            let known = ENCODINGS.join(", ");
            let what = format!("unknown encoding {:?} (known: {known})", self.encoding);
            return Err(bad(what));
        }
        let fits = match self.encoding.as_str() {
            "protobuf" | "flatbuffer" => self.schema_encoding == self.encoding,
            _ => matches!(self.schema_encoding.as_str(), "jsonschema" | ""),
        };
        if !fits {
            let what = format!(
                "schema encoding {:?} does not describe {:?} payloads",
                self.schema_encoding, self.encoding
            );
            return Err(bad(what));
        }
        match self.schema_encoding.as_str() {
            "protobuf" => check_descriptor_set(&self.schema, &self.schema_name).map_err(bad),
            "flatbuffer" if self.schema.get(4..8) != Some(b"BFBS") => Err(bad(
                "not a FlatBuffers binary schema (no BFBS identifier)".into(),
            )),
            "jsonschema" => check_json_object(&self.schema).map_err(bad),
            "" if !self.schema.is_empty() => {
                Err(bad("schema bytes without a schema encoding".into()))
            }
            _ => Ok(()),
        }
    }
}

/// The schemas of a header that a copy of its segment (salvage, a log's
/// recovery) can declare again: those that pass `validate`, the first of
/// each type. A table another writer wrote may hold more (an encoding of a
/// later version); the copy keeps its records, never fails for them.
pub(crate) fn usable(schemas: &[TypeSchema]) -> Vec<TypeSchema> {
    let mut kept: Vec<TypeSchema> = Vec::new();
    for s in schemas {
        if s.validate().is_ok() && !kept.iter().any(|k| k.type_name == s.type_name) {
            kept.push(s.clone());
        }
    }
    kept
}

/// Appends the schema table (the 1.1 header field) to a header being
/// encoded; fails with `SchemaTooLarge` for a table the header's u16 and
/// u32 lengths cannot hold (the header's 1 MiB limit is checked after).
pub(crate) fn encode(out: &mut Vec<u8>, schemas: &[TypeSchema]) -> Result<()> {
    let too_large = |what: String| Error::new(ErrorKind::SchemaTooLarge, what);
    let n = u16::try_from(schemas.len())
        .map_err(|_| too_large("more than 65535 type schemas".into()))?;
    out.extend_from_slice(&n.to_le_bytes());
    for s in schemas {
        let names = [
            &s.type_name,
            &s.encoding,
            &s.schema_encoding,
            &s.schema_name,
        ];
        if names.iter().any(|name| name.len() > u16::MAX as usize) {
            let what = format!("schema of type {:?}: a name over 65535 bytes", s.type_name);
            return Err(too_large(what));
        }
        for name in names {
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
        }
        out.extend_from_slice(&(s.schema.len() as u32).to_le_bytes());
        out.extend_from_slice(&s.schema);
    }
    Ok(())
}

/// Reads the schema table from a 1.1 header's fields after the parameters;
/// `None` if it is malformed.
pub(crate) fn decode(c: &mut Cursor<'_>) -> Option<Vec<TypeSchema>> {
    let n = c.u16()?;
    let mut schemas = Vec::with_capacity((n as usize).min(c.remaining() / 12));
    for _ in 0..n {
        schemas.push(TypeSchema {
            type_name: c.short_string()?,
            encoding: c.short_string()?,
            schema_encoding: c.short_string()?,
            schema_name: c.short_string()?,
            schema: c.u32().and_then(|len| c.bytes(len as usize))?.to_vec(),
        });
    }
    Some(schemas)
}

/// Checks that `set` is a `FileDescriptorSet` declaring the message
/// `full_name` (nested messages as `package.Outer.Inner`). A walk of the
/// protobuf wire format over the three fields that name messages: the set's
/// files (1), a file's package (2) and messages (4), a message's name (1)
/// and nested messages (3); it goes down only along `full_name`, at most
/// `MAX_NESTING` messages deep (protobuf's own limit), so that a hostile
/// set costs neither the stack nor memory.
fn check_descriptor_set(set: &[u8], full_name: &str) -> std::result::Result<(), String> {
    let unparsed = || "the descriptor set does not parse as a FileDescriptorSet".to_string();
    let full_name = full_name.strip_prefix('.').unwrap_or(full_name);
    if full_name.split('.').count() > MAX_NESTING {
        let what = format!("message {full_name:?} is nested deeper than {MAX_NESTING}");
        return Err(what);
    }
    for file in wire_fields(set).ok_or_else(unparsed)? {
        let (1, Some(file)) = file else { continue };
        let fields = wire_fields(file).ok_or_else(unparsed)?;
        let package = fields
            .iter()
            .find(|f| f.0 == 2)
            .and_then(|f| f.1)
            .unwrap_or(b"");
        let package = std::str::from_utf8(package).map_err(|_| unparsed())?;
        let rest = match package {
            "" => Some(full_name),
            p => full_name.strip_prefix(p).and_then(|r| r.strip_prefix('.')),
        };
        let Some(rest) = rest else { continue };
        for (_, message) in fields.iter().filter(|f| f.0 == 4) {
            if declares(message.ok_or_else(unparsed)?, rest).ok_or_else(unparsed)? {
                return Ok(());
            }
        }
    }
    let what = format!("the descriptor set declares no message {full_name:?}");
    Err(what)
}

/// Most messages nested in one another that a schema's message may be in.
const MAX_NESTING: usize = 100;

/// Whether `message` (a `DescriptorProto`) is `path` (`Name`), or holds it
/// nested (`Name.Inner...`); `None` if its bytes are not protobuf.
fn declares(message: &[u8], path: &str) -> Option<bool> {
    let fields = wire_fields(message)?;
    let name = std::str::from_utf8(fields.iter().find(|f| f.0 == 1)?.1?).ok()?;
    let Some(rest) = path.strip_prefix(name) else {
        return Some(false);
    };
    if rest.is_empty() {
        return Some(true);
    }
    let Some(inner) = rest.strip_prefix('.') else {
        return Some(false);
    };
    for (_, nested) in fields.iter().filter(|f| f.0 == 3) {
        if declares((*nested)?, inner)? {
            return Some(true);
        }
    }
    Some(false)
}

/// A protobuf field: its number, and its bytes if length-delimited.
type WireField<'a> = (u64, Option<&'a [u8]>);

/// The fields of one protobuf message; only length-delimited ones carry
/// their bytes. `None` if the bytes are not protobuf.
fn wire_fields(mut buf: &[u8]) -> Option<Vec<WireField<'_>>> {
    let mut fields = Vec::new();
    while !buf.is_empty() {
        let mut c = Cursor::new(buf);
        let key = c.varint()?;
        let value = match key & 7 {
            0 => c.varint().map(|_| None)?,
            1 => c.bytes(8).map(|_| None)?,
            2 => Some(c.var_bytes()?),
            5 => c.bytes(4).map(|_| None)?,
            _ => return None,
        };
        if key >> 3 == 0 {
            return None;
        }
        fields.push((key >> 3, value));
        buf = c.rest();
    }
    Some(fields)
}

/// A JSON Schema document must be a UTF-8 JSON object: the core reads no
/// JSON, so this checks the text's outline; the tool parses it whole.
fn check_json_object(schema: &[u8]) -> std::result::Result<(), String> {
    let text = std::str::from_utf8(schema).map_err(|_| "the JSON Schema is not UTF-8")?;
    let text = text.trim();
    if text.starts_with('{') && text.ends_with('}') {
        return Ok(());
    }
    Err("the JSON Schema is not a JSON object".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FileDescriptorSet declaring `shop.Order` with a nested `Line`,
    /// encoded by hand: file { package "shop", message { name "Order",
    /// nested { name "Line" } } }.
    fn descriptor_set() -> Vec<u8> {
        let field = |n: u8, body: &[u8]| [&[n << 3 | 2, body.len() as u8][..], body].concat();
        let line = field(1, b"Line");
        let order = [field(1, b"Order"), field(3, &line)].concat();
        let file = [field(2, b"shop"), field(4, &order)].concat();
        field(1, &file)
    }

    #[test]
    fn a_descriptor_set_holding_the_message_is_accepted_nested_ones_too() {
        for name in ["shop.Order", "shop.Order.Line", ".shop.Order"] {
            TypeSchema::protobuf("t", descriptor_set(), name)
                .validate()
                .unwrap();
        }
    }

    #[test]
    fn a_missing_message_and_an_unparsable_descriptor_are_invalid_schemas() {
        for (set, name) in [
            (descriptor_set(), "shop.Refund"),
            (b"\xff\xff".to_vec(), "a.B"),
        ] {
            let err = TypeSchema::protobuf("orders", set, name)
                .validate()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidSchema);
            assert!(err.to_string().contains("\"orders\""), "{err}");
        }
    }

    #[test]
    fn a_message_nested_past_the_limit_is_refused_without_a_deep_walk() {
        let deep = vec!["M"; MAX_NESTING + 1].join(".");
        let err = TypeSchema::protobuf("t", descriptor_set(), &deep)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }

    #[test]
    fn unknown_or_mismatched_encodings_are_invalid_schemas() {
        let mut s = TypeSchema::self_describing("t", "yaml");
        assert_eq!(s.validate().unwrap_err().kind(), ErrorKind::InvalidSchema);
        s.encoding = "json".into();
        s.validate().unwrap();
        s.schema_encoding = "protobuf".into();
        assert_eq!(s.validate().unwrap_err().kind(), ErrorKind::InvalidSchema);
        s.schema_encoding = "jsonschema".into();
        s.schema = b"[1]".to_vec();
        assert_eq!(s.validate().unwrap_err().kind(), ErrorKind::InvalidSchema);
        s.schema = b" {\"type\": \"object\"}\n".to_vec();
        s.validate().unwrap();
    }

    #[test]
    fn a_schema_table_round_trips() {
        let schemas = vec![
            TypeSchema::protobuf("orders", descriptor_set(), "shop.Order"),
            TypeSchema::self_describing("events", "cbor"),
        ];
        let mut out = Vec::new();
        encode(&mut out, &schemas).unwrap();
        let mut c = Cursor::new(&out);
        assert_eq!(decode(&mut c).unwrap(), schemas);
        assert_eq!(c.remaining(), 0);
        assert!(decode(&mut Cursor::new(&out[..out.len() - 1])).is_none());
    }
}
