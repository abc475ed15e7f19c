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
