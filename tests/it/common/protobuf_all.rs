//! `t.All`, a protobuf message with a field of every kind, and random
//! messages of it: shared by the tests of protobuf decoding (the tool's,
//! end to end, and the export's columns, a unit test that includes this
//! file by its path).
#![allow(dead_code)]

use prost_reflect::prost::Message;
use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, FileDescriptorSet, MessageOptions, OneofDescriptorProto,
};
use prost_reflect::DynamicMessage;

/// Xorshift: random numbers from `state`, the same each run.
pub fn random_numbers(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A field of a message descriptor; `type_name` (of an enum or message
/// field) empty for a scalar.
pub fn field(
    name: &str,
    number: i32,
    ty: Type,
    label: Label,
    type_name: &str,
) -> FieldDescriptorProto {
    FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(label as i32),
        r#type: Some(ty as i32),
        type_name: (!type_name.is_empty()).then(|| type_name.into()),
        ..Default::default()
    }
}

/// `t.All`: a field of every kind (and `t.Inner`, nested, repeated,
/// in maps and a oneof), an enum, a proto3 `optional`.
pub fn all_kinds_descriptor_set() -> (Vec<u8>, &'static str) {
    let (one, many) = (Label::Optional, Label::Repeated);
    let entry = |name: &str, key: Type, value: Type, value_type: &str| DescriptorProto {
        name: Some(name.into()),
        field: vec![
            field("key", 1, key, one, ""),
            field("value", 2, value, one, value_type),
        ],
        options: Some(MessageOptions {
            map_entry: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    use Type::*;
    let scalars = [
        Bool, Int32, Sint32, Sfixed32, Int64, Sint64, Sfixed64, Uint32, Fixed32, Uint64, Fixed64,
        Float, Double, String, Bytes,
    ];
    let mut fields: Vec<_> = (scalars.iter().enumerate())
        .map(|(i, &ty)| field(&format!("f_{i}"), i as i32 + 1, ty, one, ""))
        .collect();
    let mut repeated: Vec<_> = (scalars.iter().enumerate())
        .map(|(i, &ty)| field(&format!("r_{i}"), i as i32 + 21, ty, many, ""))
        .collect();
    fields.append(&mut repeated);
    fields.extend([
        field("color", 40, Enum, one, ".t.Color"),
        field("colors", 41, Enum, many, ".t.Color"),
        field("inner", 42, Message, one, ".t.Inner"),
        field("inners", 43, Message, many, ".t.Inner"),
        field("by_name", 44, Message, many, ".t.All.ByNameEntry"),
        field("by_id", 45, Message, many, ".t.All.ByIdEntry"),
        field("by_flag", 46, Message, many, ".t.All.ByFlagEntry"),
        FieldDescriptorProto {
            proto3_optional: Some(true),
            oneof_index: Some(0),
            ..field("maybe", 47, Int32, one, "")
        },
        FieldDescriptorProto {
            oneof_index: Some(1),
            ..field("c_text", 48, String, one, "")
        },
        FieldDescriptorProto {
            oneof_index: Some(1),
            ..field("c_inner", 49, Message, one, ".t.Inner")
        },
    ]);
    let all = DescriptorProto {
        name: Some("All".into()),
        field: fields,
        nested_type: vec![
            entry("ByNameEntry", String, Int64, ""),
            entry("ByIdEntry", Int32, Message, ".t.Inner"),
            entry("ByFlagEntry", Bool, Bytes, ""),
        ],
        oneof_decl: ["_maybe", "choice"]
            .map(|n| OneofDescriptorProto {
                name: Some(n.into()),
                ..Default::default()
            })
            .to_vec(),
        ..Default::default()
    };
    let inner = DescriptorProto {
        name: Some("Inner".into()),
        field: vec![
            field("n", 1, Int32, one, ""),
            field("kids", 2, Message, many, ".t.Inner"),
        ],
        ..Default::default()
    };
    let color = EnumDescriptorProto {
        name: Some("Color".into()),
        value: ["RED", "GREEN"]
            .iter()
            .enumerate()
            .map(|(i, n)| EnumValueDescriptorProto {
                name: Some(n.to_string()),
                number: Some(i as i32),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let file = FileDescriptorProto {
        name: Some("t.proto".into()),
        package: Some("t".into()),
        message_type: vec![all, inner],
        enum_type: vec![color],
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    (
        FileDescriptorSet { file: vec![file] }.encode_to_vec(),
        "t.All",
    )
}

/// A random value of field `f` (zeros, extremes, NaN, unknown enum
/// numbers and nesting included); `next` gives random numbers.
pub fn random_value(
    f: &prost_reflect::FieldDescriptor,
    kind: &prost_reflect::Kind,
    next: &mut impl FnMut() -> u64,
    depth: usize,
) -> prost_reflect::Value {
    use prost_reflect::{Kind as K, Value as V};
    let n = match next() % 4 {
        0 => 0,
        1 => u64::MAX,
        _ => next(),
    };
    match kind {
        K::Bool => V::Bool(n & 1 == 1),
        K::Int32 | K::Sint32 | K::Sfixed32 => V::I32(n as i32),
        K::Int64 | K::Sint64 | K::Sfixed64 => V::I64(n as i64),
        K::Uint32 | K::Fixed32 => V::U32(n as u32),
        K::Uint64 | K::Fixed64 => V::U64(n),
        K::Float => V::F32([0.1, f32::NAN, -0.0, f32::INFINITY, n as f32][n as usize % 5]),
        K::Double => V::F64([0.1, f64::NAN, 1e300, f64::NEG_INFINITY][n as usize % 4]),
        K::String => V::String(["", "tea \"\u{e9}\n", "x"][n as usize % 3].into()),
        K::Bytes => V::Bytes(vec![n as u8; n as usize % 5].into()),
        K::Enum(_) => V::EnumNumber(n as i32 % 3),
        K::Message(m) => {
            let mut msg = DynamicMessage::new(m.clone());
            for g in m.fields() {
                if depth < 3 && next() % 2 == 0 {
                    let v = random_field(&g, next, depth + 1);
                    msg.set_field(&g, v);
                }
            }
            let _ = f;
            V::Message(msg)
        }
    }
}

pub fn random_field(
    f: &prost_reflect::FieldDescriptor,
    next: &mut impl FnMut() -> u64,
    depth: usize,
) -> prost_reflect::Value {
    use prost_reflect::{Kind as K, Value as V};
    let count = next() % 4;
    match f.kind() {
        K::Message(entry) if f.is_map() => {
            let (k, v) = (entry.map_entry_key_field(), entry.map_entry_value_field());
            let map = (0..count)
                .map(|_| {
                    let key = random_value(&k, &k.kind(), next, depth).into_map_key();
                    (key.unwrap(), random_value(&v, &v.kind(), next, depth))
                })
                .collect();
            V::Map(map)
        }
        kind if f.is_list() => V::List(
            (0..count)
                .map(|_| random_value(f, &kind, next, depth))
                .collect(),
        ),
        kind => random_value(f, &kind, next, depth),
    }
}

/// The well-known types `w.Wkt` has a field of, named in lower case
/// (`timestamp`, `doublevalue`, ...), numbered from 1 in this order.
pub const WELL_KNOWN: [&str; 16] = [
    "Timestamp",
    "Duration",
    "DoubleValue",
    "FloatValue",
    "Int64Value",
    "UInt64Value",
    "Int32Value",
    "UInt32Value",
    "BoolValue",
    "StringValue",
    "BytesValue",
    "Struct",
    "Value",
    "ListValue",
    "Any",
    "Empty",
];

/// `w.Wkt`: a field of each of `WELL_KNOWN`, then `times` (repeated
/// Timestamp), `took` (map<string, Duration>), `null` (NullValue),
/// `counts` (repeated Int64Value), `inner` (`w.Inner { int32 n = 1;
/// google.protobuf.Timestamp at = 2; }`, also an Any's message); with
/// the google files of prost-reflect's own pool.
pub fn well_known_descriptor_set() -> (Vec<u8>, &'static str) {
    let (one, many) = (Label::Optional, Label::Repeated);
    let google = |name: &str| format!(".google.protobuf.{name}");
    let mut fields: Vec<_> = (WELL_KNOWN.iter().enumerate())
        .map(|(i, n)| {
            field(
                &n.to_lowercase(),
                i as i32 + 1,
                Type::Message,
                one,
                &google(n),
            )
        })
        .collect();
    fields.extend([
        field("times", 17, Type::Message, many, &google("Timestamp")),
        field("took", 18, Type::Message, many, ".w.Wkt.TookEntry"),
        field("null", 19, Type::Enum, one, &google("NullValue")),
        field("counts", 20, Type::Message, many, &google("Int64Value")),
        field("inner", 21, Type::Message, one, ".w.Inner"),
    ]);
    let took = DescriptorProto {
        name: Some("TookEntry".into()),
        field: vec![
            field("key", 1, Type::String, one, ""),
            field("value", 2, Type::Message, one, &google("Duration")),
        ],
        options: Some(MessageOptions {
            map_entry: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    let wkt = DescriptorProto {
        name: Some("Wkt".into()),
        field: fields,
        nested_type: vec![took],
        ..Default::default()
    };
    let inner = DescriptorProto {
        name: Some("Inner".into()),
        field: vec![
            field("n", 1, Type::Int32, one, ""),
            field("at", 2, Type::Message, one, &google("Timestamp")),
        ],
        ..Default::default()
    };
    let global = prost_reflect::DescriptorPool::global();
    let mut files: Vec<FileDescriptorProto> = (global.files())
        .map(|f| f.file_descriptor_proto().clone())
        .collect();
    files.push(FileDescriptorProto {
        name: Some("w.proto".into()),
        package: Some("w".into()),
        dependency: files.iter().filter_map(|f| f.name.clone()).collect(),
        message_type: vec![wkt, inner],
        syntax: Some("proto3".into()),
        ..Default::default()
    });
    (FileDescriptorSet { file: files }.encode_to_vec(), "w.Wkt")
}

/// One of `of`, at random.
fn pick<T: Clone>(next: &mut impl FnMut() -> u64, of: &[T]) -> T {
    of[(next() % of.len() as u64) as usize].clone()
}

/// A random message `m` of `w.Wkt`'s types, its well-known values at
/// their edges and beyond them: Timestamps at the first and last second
/// of their range and past it, and past i64 nanoseconds, nanos out of
/// range, Durations of either sign (nanos of the other sign too), NaN in
/// a wrapper and a Value, an Any of a known type, a well-known one, an
/// unknown one and one without `/`, nested Structs and lists, empty
/// wrappers, absent fields.
pub fn random_well_known(
    m: &prost_reflect::MessageDescriptor,
    next: &mut impl FnMut() -> u64,
    depth: usize,
) -> DynamicMessage {
    use prost_reflect::{MapKey, Value as V};
    let mut msg = DynamicMessage::new(m.clone());
    let pool = m.parent_pool();
    let google = |name: &str| pool.get_message_by_name(&format!("google.protobuf.{name}"));
    let time =
        |seconds: i64, nanos: i32| vec![("seconds", V::I64(seconds)), ("nanos", V::I32(nanos))];
    let set: Option<Vec<(&str, V)>> = match m.full_name() {
        "google.protobuf.Timestamp" => Some(time(
            pick(
                next,
                &[
                    0,
                    -1,
                    1_700_000_000,
                    -62_135_596_800,
                    253_402_300_799,
                    9_223_372_037,
                ],
            ),
            pick(
                next,
                &[0, 1, 120_000_000, 123_456_000, 999_999_999, 1_000, -1],
            ),
        )),
        "google.protobuf.Duration" => Some(time(
            pick(
                next,
                &[
                    0,
                    1,
                    -1,
                    86_400,
                    315_576_000_000,
                    -315_576_000_000,
                    315_576_000_001,
                ],
            ),
            pick(
                next,
                &[
                    0,
                    500_000_000,
                    -500_000_000,
                    1_000,
                    1,
                    -999_999_999,
                    1_000_000_000,
                ],
            ),
        )),
        "google.protobuf.Any" => {
            let types = [
                "w.Inner",
                "google.protobuf.Timestamp",
                "google.protobuf.Value",
            ];
            let name = pick(
                next,
                &[&types[..], &["google.protobuf.Empty", "w.Missing"]].concat(),
            );
            let url = match next() % 8 {
                0 => "no slash".to_string(),
                _ => format!("type.googleapis.com/{name}"),
            };
            let value = match pool.get_message_by_name(name) {
                Some(t) if depth < 3 => random_well_known(&t, next, depth + 1).encode_to_vec(),
                _ => vec![8, 1],
            };
            Some(vec![
                ("type_url", V::String(url)),
                ("value", V::Bytes(value.into())),
            ])
        }
        "google.protobuf.Value" => Some(match next() % 8 {
            0 => vec![],
            1 => vec![("null_value", V::EnumNumber(0))],
            2 => vec![(
                "number_value",
                V::F64(pick(next, &[0.0, -1.5, 1e300, 0.1, f64::NAN])),
            )],
            3 => vec![(
                "string_value",
                V::String(pick(next, &["", "tea \"\u{e9}\n"]).into()),
            )],
            4 => vec![("bool_value", V::Bool(next() % 2 == 0))],
            5 if depth < 4 => {
                let s = random_well_known(&google("Struct").unwrap(), next, depth + 1);
                vec![("struct_value", V::Message(s))]
            }
            6 if depth < 4 => {
                let l = random_well_known(&google("ListValue").unwrap(), next, depth + 1);
                vec![("list_value", V::Message(l))]
            }
            _ => vec![("number_value", V::F64(next() as u32 as f64 / 8.0))],
        }),
        "google.protobuf.Struct" | "google.protobuf.ListValue" => {
            let value = google("Value").unwrap();
            let values: Vec<V> = (0..next() % 4)
                .map(|_| V::Message(random_well_known(&value, next, depth + 1)))
                .collect();
            Some(match m.full_name().ends_with("Struct") {
                true => {
                    let keys = ["a", "b", "\u{e9}", "\"q", "A"];
                    let entries = values
                        .into_iter()
                        .map(|v| (MapKey::String(pick(next, &keys).into()), v));
                    vec![("fields", V::Map(entries.collect()))]
                }
                false => vec![("values", V::List(values))],
            })
        }
        // w.Wkt, w.Inner, the wrappers, Empty: fields at random.
        _ => None,
    };
    match set {
        Some(set) => set
            .into_iter()
            .for_each(|(name, v)| msg.set_field_by_name(name, v)),
        None => {
            for f in m.fields().collect::<Vec<_>>() {
                if next() % 3 == 0 {
                    let v = random_well_known_field(&f, next, depth);
                    msg.set_field(&f, v);
                }
            }
        }
    }
    msg
}

/// The wire bytes of a Timestamp or a Duration of `seconds` and `nanos`.
pub fn seconds_nanos(seconds: i64, nanos: i32) -> Vec<u8> {
    let mut out = vec![8];
    prost_reflect::prost::encoding::encode_varint(seconds as u64, &mut out);
    out.push(16);
    prost_reflect::prost::encoding::encode_varint(nanos as i64 as u64, &mut out);
    out
}

/// A random value of field `f` of `w.Wkt`'s types (see `random_well_known`).
fn random_well_known_field(
    f: &prost_reflect::FieldDescriptor,
    next: &mut impl FnMut() -> u64,
    depth: usize,
) -> prost_reflect::Value {
    use prost_reflect::{Kind as K, Value as V};
    let one = |kind: &K, next: &mut dyn FnMut() -> u64| match kind {
        K::Message(m) => V::Message(random_well_known(m, &mut &mut *next, depth + 1)),
        K::Enum(_) => V::EnumNumber((next() % 8 == 0) as i32),
        kind => random_value(f, kind, &mut &mut *next, depth),
    };
    match f.kind() {
        K::Message(entry) if f.is_map() => {
            let value = entry.map_entry_value_field().kind();
            let keys = (0..next() % 3).map(|i| prost_reflect::MapKey::String(format!("k{i}")));
            V::Map(
                keys.collect::<Vec<_>>()
                    .into_iter()
                    .map(|k| (k, one(&value, next)))
                    .collect(),
            )
        }
        kind if f.is_list() => V::List((0..next() % 4).map(|_| one(&kind, next)).collect()),
        kind => one(&kind, next),
    }
}
