//! Payloads as JSON values, by their type's schema in the segment header
//! (`binlog::TypeSchema`): protobuf through the stored descriptor set
//! (canonical JSON mapping, 64-bit integers as numbers), JSON, CBOR and
//! MessagePack (byte strings as base64). And back: a JSON value encoded
//! as a payload of the type (`binlog write --json`).

use crate::encoding;
use crate::encoding::json_str;
use crate::protowire::{
    self, FieldKind, FieldPlan, Known, Plan, Read, Unread, Val, WellKnown, Wires,
};
use crate::time;
use binlog::{Error, ErrorKind, TypeSchema};
use ciborium::de::Error as CborError;
use num_bigint::{BigInt, Sign};
use prost_reflect::prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind as ReflectKind};
use prost_reflect::{MessageDescriptor, SerializeOptions};
use rmpv::decode::Error as MsgpackError;
use serde::Serializer;
use serde_json::{Number, Value};

/// How one type's payloads decode, by their encoding; built once per
/// schema.
pub enum Decoder {
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
            let what = format!("schema of type {:?}: {what}", schema.type_name);
            Error::new(ErrorKind::InvalidSchema, what)
        };
        if schema.schema_encoding == "jsonschema" {
            serde_json::from_slice::<Value>(&schema.schema)
                .map_err(|e| bad(format!("the JSON Schema does not parse: {e}")))?;
        }
        Ok(match schema.encoding.as_str() {
            "protobuf" => {
                let pool = DescriptorPool::decode(&schema.schema[..])
                    .map_err(|e| bad(format!("the descriptor set does not build: {e}")))?;
                let name = schema.schema_name.trim_start_matches('.');
                let message = pool.get_message_by_name(name).ok_or_else(|| {
                    bad(format!("the descriptor set declares no message {name:?}"))
                })?;
                Self::Protobuf(message.clone(), Plan::new(&message))
            }
            "json" => Self::Json,
            "cbor" => Self::Cbor,
            "msgpack" => Self::Msgpack,
            other => return Err(bad(format!("{other:?} payloads are not decoded by binlog"))),
        })
    }

    /// The payload's JSON text appended to `out` (as `decode`'s value
    /// would print); `Err` says why it does not decode.
    pub fn decode_json(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let start = out.len();
        let Self::Protobuf(desc, plan) = self else {
            let value = self.decode(payload)?;
            return serde_json::to_writer(out, &value).map_err(|e| e.to_string());
        };
        if let Some(plan) = plan {
            match (Json { plan, out }).message(Plan::ROOT, payload, 0) {
                Ok(()) => return Ok(()),
                Err(Unread) => out.truncate(start),
            }
        }
        // What the direct path does not read, prost-reflect does (and
        // says why a payload does not decode).
        reflect_json(desc, payload, &mut serde_json::Serializer::new(out))
    }

    /// The payload as a JSON value; `Err` says why it does not decode.
    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        match self {
            Self::Protobuf(desc, _) => reflect_json(desc, payload, serde_json::value::Serializer),
            Self::Json => serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}")),
            Self::Cbor | Self::Msgpack => {
                // MessagePack values are read as CBOR ones: the same model.
                let mut rest = payload;
                // Why one does not read, in words (ciborium's errors print
                // as Rust debug output, rmpv's speak of I/O).
                let (short, deep) = ("it ends inside its value", "nested too deeply");
                let value = match self {
                    Self::Cbor => ciborium::from_reader(&mut rest).map_err(|e| match e {
                        CborError::Io(_) => short.into(),
                        CborError::Syntax(at) => format!("byte {at} is not CBOR"),
                        CborError::Semantic(None, why) => why,
                        CborError::Semantic(Some(at), why) => format!("byte {at}: {why}"),
                        CborError::RecursionLimitExceeded => deep.into(),
                    }),
                    _ => rmpv::decode::read_value(&mut rest)
                        .map_err(|e| match e {
                            MsgpackError::DepthLimitExceeded => deep.into(),
                            // From memory, a read meets nothing but its end.
                            _ => short.into(),
                        })
                        .and_then(|v| {
                            ciborium::Value::serialized(&v)
                                .map_err(|ciborium::value::Error::Custom(why)| why)
                        }),
                }?;
                if !rest.is_empty() {
                    let n = crate::error::counted(rest.len() as u64, "byte");
                    return Err(format!("{n} after its value"));
                }
                Ok(cbor_to_json(value))
            }
        }
    }

    /// `value` encoded as a payload of this type; `Err` says why it does
    /// not fit (a field the message lacks, a value of the wrong kind).
    pub fn encode(&self, mut value: Value) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let value = &mut value;
        match self {
            Self::Protobuf(desc, _) => {
                float_max_fits(desc, value);
                let msg = DynamicMessage::deserialize(desc.clone(), &*value)
                    .map_err(|e| format!("does not fit {}: {e}", desc.full_name()))?;
                return Ok(msg.encode_to_vec());
            }
            // A JSON value always encodes: into memory, nothing fails.
            Self::Json => serde_json::to_writer(&mut out, value).ok(),
            Self::Cbor => ciborium::into_writer(value, &mut out).ok(),
            Self::Msgpack => rmpv::ext::to_value(value)
                .ok()
                .and_then(|v| rmpv::encode::write_value(&mut out, &v).ok()),
        }
        .expect("a JSON value encodes");
        Ok(out)
    }

    /// The message descriptor of a protobuf type (`binlog export`'s
    /// typed columns).
    pub fn message(&self) -> Option<&MessageDescriptor> {
        match self {
            Self::Protobuf(desc, _) => Some(desc),
            _ => None,
        }
    }
}

/// Payload `bytes` of message `m` decoded by prost-reflect, into `s` as
/// its JSON mapping shows it (64-bit integers as numbers); `Err` says why
/// it does not decode.
fn reflect_json<S: Serializer>(m: &MessageDescriptor, bytes: &[u8], s: S) -> Result<S::Ok, String> {
    let msg = DynamicMessage::decode(m.clone(), bytes).map_err(|e| e.to_string())?;
    let o = SerializeOptions::new().stringify_64_bit_integers(false);
    msg.serialize_with_options(s, &o).map_err(|e| e.to_string())
}

/// Each number of a `float` field of `value`, a message's JSON, beyond
/// `f32::MAX` but nearer it than infinity (`3.4028235e+38`, FLT_MAX as
/// printed) made `f32::MAX` exactly: prost-reflect refuses it as out of
/// range, where it takes a number below `f32::MAX` to its nearest float.
fn float_max_fits(desc: &MessageDescriptor, value: &mut Value) {
    for (name, v) in value.as_object_mut().into_iter().flatten() {
        let by_name = desc.get_field_by_json_name(name);
        let Some(f) = by_name.or_else(|| desc.get_field_by_name(name)) else {
            continue;
        };
        let (kind, values): (_, Vec<&mut Value>) = match (f.kind(), v) {
            (ReflectKind::Message(entry), Value::Object(map)) if f.is_map() => {
                let value_field = entry.map_entry_value_field();
                (value_field.kind(), map.values_mut().collect())
            }
            (kind, Value::Array(items)) if f.is_list() => (kind, items.iter_mut().collect()),
            (kind, v) => (kind, vec![v]),
        };
        for v in values {
            match (&kind, v.as_f64()) {
                (ReflectKind::Float, Some(x))
                    if x.abs() > f64::from(f32::MAX) && (x as f32).is_finite() =>
                {
                    *v = Value::from(x as f32)
                }
                (ReflectKind::Message(m), _) => float_max_fits(m, v),
                _ => {}
            }
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
        "type": s.type_name, "encoding": s.encoding, "schema_encoding": s.schema_encoding,
        "schema_name": s.schema_name, "schema_bytes": s.schema.len(),
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

/// Protobuf payloads read through `plan` appended to `out` as
/// prost-reflect's JSON mapping shows them (with
/// `stringify_64_bit_integers(false)`).
struct Json<'a> {
    plan: &'a Plan,
    out: &'a mut Vec<u8>,
}

impl Json<'_> {
    /// Message `m`'s bytes: set fields in number order, zeros of fields
    /// without presence left out, enums by name, bytes in base64, a
    /// well-known type in its form (`protowire::WellKnown`).
    fn message(&mut self, m: usize, bytes: &[u8], depth: usize) -> Read<()> {
        protowire::check_depth(depth)?;
        let plan = self.plan;
        let start = self.out.len();
        if plan.message(m).known.is_none() && self.in_order(m, bytes, depth)? {
            return Ok(());
        }
        self.out.truncate(start);
        match plan.read(m, bytes)? {
            Known::Fields(fields) if plan.message(m).known == Some(WellKnown::Unwrapped) => {
                let f = &plan.message(m).fields[fields.first().map_or(0, |w| w.0)];
                self.field(f, &fields, depth, true)?;
            }
            Known::Fields(fields) => {
                self.out.push(b'{');
                self.members(m, &fields, depth)?;
                self.out.push(b'}');
            }
            Known::Time(seconds, nanos) => time::push_rfc3339_proto(self.out, seconds, nanos),
            Known::Duration(d) => json_str(self.out, &d.to_string()),
            Known::Any(url, embedded, bytes) => {
                self.out.extend_from_slice(b"{\"@type\":");
                json_str(self.out, url);
                match plan.read(embedded, bytes)? {
                    Known::Fields(fields) if plan.message(embedded).known.is_none() => {
                        self.members(embedded, &fields, depth + 1)?
                    }
                    _ => {
                        self.out.extend_from_slice(b",\"value\":");
                        self.message(embedded, bytes, depth + 1)?;
                    }
                }
                self.out.push(b'}');
            }
        }
        Ok(())
    }

    /// Message `m`'s object straight from its `bytes`, when its fields
    /// come in number order, each once, none of a oneof (as encoders write
    /// them): true; false (not all written) when they do not.
    fn in_order(&mut self, m: usize, mut bytes: &[u8], depth: usize) -> Read<bool> {
        let (msg, mut next) = (self.plan.message(m), 0);
        self.out.push(b'{');
        while let Some((i, w)) = msg.next_field(&mut bytes)? {
            let f = &msg.fields[i];
            if i < next || f.oneof.is_some() {
                return Ok(false);
            }
            next = i + 1;
            // A singular field's one value as `field` shows it (without its
            // calls: a tenth of the decoding); lists and maps by `members`.
            let v = match f.list || f.map.is_some() {
                true => self.members(m, &[(i, w)], depth).map(|()| None)?,
                false => Some(f.value(w)?).filter(|v| f.presence || *v != f.zero),
            };
            if let Some(v) = v {
                self.key(f);
                self.value(&f.kind, v, depth)?;
            }
        }
        self.out.push(b'}');
        Ok(true)
    }

    /// The members of message `m` of its fields `fields`.
    fn members(&mut self, m: usize, fields: &Wires, depth: usize) -> Read<()> {
        for field in fields.chunk_by(|a, b| a.0 == b.0) {
            let (f, start) = (&self.plan.message(m).fields[field[0].0], self.out.len());
            self.key(f);
            if !self.field(f, field, depth, false)? {
                self.out.truncate(start);
            }
        }
        Ok(())
    }

    /// A comma (but right after the object's `{`), and field `f`'s key.
    fn key(&mut self, f: &FieldPlan) {
        (self.out.last() != Some(&b'{')).then(|| self.out.push(b','));
        self.out.extend_from_slice(&f.json_key);
    }

    /// The value of field `f` from its occurrences `wires`; false for a
    /// zero that is not shown (`shown`: every value is, empty lists too).
    fn field(&mut self, f: &FieldPlan, wires: &Wires, depth: usize, shown: bool) -> Read<bool> {
        if let Some(entry) = &f.map {
            self.out.push(b'{');
            for (i, (k, v)) in protowire::map_entries(f, wires)?.into_iter().enumerate() {
                (i > 0).then(|| self.out.push(b','));
                json_str(self.out, &protowire::key_text(k));
                self.out.push(b':');
                self.value(&entry.1.kind, v, depth)?;
            }
            self.out.push(b'}');
        } else if f.list {
            let mut values = Vec::new();
            f.values(wires, &mut values)?;
            if values.is_empty() && !shown {
                return Ok(false); // An empty list is a default, as a zero is.
            }
            self.out.push(b'[');
            for (i, &v) in values.iter().enumerate() {
                (i > 0).then(|| self.out.push(b','));
                self.value(&f.kind, v, depth)?;
            }
            self.out.push(b']');
        } else {
            let v = f.last(wires)?;
            if !shown && !f.presence && v == f.zero {
                return Ok(false);
            }
            self.value(&f.kind, v, depth)?;
        }
        Ok(true)
    }

    /// One value of a field of kind `kind`.
    fn value(&mut self, kind: &FieldKind, v: Val<'_>, depth: usize) -> Read<()> {
        let out = &mut *self.out;
        match v {
            Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Val::I32(n) => number(out, n),
            Val::I64(n) => number(out, n),
            Val::U32(n) => number(out, n),
            Val::U64(n) => number(out, n),
            Val::F32(x) => encoding::push_float(out, x),
            Val::F64(x) => encoding::push_float(out, x),
            Val::Str(s) => json_str(out, s),
            Val::Bytes(b) => encoding::quoted(out, |out| encoding::push_base64(out, b)),
            Val::Enum(n) => match kind {
                FieldKind::Of(ReflectKind::Enum(e)) => match e.get_value(n) {
                    Some(named) => json_str(out, named.name()),
                    None => number(out, n),
                },
                _ => return Err(Unread),
            },
            Val::Message(m, bytes) => self.message(m, bytes, depth + 1)?,
            Val::Null => out.extend_from_slice(b"null"),
        }
        Ok(())
    }
}

/// A number as serde_json writes it (itoa, ryu), as prost-reflect's is.
fn number(out: &mut Vec<u8>, n: impl serde::Serialize) {
    serde_json::to_writer(out, &n).expect("writing to a Vec cannot fail");
}

/// A CBOR value as JSON: byte strings in base64, tags dropped but those of
/// bignums (2 and 3, read as the integers they are), a map key that is not
/// text as its JSON text (`1`, `[1,2]`), an integer beyond 64 bits as its
/// decimal text, a float JSON lacks as `encoding::non_finite` names it.
fn cbor_to_json(v: ciborium::Value) -> Value {
    use ciborium::Value as C;
    match v {
        C::Integer(i) => integer(i.into()),
        C::Tag(tag, inner) => match (tag, *inner) {
            (2 | 3, C::Bytes(magnitude)) => {
                // n (tag 2), or -1 - n (tag 3).
                let n = BigInt::from_bytes_be(Sign::Plus, &magnitude);
                let n = if tag == 3 { -(n + 1u8) } else { n };
                i128::try_from(&n).map_or_else(|_| Value::String(n.to_string()), integer)
            }
            (_, inner) => cbor_to_json(inner),
        },
        C::Bytes(b) => Value::String(encoding::base64(&b)),
        C::Float(f) => match encoding::non_finite(f) {
            Some(name) => Value::String(name.into()),
            None => Number::from_f64(f).map_or(Value::Null, Value::Number),
        },
        C::Text(s) => Value::String(s),
        C::Bool(b) => Value::Bool(b),
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

/// An integer as a JSON number if it fits 64 bits, else as its decimal text.
fn integer(i: i128) -> Value {
    serde_json::to_value(i).unwrap_or_else(|_| Value::String(i.to_string()))
}

/// `t.All`, a message with a field of every kind (`f11`, a float, `f12`,
/// a double, `r11` and `r12` their lists), and its random messages: the
/// tool's protobuf tests'.
#[cfg(test)]
#[path = "../../tests/it/common/protobuf_all.rs"]
pub mod protobuf_all;

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
        assert_eq!(decoder.encode(value.clone()).unwrap(), payload);
        assert!(decoder.decode(b"\xff\xff\xff").is_err());
        assert!(decoder.encode(json!({"price": 1})).is_err());
    }

    #[test]
    fn cbor_and_msgpack_round_trip_and_show_byte_strings_as_base64() {
        let value = json!({"n": -3, "big": u64::MAX, "x": 1.5, "s": "hi", "a": [true, null]});
        for encoding in ["cbor", "msgpack", "json"] {
            let decoder = Decoder::new(&TypeSchema::self_describing("t", encoding)).unwrap();
            let payload = decoder.encode(value.clone()).unwrap();
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

    fn decoder(encoding: &str) -> Decoder {
        let schema = match encoding {
            "protobuf" => {
                let (set, name) = protobuf_all::all_kinds_descriptor_set();
                TypeSchema::protobuf("all", set, name)
            }
            _ => TypeSchema::self_describing("t", encoding),
        };
        Decoder::new(&schema).unwrap()
    }

    /// The JSON text `d` prints of `payload`.
    fn printed(d: &Decoder, payload: &[u8]) -> String {
        let mut out = Vec::new();
        d.decode_json(payload, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every double reads back as printed, in every encoding; a float
    /// field takes FLT_MAX as printed (`3.4028235e+38`, beyond `f32::MAX`
    /// as a double), but no number beyond it.
    #[test]
    fn every_double_and_float_max_read_back_as_printed() {
        let double = r#"{"x":127.61900457388617}"#;
        let cases = [
            ("json", double),
            ("cbor", double),
            ("msgpack", double),
            (
                "protobuf",
                r#"{"f11":3.4028235e+38,"f12":127.61900457388617,"r11":[-3.4028235e+38,1.5]}"#,
            ),
        ];
        for (encoding, text) in cases {
            let d = decoder(encoding);
            let payload = d.encode(serde_json::from_str(text).unwrap()).unwrap();
            assert_eq!(printed(&d, &payload), text, "{encoding}");
        }
        assert!(decoder("protobuf").encode(json!({"f11": 3.5e38})).is_err());
    }

    /// NaN and the infinities, which JSON lacks, print as protobuf's JSON
    /// mapping names them, in every encoding.
    #[test]
    fn nan_and_infinities_print_as_strings_in_every_encoding() {
        let names = r#"["NaN","Infinity","-Infinity"]"#;
        // A double NaN, a half infinity, a single -infinity.
        let cbor = b"\x83\xfb\x7f\xf8\0\0\0\0\0\0\xf9\x7c\x00\xfa\xff\x80\0\0";
        assert_eq!(printed(&decoder("cbor"), cbor), names);
        let msgpack = b"\x93\xcb\x7f\xf8\0\0\0\0\0\0\xca\x7f\x80\0\0\xca\xff\x80\0\0";
        assert_eq!(printed(&decoder("msgpack"), msgpack), names);
        let all = decoder("protobuf");
        let text = r#"{"f11":"NaN","f12":"-Infinity","r12":["Infinity","NaN"]}"#;
        let payload = all.encode(serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(printed(&all, &payload), text);
    }

    /// A CBOR bignum (tag 2: n, tag 3: -1 - n) prints as its integer: a
    /// number within 64 bits, else a string of its decimal digits.
    #[test]
    fn cbor_bignums_print_as_their_integers() {
        let bignum = |tag: u8, magnitude: &[u8]| {
            [&[0xc0 | tag, 0x40 | magnitude.len() as u8][..], magnitude].concat()
        };
        let two_to_the = |bytes: usize| [&[1u8][..], &vec![0; bytes]].concat();
        let mut five = vec![0; 20];
        five[19] = 5;
        let cases = [
            (bignum(2, &two_to_the(8)), json!("18446744073709551616")),
            (bignum(3, &two_to_the(8)), json!("-18446744073709551617")),
            (
                bignum(3, &two_to_the(16)),
                json!("-340282366920938463463374607431768211457"),
            ),
            (bignum(2, &five), json!(5)),
            (bignum(3, &five), json!(-6)),
        ];
        let cbor = decoder("cbor");
        for (payload, value) in cases {
            assert_eq!(cbor.decode(&payload), Ok(value), "{payload:02x?}");
        }
    }

    /// Why a CBOR or MessagePack payload does not decode, in words (not
    /// ciborium's `Semantic(None, "...")`, nor rmpv's I/O error).
    #[test]
    fn why_a_payload_does_not_decode_is_said_in_words() {
        let why = |encoding: &str, payload: &[u8]| decoder(encoding).decode(payload).unwrap_err();
        let nested = [0x81; 300];
        let too_negative = [&[0xc3, 0x50][..], &[0xff; 16]].concat();
        let cases: [(&str, &[u8], &str); 7] = [
            ("cbor", b"\xa1\x61", "it ends inside its value"),
            ("cbor", b"\x1c", "byte 0 is not CBOR"),
            ("cbor", &too_negative, "integer too large"),
            ("cbor", &nested, "nested too deeply"),
            ("cbor", b"\x01\x02", "1 byte after its value"),
            ("msgpack", b"\x92\x01", "it ends inside its value"),
            ("msgpack", b"\x01\x02\x03", "2 bytes after its value"),
        ];
        for (encoding, payload, said) in cases {
            assert_eq!(why(encoding, payload), said, "{encoding} {payload:02x?}");
        }
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

    /// `w.Wkt` (a field of each well-known type) and its plan.
    fn well_known() -> (MessageDescriptor, Plan) {
        let (set, name) = protobuf_all::well_known_descriptor_set();
        let d = Decoder::new(&TypeSchema::protobuf("w", set, name)).unwrap();
        match d {
            Decoder::Protobuf(desc, Some(plan)) => (desc, plan),
            _ => panic!("w.Wkt is read from the wire"),
        }
    }

    /// What the wire path and prost-reflect (its JSON text) print of
    /// `payload`: None where it is not read, or does not decode.
    fn both(desc: &MessageDescriptor, plan: &Plan, payload: &[u8]) -> [Option<String>; 2] {
        let mut wire = Vec::new();
        let mut json = Json {
            plan,
            out: &mut wire,
        };
        let read = json.message(Plan::ROOT, payload, 0).is_ok();
        let mut printed = Vec::new();
        let reflect = reflect_json(
            desc,
            payload,
            &mut serde_json::Serializer::new(&mut printed),
        );
        let text = |ok: bool, t: Vec<u8>| ok.then(|| String::from_utf8(t).unwrap());
        [text(read, wire), text(reflect.is_ok(), printed)]
    }

    /// A length-delimited field `number` of `bytes`.
    fn field(number: u32, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        prost_reflect::prost::encoding::bytes::encode(number, &bytes.to_vec(), &mut out);
        out
    }

    /// Each well-known type's JSON form, exactly as prost-reflect prints
    /// it, read from the wire; the values its form refuses (a Timestamp
    /// out of its years, NaN in a Struct, an Any of a type the pool lacks)
    /// and those prost-reflect normalizes (nanos out of range, NaN in a
    /// wrapper, a NullValue not 0) left to prost-reflect.
    #[test]
    fn well_known_types_print_in_their_json_forms_read_from_the_wire() {
        use protobuf_all::seconds_nanos as time;
        let (desc, plan) = well_known();
        let of = |v: Value| {
            let msg = DynamicMessage::deserialize(desc.clone(), v).unwrap();
            msg.encode_to_vec()
        };
        let any = |url: &str, bytes: &[u8]| [field(1, url.as_bytes()), field(2, bytes)].concat();
        let url = "type.googleapis.com/";
        let read: [(Vec<u8>, &str); 23] = [
            (field(1, &[]), r#"{"timestamp":"1970-01-01T00:00:00Z"}"#),
            (
                field(1, &time(1_700_000_000, 120_000_000)),
                r#"{"timestamp":"2023-11-14T22:13:20.120Z"}"#,
            ),
            (
                field(1, &time(-1, 123_456_000)),
                r#"{"timestamp":"1969-12-31T23:59:59.123456Z"}"#,
            ),
            (
                field(1, &time(-62_135_596_800, 1)),
                r#"{"timestamp":"0001-01-01T00:00:00.000000001Z"}"#,
            ),
            (
                field(1, &time(253_402_300_799, 999_999_999)),
                r#"{"timestamp":"9999-12-31T23:59:59.999999999Z"}"#,
            ),
            (field(2, &[]), r#"{"duration":"0s"}"#),
            (field(2, &time(1, 500_000_000)), r#"{"duration":"1.500s"}"#),
            (
                field(2, &time(-1, -500_000_000)),
                r#"{"duration":"-1.500s"}"#,
            ),
            (field(2, &time(0, -1_000)), r#"{"duration":"-0.000001s"}"#),
            // Seconds and nanos of other signs: prost's own form of them.
            (
                field(2, &time(1, -500_000_000)),
                r#"{"duration":"-0.500s"}"#,
            ),
            (
                field(2, &time(-315_576_000_000, 0)),
                r#"{"duration":"-315576000000s"}"#,
            ),
            (
                of(json!({"doublevalue": 0.0, "floatvalue": 0.1, "int64value": "-5"})),
                r#"{"doublevalue":0.0,"floatvalue":0.1,"int64value":-5}"#,
            ),
            (
                of(
                    json!({"uint64value": u64::MAX.to_string(), "int32value": -1, "uint32value": 0}),
                ),
                r#"{"uint64value":18446744073709551615,"int32value":-1,"uint32value":0}"#,
            ),
            (
                of(json!({"boolvalue": false, "stringvalue": "\u{e9}\"", "bytesvalue": "AAE="})),
                r#"{"boolvalue":false,"stringvalue":"é\"","bytesvalue":"AAE="}"#,
            ),
            (
                of(json!({"struct": {"b": [true, null, "x", {}], "a": {"c": -1.5}}})),
                r#"{"struct":{"a":{"c":-1.5},"b":[true,null,"x",{}]}}"#,
            ),
            (
                of(json!({"struct": {}, "listvalue": [], "value": null})),
                r#"{"struct":{},"value":null,"listvalue":[]}"#,
            ),
            (field(13, &[]), r#"{"value":null}"#),
            (
                field(15, &any(&format!("{url}w.Inner"), &[8, 3])),
                r#"{"any":{"@type":"type.googleapis.com/w.Inner","n":3}}"#,
            ),
            (
                field(
                    15,
                    &any(&format!("{url}google.protobuf.Duration"), &time(1, 0)),
                ),
                r#"{"any":{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1s"}}"#,
            ),
            (
                field(15, &any(&format!("{url}google.protobuf.Empty"), &[])),
                r#"{"any":{"@type":"type.googleapis.com/google.protobuf.Empty","value":{}}}"#,
            ),
            (
                of(json!({"empty": {}, "null": null, "counts": [1, 0]})),
                r#"{"empty":{},"counts":[1,0]}"#,
            ),
            (
                of(json!({"took": {"k": "2.000001s"}, "times": ["1970-01-01T00:00:00.100Z"]})),
                r#"{"times":["1970-01-01T00:00:00.100Z"],"took":{"k":"2.000001s"}}"#,
            ),
            (field(18, &field(1, b"k")), r#"{"took":{"k":"0s"}}"#),
        ];
        for (payload, text) in read {
            let [wire, reflect] = both(&desc, &plan, &payload);
            assert_eq!(
                (wire.as_deref(), reflect.as_deref()),
                (Some(text), Some(text))
            );
        }
        let nan = [8 | 1, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
        let left: [(Vec<u8>, Option<&str>); 9] = [
            (field(1, &time(-62_135_596_801, 0)), None),
            (field(1, &time(253_402_300_800, 0)), None),
            (
                field(1, &time(0, -1)),
                Some(r#"{"timestamp":"1969-12-31T23:59:59.999999999Z"}"#),
            ),
            (field(2, &time(315_576_000_001, 0)), None),
            (field(3, &nan), Some(r#"{"doublevalue":null}"#)),
            (
                field(
                    12,
                    &field(
                        1,
                        &[
                            &field(1, b"k")[..],
                            &field(2, &[0x11, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f]),
                        ]
                        .concat(),
                    ),
                ),
                None,
            ),
            (field(15, &any("type.googleapis.com/w.Missing", &[])), None),
            (field(15, &any("w.Inner", &[8, 3])), None),
            (vec![0x98, 1, 1], Some(r#"{"null":null}"#)),
        ];
        for (payload, text) in left {
            let [wire, reflect] = both(&desc, &plan, &payload);
            assert_eq!((wire, reflect.as_deref()), (None, text), "{payload:02x?}");
        }
    }

    /// Random `w.Wkt` messages (see `random_well_known`): what the wire
    /// path prints is what prost-reflect prints, and it leaves to
    /// prost-reflect every payload prost-reflect does not print; most
    /// are read from the wire.
    #[test]
    fn random_well_known_values_print_as_prost_reflect_prints_them() {
        let (desc, plan) = well_known();
        let mut next = protobuf_all::random_numbers(0x5851_f42d_4c95_7f2d);
        let (mut read, mut refused) = (0, 0);
        for _ in 0..3000 {
            let payload = protobuf_all::random_well_known(&desc, &mut next, 0).encode_to_vec();
            match both(&desc, &plan, &payload) {
                [Some(wire), Some(reflect)] => {
                    let value = |t: &str| serde_json::from_str::<Value>(t).unwrap();
                    assert_eq!(value(&wire), value(&reflect), "{payload:02x?}");
                    read += 1;
                }
                [Some(wire), None] => panic!("{wire} of {payload:02x?}, which does not decode"),
                [None, reflect] => refused += u32::from(reflect.is_none()),
            }
        }
        assert!(
            read > 1500 && refused > 100,
            "{read} read, {refused} refused"
        );
    }
}
