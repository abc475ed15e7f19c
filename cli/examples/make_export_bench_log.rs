//! The log `make bench-export` exports (bench/export.sh): N records
//! (default 1,000,000) of type `trade`, each a protobuf `bench.Trade` of
//! about 200 bytes, with the descriptor set in the segments' headers.
//!
//!   make_export_bench_log DIR [N]

use binlog::{Durability, Entry, LogOptions, LogWriter, TypeSchema};
use prost_reflect::prost::Message;
use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, FileDescriptorSet,
};

/// (name, number, type) of `bench.Trade`'s fields.
const FIELDS: [(&str, i32, Type); 9] = [
    ("id", 1, Type::Uint64),
    ("symbol", 2, Type::String),
    ("account", 3, Type::String),
    ("qty", 4, Type::Int64),
    ("price", 5, Type::Double),
    ("side", 6, Type::Enum),
    ("venue", 7, Type::String),
    ("trader", 8, Type::String),
    ("comment", 9, Type::String),
];

fn descriptor_set() -> Vec<u8> {
    let field = |&(name, number, ty): &(&str, i32, Type)| FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        r#type: Some(ty as i32),
        label: Some(Label::Optional as i32),
        type_name: (ty == Type::Enum).then(|| ".bench.Side".into()),
        json_name: Some(name.into()),
        ..Default::default()
    };
    let value = |name: &str, number| EnumValueDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        ..Default::default()
    };
    let file = FileDescriptorProto {
        name: Some("bench.proto".into()),
        package: Some("bench".into()),
        syntax: Some("proto3".into()),
        message_type: vec![DescriptorProto {
            name: Some("Trade".into()),
            field: FIELDS.iter().map(field).collect(),
            ..Default::default()
        }],
        enum_type: vec![EnumDescriptorProto {
            name: Some("Side".into()),
            value: vec![value("BUY", 0), value("SELL", 1)],
            ..Default::default()
        }],
        ..Default::default()
    };
    FileDescriptorSet { file: vec![file] }.encode_to_vec()
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn text(out: &mut Vec<u8>, field: u64, s: &str) {
    varint(out, field << 3 | 2);
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Trade `i` in the wire format.
fn trade(i: u64, out: &mut Vec<u8>) {
    out.clear();
    varint(out, 1 << 3);
    varint(out, i);
    text(
        out,
        2,
        ["AAPL", "MSFT", "VOD.L", "BP.L", "SAP.DE"][(i % 5) as usize],
    );
    text(out, 3, &format!("ACC-{:08}", i % 10_007));
    varint(out, 4 << 3);
    varint(out, 100 + i % 900);
    varint(out, 5 << 3 | 1);
    out.extend_from_slice(&(100.0 + (i % 10_000) as f64 / 100.0).to_le_bytes());
    varint(out, 6 << 3);
    varint(out, i % 2);
    text(out, 7, ["XLON", "XNAS", "XETR"][(i % 3) as usize]);
    text(out, 8, &format!("trader-{}", i % 97));
    let comment = format!(
        "order {i} filled in parts at the venue's opening auction, client ref {:x}",
        i.wrapping_mul(0x9e37_79b9)
    );
    text(out, 9, &comment);
}

fn main() -> binlog::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).expect("usage: make_export_bench_log DIR [N]");
    let n: u64 = args.get(2).map_or(1_000_000, |s| s.parse().expect("N"));
    let mut o = LogOptions::default();
    o.segment.durability = Durability::None;
    o.segment.schemas = vec![TypeSchema::protobuf(
        "trade",
        descriptor_set(),
        "bench.Trade",
    )];
    let w = LogWriter::open(dir, "trades", o)?;
    let mut payload = Vec::with_capacity(256);
    for i in 0..n {
        trade(i, &mut payload);
        w.write_batch(&[Entry {
            type_name: "trade",
            meta: &[("desk", "fx")],
            timestamp_ns: Some(1_764_000_000_000_000_000 + i as i64 * 1000),
            parts: &[&payload],
        }])?;
    }
    w.close()
}
