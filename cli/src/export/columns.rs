//! The columns of an export: every record's (seq, time, type, log, meta,
//! payload) and, for a type with a schema, its decoded fields as typed
//! columns: from a protobuf message's descriptor or a JSON Schema's
//! `properties`. Every decoded column is nullable: a field a payload
//! leaves out, or one the schema of a later segment dropped, is null.

use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::Value;
use std::sync::Arc;

/// Nested messages and objects deeper than this are left out (a
/// recursive message would otherwise have no end).
const MAX_DEPTH: usize = 8;

/// The name of the column holding a payload's JSON text, for a type of
/// a self-describing encoding without a JSON Schema.
pub const DECODED_TEXT: &str = "decoded";

/// A metadata entry's fields: `meta` is a list of entries, not a map,
/// as a key written twice is kept twice (engines refuse a map whose keys
/// repeat).
pub fn meta_entry() -> Fields {
    let text = ["key", "value"].map(|name| Field::new(name, DataType::Utf8, false));
    Fields::from(text.to_vec())
}

/// A file's schema: the columns every record has, in this order, then
/// `decoded` (a decoded field named like a record column is prefixed
/// `decoded_`).
pub fn file_schema(decoded: Vec<Field>) -> Arc<Schema> {
    let meta = DataType::new_list(DataType::Struct(meta_entry()), true);
    let record = [
        Field::new("seq", DataType::UInt64, false),
        Field::new("time", ns_time("UTC"), false),
        Field::new("type", DataType::Utf8, false),
        Field::new("log", DataType::Utf8, true),
        Field::new("meta", meta, false),
        Field::new("payload", DataType::Binary, false),
    ];
    let taken = |f: &Field| record.iter().any(|r| r.name() == f.name());
    let renamed = decoded.into_iter().map(|f| match taken(&f) {
        true => f.clone().with_name(format!("decoded_{}", f.name())),
        false => f,
    });
    let fields: Vec<Field> = record.iter().cloned().chain(renamed).collect();
    Arc::new(Schema::new(fields))
}

/// A time in nanoseconds, in `zone`.
fn ns_time(zone: &str) -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some(zone.into()))
}

/// The columns of a protobuf message's fields (nested `depth` deep),
/// named as its JSON mapping names them.
pub fn of_message(m: &MessageDescriptor, depth: usize) -> Fields {
    let field = |f: FieldDescriptor| Some(Field::new(f.json_name(), field_type(&f, depth)?, true));
    m.fields().filter_map(field).collect()
}

/// A field's column type: a list for a repeated field, a map for a map.
fn field_type(f: &FieldDescriptor, depth: usize) -> Option<DataType> {
    if f.is_map() {
        let Kind::Message(entry) = f.kind() else {
            return None;
        };
        // Text keys (JSON object keys are text, whatever the key's
        // protobuf type).
        let value = kind_type(&entry.map_entry_value_field().kind(), depth)?;
        let keys = Field::new("keys", DataType::Utf8, false);
        let kv = Fields::from(vec![keys, Field::new("values", value, true)]);
        let entries = Field::new("entries", DataType::Struct(kv), false);
        return Some(DataType::Map(Arc::new(entries), false));
    }
    let item = kind_type(&f.kind(), depth)?;
    Some(match f.is_list() {
        true => DataType::List(Arc::new(Field::new("item", item, true))),
        false => item,
    })
}

/// A scalar's column type; a message's, as a struct (None: left out).
/// Bytes are base64 text, as the JSON mapping gives them; enums, names
/// (a number without a name, its decimal text).
fn kind_type(k: &Kind, depth: usize) -> Option<DataType> {
    Some(match k {
        Kind::Double => DataType::Float64,
        Kind::Float => DataType::Float32,
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => DataType::Int32,
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => DataType::Int64,
        Kind::Uint32 | Kind::Fixed32 => DataType::UInt32,
        Kind::Uint64 | Kind::Fixed64 => DataType::UInt64,
        Kind::Bool => DataType::Boolean,
        Kind::String | Kind::Bytes | Kind::Enum(_) => DataType::Utf8,
        Kind::Message(m) => return message_type(m, depth),
    })
}

/// A nested message: well-known types as their JSON mapping writes them
/// (a timestamp as a time, a wrapper as its value), others as structs.
fn message_type(m: &MessageDescriptor, depth: usize) -> Option<DataType> {
    match m.full_name() {
        // "+00:00", not "UTC": arrow parses a named zone only with the
        // zone database (chrono-tz), which we do without.
        "google.protobuf.Timestamp" => return Some(ns_time("+00:00")),
        "google.protobuf.Duration" | "google.protobuf.FieldMask" => return Some(DataType::Utf8),
        name if name.starts_with("google.protobuf.") && name.ends_with("Value") => {
            // The wrappers (Int64Value...); Value, Struct's, has no one type.
            let inner = m.get_field_by_name("value")?;
            return (name != "google.protobuf.Value").then(|| kind_type(&inner.kind(), depth))?;
        }
        name if name.starts_with("google.protobuf.") => return None,
        _ => {}
    }
    let fields = (depth < MAX_DEPTH).then(|| of_message(m, depth + 1))?;
    (!fields.is_empty()).then_some(DataType::Struct(fields))
}

/// The columns of a JSON Schema's `properties` (None, or no column: it
/// has none, and payloads are kept as JSON text).
pub fn properties(schema: &Value, depth: usize) -> Option<Fields> {
    let props = schema.get("properties")?.as_object()?;
    let field = |(name, s): (&String, &Value)| Some(Field::new(name, json_type(s, depth)?, true));
    Some(props.iter().filter_map(field).collect())
}

/// A property's column type by its `type` (the first that is not
/// "null", when it lists several); None for one without a type.
fn json_type(s: &Value, depth: usize) -> Option<DataType> {
    let t = match s.get("type")? {
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null")?,
        t => t.as_str()?,
    };
    Some(match t {
        "integer" => DataType::Int64,
        "number" => DataType::Float64,
        "string" => DataType::Utf8,
        "boolean" => DataType::Boolean,
        "object" if depth < MAX_DEPTH => {
            let fields = properties(s, depth + 1)?;
            (!fields.is_empty()).then_some(DataType::Struct(fields))?
        }
        "array" if depth < MAX_DEPTH => {
            let item = json_type(s.get("items")?, depth + 1)?;
            DataType::List(Arc::new(Field::new("item", item, true)))
        }
        _ => return None,
    })
}
