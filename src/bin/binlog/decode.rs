//! Payloads as JSON values, by their type's schema in the segment header
//! (`binlog::TypeSchema`): protobuf through the stored descriptor set
//! (canonical JSON mapping, 64-bit integers as numbers), JSON, CBOR and
//! MessagePack (byte strings as base64). And back: a JSON value encoded
//! as a payload of the type (`binlog write --json`).

use crate::encoding;
use binlog::{Error, ErrorKind, TypeSchema};
use prost_reflect::prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::{Number, Value};

/// How one type's payloads decode; built once per schema.
pub struct Decoder {
    kind: Kind,
}

enum Kind {
    Protobuf(MessageDescriptor),
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
                Kind::Protobuf(message)
            }
            "json" => Kind::Json,
            "cbor" => Kind::Cbor,
            "msgpack" => Kind::Msgpack,
            other => return Err(bad(format!("{other:?} payloads are not decoded by binlog"))),
        };
        Ok(Decoder { kind })
    }

    /// The payload as a JSON value; `Err` says why it does not decode.
    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        match &self.kind {
            Kind::Protobuf(desc) => {
                let msg =
                    DynamicMessage::decode(desc.clone(), payload).map_err(|e| e.to_string())?;
                let options = SerializeOptions::new().stringify_64_bit_integers(false);
                msg.serialize_with_options(serde_json::value::Serializer, &options)
                    .map_err(|e| e.to_string())
            }
            Kind::Json => serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}")),
            Kind::Cbor => {
                let mut rest = payload;
                let value: ciborium::Value =
                    ciborium::from_reader(&mut rest).map_err(|e| format!("not CBOR: {e}"))?;
                whole(rest, "CBOR")?;
                Ok(cbor_to_json(value))
            }
            Kind::Msgpack => {
                let mut rest = payload;
                let value = rmpv::decode::read_value(&mut rest)
                    .map_err(|e| format!("not MessagePack: {e}"))?;
                whole(rest, "MessagePack")?;
                Ok(msgpack_to_json(value))
            }
        }
    }

    /// `value` encoded as a payload of this type; `Err` says why it does
    /// not fit (a field the message lacks, a value of the wrong kind).
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        match &self.kind {
            Kind::Protobuf(desc) => {
                let msg = DynamicMessage::deserialize(desc.clone(), value)
                    .map_err(|e| format!("does not fit {}: {e}", desc.full_name()))?;
                return Ok(msg.encode_to_vec());
            }
            Kind::Json => serde_json::to_writer(&mut out, value).map_err(|e| e.to_string())?,
            Kind::Cbor => ciborium::into_writer(value, &mut out).map_err(|e| e.to_string())?,
            Kind::Msgpack => rmpv::encode::write_value(&mut out, &json_to_msgpack(value))
                .map_err(|e| e.to_string())?,
        }
        Ok(out)
    }

    /// The message descriptor of a protobuf type (`binlog export`'s
    /// typed columns).
    #[allow(dead_code)]
    pub fn message(&self) -> Option<&MessageDescriptor> {
        match &self.kind {
            Kind::Protobuf(desc) => Some(desc),
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
    /// type without a schema.
    pub fn get(&mut self, schema: Option<&TypeSchema>) -> Option<&Result<Decoder, Error>> {
        let schema = schema?;
        let i = match self.built.iter().position(|(s, _)| s == schema) {
            Some(i) => i,
            None => {
                self.built.push((schema.clone(), Decoder::new(schema)));
                self.built.len() - 1
            }
        };
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

/// One value must fill the payload: bytes after it mean it is not one.
fn whole(rest: &[u8], what: &str) -> Result<(), String> {
    if rest.is_empty() {
        return Ok(());
    }
    Err(format!("{} bytes after the {what} value", rest.len()))
}

fn cbor_to_json(v: ciborium::Value) -> Value {
    use ciborium::Value as C;
    match v {
        C::Integer(i) => int_to_json(i128::from(i)),
        C::Bytes(b) => Value::String(encoding::base64(&b)),
        C::Float(f) => float_to_json(f),
        C::Text(s) => Value::String(s),
        C::Bool(b) => Value::Bool(b),
        C::Null => Value::Null,
        C::Tag(_, inner) => cbor_to_json(*inner),
        C::Array(items) => Value::Array(items.into_iter().map(cbor_to_json).collect()),
        C::Map(pairs) => map_to_json(
            pairs
                .into_iter()
                .map(|(k, v)| (cbor_to_json(k), cbor_to_json(v))),
        ),
        _ => Value::Null,
    }
}

fn msgpack_to_json(v: rmpv::Value) -> Value {
    use rmpv::Value as M;
    match v {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(b),
        M::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Value::from(u),
            (_, Some(n)) => Value::from(n),
            _ => Value::Null,
        },
        M::F32(f) => float_to_json(f64::from(f)),
        M::F64(f) => float_to_json(f),
        M::String(s) => match s.into_str() {
            Some(s) => Value::String(s),
            None => Value::Null,
        },
        M::Binary(b) => Value::String(encoding::base64(&b)),
        M::Array(items) => Value::Array(items.into_iter().map(msgpack_to_json).collect()),
        M::Map(pairs) => map_to_json(
            pairs
                .into_iter()
                .map(|(k, v)| (msgpack_to_json(k), msgpack_to_json(v))),
        ),
        M::Ext(_, b) => Value::String(encoding::base64(&b)),
    }
}

/// A map as a JSON object; a key that is not text is written as its JSON
/// text (`1`, `[1,2]`), as JSON objects allow only string keys.
fn map_to_json(pairs: impl Iterator<Item = (Value, Value)>) -> Value {
    let object = pairs.map(|(k, v)| match k {
        Value::String(k) => (k, v),
        k => (k.to_string(), v),
    });
    Value::Object(object.collect())
}

/// An integer as a JSON number; one beyond 64 bits (CBOR reaches -2^64)
/// as its decimal text.
fn int_to_json(i: i128) -> Value {
    match (u64::try_from(i), i64::try_from(i)) {
        (Ok(u), _) => Value::from(u),
        (_, Ok(n)) => Value::from(n),
        _ => Value::String(i.to_string()),
    }
}

/// JSON has no NaN nor infinities: those become their names as strings.
fn float_to_json(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None => Value::String(f.to_string()),
    }
}

fn json_to_msgpack(v: &Value) -> rmpv::Value {
    use rmpv::Value as M;
    match v {
        Value::Null => M::Nil,
        Value::Bool(b) => M::Boolean(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => M::from(u),
            (_, Some(i), _) => M::from(i),
            (_, _, f) => M::F64(f.unwrap_or(f64::NAN)),
        },
        Value::String(s) => M::from(s.as_str()),
        Value::Array(items) => M::Array(items.iter().map(json_to_msgpack).collect()),
        Value::Object(map) => M::Map(
            map.iter()
                .map(|(k, v)| (M::from(k.as_str()), json_to_msgpack(v)))
                .collect(),
        ),
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
    fn a_protobuf_schema_without_its_message_is_an_invalid_schema() {
        let schema = TypeSchema::protobuf("orders", order_descriptor_set(), "shop.Refund");
        let err = Decoder::new(&schema).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidSchema);
        assert!(err.to_string().contains("\"orders\""), "{err}");
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
        assert!(decoders.get(None).is_none());
        let payload = b"1";
        assert!(decoders
            .get(Some(&json))
            .unwrap()
            .as_ref()
            .unwrap()
            .decode(payload)
            .is_ok());
        assert!(decoders
            .get(Some(&cbor))
            .unwrap()
            .as_ref()
            .unwrap()
            .decode(payload)
            .is_ok());
        let bad = TypeSchema::self_describing("t", "yaml");
        assert!(decoders.get(Some(&bad)).unwrap().is_err());
        assert_eq!(decoders.built.len(), 3);
        decoders.get(Some(&json));
        assert_eq!(decoders.built.len(), 3);
    }
}
