//! Payloads as JSON values, by their type's schema in the segment header
//! (`binlog::TypeSchema`): protobuf through the stored descriptor set
//! (canonical JSON mapping, 64-bit integers as numbers), JSON, CBOR and
//! MessagePack (byte strings as base64). And back: a JSON value encoded
//! as a payload of the type (`binlog write --json`).

use crate::encoding;
use crate::encoding::json_str;
use crate::protowire::{self, FieldKind, FieldPlan, Plan, Unread, Val};
use binlog::{Error, ErrorKind, TypeSchema};
use prost_reflect::prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::{Number, Value};

/// How one type's payloads decode; built once per schema.
pub struct Decoder {
    kind: Kind,
}

enum Kind {
    /// A message, and its plan when the direct path reads it.
    Protobuf(MessageDescriptor, Option<Plan>),
    Json,
    Cbor,
    Msgpack,
}

impl Decoder {
    /// `InvalidSchema` (naming the type) for a schema this tool cannot
    /// use: one `TypeSchema::validate` refuses, a descriptor set that does
    /// not build, a JSON Schema that does not parse, a FlatBuffers type.
    pub fn new(schema: &TypeSchema) -> Result<Decoder, Error> {
        schema.validate()?;
        let bad = |what: String| {
            let type_name = &schema.type_name;
            Error::new(
                ErrorKind::InvalidSchema,
                format!("schema of type {type_name:?}: {what}"),
            )
        };
        if schema.schema_encoding == "jsonschema" {
            serde_json::from_slice::<Value>(&schema.schema)
                .map_err(|e| bad(format!("the JSON Schema does not parse: {e}")))?;
        }
        let kind = match schema.encoding.as_str() {
            "protobuf" => {
                let pool = DescriptorPool::decode(&schema.schema[..])
                    .map_err(|e| bad(format!("the descriptor set does not build: {e}")))?;
                let name = schema.schema_name.trim_start_matches('.');
                let message = pool.get_message_by_name(name).ok_or_else(|| {
                    bad(format!("the descriptor set declares no message {name:?}"))
                })?;
                Kind::Protobuf(message.clone(), Plan::new(&message))
            }
            "json" => Kind::Json,
            "cbor" => Kind::Cbor,
            "msgpack" => Kind::Msgpack,
            other => return Err(bad(format!("{other:?} payloads are not decoded by binlog"))),
        };
        Ok(Decoder { kind })
    }

    /// The payload's JSON text appended to `out` (as `decode`'s value
    /// would print); `Err` says why it does not decode.
    pub fn decode_json(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let start = out.len();
        let Kind::Protobuf(desc, plan) = &self.kind else {
            let value = self.decode(payload)?;
            return serde_json::to_writer(out, &value).map_err(|e| e.to_string());
        };
        if let Some(plan) = plan {
            match write_message(plan, Plan::ROOT, payload, out, 0) {
                Ok(()) => return Ok(()),
                Err(Unread) => out.truncate(start),
            }
        }
        // What the direct path does not read, prost-reflect does (and
        // says why a payload does not decode).
        let msg = DynamicMessage::decode(desc.clone(), payload).map_err(|e| e.to_string())?;
        let options = SerializeOptions::new().stringify_64_bit_integers(false);
        let mut json = serde_json::Serializer::new(out);
        msg.serialize_with_options(&mut json, &options)
            .map_err(|e| e.to_string())
    }

    /// The payload as a JSON value; `Err` says why it does not decode.
    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        match &self.kind {
            Kind::Protobuf(desc, _) => {
                let msg =
                    DynamicMessage::decode(desc.clone(), payload).map_err(|e| e.to_string())?;
                let options = SerializeOptions::new().stringify_64_bit_integers(false);
                msg.serialize_with_options(serde_json::value::Serializer, &options)
                    .map_err(|e| e.to_string())
            }
            Kind::Json => serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}")),
            Kind::Cbor | Kind::Msgpack => {
                // MessagePack values are read as CBOR ones: the same model.
                let mut rest = payload;
                let value = match self.kind {
                    Kind::Cbor => ciborium::from_reader(&mut rest).map_err(|e| e.to_string()),
                    _ => rmpv::decode::read_value(&mut rest)
                        .map_err(|e| e.to_string())
                        .and_then(|v| ciborium::Value::serialized(&v).map_err(|e| e.to_string())),
                }?;
                if !rest.is_empty() {
                    return Err(format!("{} bytes after the value", rest.len()));
                }
                Ok(cbor_to_json(value))
            }
        }
    }

    /// `value` encoded as a payload of this type; `Err` says why it does
    /// not fit (a field the message lacks, a value of the wrong kind).
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        match &self.kind {
            Kind::Protobuf(desc, _) => {
                let msg = DynamicMessage::deserialize(desc.clone(), value)
                    .map_err(|e| format!("does not fit {}: {e}", desc.full_name()))?;
                return Ok(msg.encode_to_vec());
            }
            Kind::Json => serde_json::to_writer(&mut out, value).map_err(|e| e.to_string())?,
            Kind::Cbor => ciborium::into_writer(value, &mut out).map_err(|e| e.to_string())?,
            Kind::Msgpack => rmpv::ext::to_value(value)
                .map(|v| rmpv::encode::write_value(&mut out, &v))
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?,
        }
        Ok(out)
    }

    /// The message descriptor of a protobuf type (`binlog export`'s
    /// typed columns).
    #[allow(dead_code)]
    pub fn message(&self) -> Option<&MessageDescriptor> {
        match &self.kind {
            Kind::Protobuf(desc, _) => Some(desc),
            _ => None,
        }
    }
}

/// Decoders built lazily, one per distinct schema: a type's schema can
/// differ between segments and between the logs of a merged read, so the
/// cache is keyed by the whole schema (name, encodings and bytes).
#[derive(Default)]
pub struct Decoders {
    built: Vec<(TypeSchema, Result<Decoder, Error>)>,
}

impl Decoders {
    /// The decoder of `schema` (or why it cannot be built); `None` for a
    /// type without a schema or of FlatBuffers (the tool has no decoder).
    pub fn get(&mut self, schema: Option<&TypeSchema>) -> Option<&Result<Decoder, Error>> {
        let schema = schema.filter(|s| s.encoding != "flatbuffer")?;
        let i = self.built.iter().position(|(s, _)| s == schema);
        let i = i.unwrap_or_else(|| {
            self.built.push((schema.clone(), Decoder::new(schema)));
            self.built.len() - 1
        });
        Some(&self.built[i].1)
    }
}

/// A schema as `info --json` and `schema --json` show it.
pub fn schema_json(s: &TypeSchema) -> Value {
    serde_json::json!({
        "type": s.type_name,
        "encoding": s.encoding,
        "schema_encoding": s.schema_encoding,
        "schema_name": s.schema_name,
        "schema_bytes": s.schema.len(),
    })
}

/// A schema as `info` and `schema` show it: `protobuf (schema protobuf
/// shop.Order, 342 bytes)`, `cbor (no schema)`.
pub fn schema_text(s: &TypeSchema) -> String {
    if s.schema_encoding.is_empty() {
        return format!("{} (no schema)", s.encoding);
    }
    let name = match s.schema_name.is_empty() {
        true => String::new(),
        false => format!(" {}", s.schema_name),
    };
    let (enc, n) = (&s.schema_encoding, s.schema.len());
    format!("{} (schema {enc}{name}, {n} bytes)", s.encoding)
}

/// Message `m`'s bytes as prost-reflect's JSON mapping shows them (with
/// `stringify_64_bit_integers(false)`): set fields in number order, zeros
/// of fields without presence left out, enums by name, bytes in base64.
fn write_message(
    plan: &Plan,
    m: usize,
    bytes: &[u8],
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), Unread> {
    protowire::check_depth(depth)?;
    let mut fields = Vec::with_capacity(plan.message(m).fields.len());
    plan.scan(m, bytes, &mut fields)?;
    out.push(b'{');
    for field in fields.chunk_by(|a, b| a.0 == b.0) {
        let f = &plan.message(m).fields[field[0].0];
        let start = out.len();
        if out.last() != Some(&b'{') {
            out.push(b',');
        }
        out.extend_from_slice(&f.json_key);
        if !write_field(plan, f, field, out, depth)? {
            out.truncate(start);
        }
    }
    out.push(b'}');
    Ok(())
}

/// The value of field `f` from its occurrences `wires`; false for a
/// zero that is not shown.
fn write_field(
    plan: &Plan,
    f: &FieldPlan,
    wires: &[(usize, protowire::Wire<'_>)],
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<bool, Unread> {
    if let Some(entry) = &f.map {
        let (key, value) = &**entry;
        out.push(b'{');
        for (i, (k, v)) in protowire::map_entries(f, wires)?.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if let Val::Str(s) = k {
                json_str(out, s);
            } else {
                out.push(b'"');
                write_value(plan, &key.kind, k, out, depth)?;
                out.push(b'"');
            }
            out.push(b':');
            write_value(plan, &value.kind, v, out, depth)?;
        }
        out.push(b'}');
    } else if f.list {
        let mut values = Vec::new();
        f.values(wires, &mut values)?;
        if values.is_empty() {
            return Ok(false); // An empty list is a default, as a zero is.
        }
        out.push(b'[');
        for (i, &v) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_value(plan, &f.kind, v, out, depth)?;
        }
        out.push(b']');
    } else {
        // The last occurrence wins; every one must read.
        let mut v = f.zero();
        for &(_, w) in wires {
            v = f.value(w)?;
        }
        if !f.presence && v.is_zero() {
            return Ok(false);
        }
        write_value(plan, &f.kind, v, out, depth)?;
    }
    Ok(true)
}

/// One value of a field of kind `kind`.
fn write_value(
    plan: &Plan,
    kind: &FieldKind,
    v: Val<'_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), Unread> {
    match v {
        Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Val::I32(n) => number(out, n),
        Val::I64(n) => number(out, n),
        Val::U32(n) => number(out, n),
        Val::U64(n) => number(out, n),
        Val::F32(x) if x.is_finite() => number(out, x),
        Val::F64(x) if x.is_finite() => number(out, x),
        Val::F32(x) => non_finite(out, f64::from(x)),
        Val::F64(x) => non_finite(out, x),
        Val::Str(s) => json_str(out, s),
        Val::Bytes(b) => {
            out.push(b'"');
            encoding::push_base64(out, b);
            out.push(b'"');
        }
        Val::Enum(n) => match kind {
            FieldKind::Enum(e) => match e.get_value(n) {
                Some(named) => json_str(out, named.name()),
                None => number(out, n),
            },
            _ => return Err(Unread),
        },
        Val::Message(m, bytes) => write_message(plan, m, bytes, out, depth + 1)?,
    }
    Ok(())
}

/// A number as serde_json writes it (itoa, ryu), as prost-reflect's is.
fn number(out: &mut Vec<u8>, n: impl serde::Serialize) {
    serde_json::to_writer(out, &n).expect("writing to a Vec cannot fail");
}

fn non_finite(out: &mut Vec<u8>, x: f64) {
    let text: &[u8] = match x {
        f64::INFINITY => b"\"Infinity\"",
        f64::NEG_INFINITY => b"\"-Infinity\"",
        _ => b"\"NaN\"",
    };
    out.extend_from_slice(text);
}

/// A CBOR value as JSON: byte strings in base64, tags dropped, a map key
/// that is not text as its JSON text (`1`, `[1,2]`), an integer beyond 64
/// bits (CBOR reaches -2^64) and a float JSON lacks (NaN) as text.
fn cbor_to_json(v: ciborium::Value) -> Value {
    use ciborium::Value as C;
    match v {
        C::Integer(i) => {
            let i = i128::from(i);
            serde_json::to_value(i).unwrap_or_else(|_| Value::String(i.to_string()))
        }
        C::Bytes(b) => Value::String(encoding::base64(&b)),
        C::Float(f) => {
            Number::from_f64(f).map_or_else(|| Value::String(f.to_string()), Value::Number)
        }
        C::Text(s) => Value::String(s),
        C::Bool(b) => Value::Bool(b),
        C::Tag(_, inner) => cbor_to_json(*inner),
        C::Array(items) => Value::Array(items.into_iter().map(cbor_to_json).collect()),
        C::Map(pairs) => Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| match cbor_to_json(k) {
                    Value::String(k) => (k, cbor_to_json(v)),
                    k => (k.to_string(), cbor_to_json(v)),
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_reflect::prost_types::{
        field_descriptor_proto::{Label, Type},
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
    };
    use serde_json::json;

    /// `shop.Order { uint64 id = 1; string item = 2; bytes note = 3; }`.
    fn order_descriptor_set() -> Vec<u8> {
        let field = |name: &str, number, ty: Type| FieldDescriptorProto {
            name: Some(name.into()),
            number: Some(number),
            label: Some(Label::Optional as i32),
            r#type: Some(ty as i32),
            json_name: Some(name.into()),
            ..Default::default()
        };
        let order = DescriptorProto {
            name: Some("Order".into()),
            field: vec![
                field("id", 1, Type::Uint64),
                field("item", 2, Type::String),
                field("note", 3, Type::Bytes),
            ],
            ..Default::default()
        };
        let file = FileDescriptorProto {
            name: Some("shop.proto".into()),
            package: Some("shop".into()),
            message_type: vec![order],
            syntax: Some("proto3".into()),
            ..Default::default()
        };
        FileDescriptorSet { file: vec![file] }.encode_to_vec()
    }

    #[test]
    fn a_protobuf_payload_decodes_to_its_canonical_json_with_64_bit_numbers() {
        let schema = TypeSchema::protobuf("orders", order_descriptor_set(), "shop.Order");
        let decoder = Decoder::new(&schema).unwrap();
        let desc = decoder.message().unwrap().clone();
        let value = json!({"id": u64::MAX, "item": "tea", "note": "AAE="});
        let payload = DynamicMessage::deserialize(desc, &value)
            .unwrap()
            .encode_to_vec();
        assert_eq!(decoder.decode(&payload).unwrap(), value);
        assert_eq!(decoder.encode(&value).unwrap(), payload);
        assert!(decoder.decode(b"\xff\xff\xff").is_err());
        assert!(decoder.encode(&json!({"price": 1})).is_err());
    }

    #[test]
    fn cbor_and_msgpack_round_trip_and_show_byte_strings_as_base64() {
        let value = json!({"n": -3, "big": u64::MAX, "x": 1.5, "s": "hi", "a": [true, null]});
        for encoding in ["cbor", "msgpack", "json"] {
            let decoder = Decoder::new(&TypeSchema::self_describing("t", encoding)).unwrap();
            let payload = decoder.encode(&value).unwrap();
            assert_eq!(decoder.decode(&payload).unwrap(), value, "{encoding}");
            let trailing = [&payload[..], b"\x00"].concat();
            assert!(decoder.decode(&trailing).is_err(), "{encoding}");
        }
        let cbor = Decoder::new(&TypeSchema::self_describing("t", "cbor")).unwrap();
        // {1: h'0001'}: an integer key, a byte string.
        assert_eq!(
            cbor.decode(b"\xa1\x01\x42\x00\x01").unwrap(),
            json!({"1": "AAE="})
        );
        let msgpack = Decoder::new(&TypeSchema::self_describing("t", "msgpack")).unwrap();
        // {"b": bin8 0001}.
        assert_eq!(
            msgpack.decode(b"\x81\xa1b\xc4\x02\x00\x01").unwrap(),
            json!({"b": "AAE="})
        );
    }

    #[test]
    fn decoders_are_kept_per_schema_bytes() {
        let mut decoders = Decoders::default();
        let json = TypeSchema::self_describing("t", "json");
        let cbor = TypeSchema::self_describing("t", "cbor");
        let flatbuffer = TypeSchema::self_describing("t", "flatbuffer");
        assert!(decoders.get(None).is_none() && decoders.get(Some(&flatbuffer)).is_none());
        // One type, two schemas: each payload read by its own.
        let mut one = |s| {
            decoders
                .get(Some(s))
                .unwrap()
                .as_ref()
                .unwrap()
                .decode(b"1")
        };
        assert_eq!((one(&json), one(&cbor)), (Ok(json!(1)), Ok(json!(-18))));
        let bad = TypeSchema::self_describing("t", "yaml");
        assert!(decoders.get(Some(&bad)).unwrap().is_err());
        assert_eq!(decoders.built.len(), 3);
        decoders.get(Some(&json));
        assert_eq!(decoders.built.len(), 3);
    }
}
