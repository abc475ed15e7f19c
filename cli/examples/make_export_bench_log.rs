//! The log `make bench-export` exports (bench/export.sh): N records
//! (default 1,000,000) of type `trade`, each a protobuf `bench.Trade` of
//! about 200 bytes, with the descriptor set in the segments' headers. Its
//! field 10, `at`, the trade's time, is of KIND `timestamp` (default: a
//! `google.protobuf.Timestamp`, to the microsecond) or `int64`
//! (nanoseconds since the epoch).
//!
//!   make_export_bench_log DIR [N [KIND]]

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

/// The google file that declares Timestamp.
const TIMESTAMP_FILE: &str = "google/protobuf/timestamp.proto";

fn descriptor_set(timestamp: bool) -> Vec<u8> {
    let field = |&(name, number, ty): &(&str, i32, Type)| FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        r#type: Some(ty as i32),
        label: Some(Label::Optional as i32),
        type_name: match ty {
            Type::Enum => Some(".bench.Side".into()),
            Type::Message => Some(".google.protobuf.Timestamp".into()),
            _ => None,
        },
        json_name: Some(name.into()),
        ..Default::default()
    };
    let at = (
        "at",
        10,
        if timestamp {
            Type::Message
        } else {
            Type::Int64
        },
    );
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
            field: FIELDS.iter().chain([&at]).map(field).collect(),
            ..Default::default()
        }],
        enum_type: vec![EnumDescriptorProto {
            name: Some("Side".into()),
            value: vec![value("BUY", 0), value("SELL", 1)],
            ..Default::default()
        }],
        dependency: timestamp
            .then(|| TIMESTAMP_FILE.into())
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let global = prost_reflect::DescriptorPool::global();
    let google = global
        .get_file_by_name(TIMESTAMP_FILE)
        .expect("prost-reflect's own");
    let files = timestamp.then(|| google.file_descriptor_proto().clone());
    let file = files.into_iter().chain([file]).collect();
    FileDescriptorSet { file }.encode_to_vec()
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

/// Trade `i`, at `ns` since the epoch, in the wire format.
fn trade(i: u64, ns: i64, timestamp: bool, out: &mut Vec<u8>) {
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
    if timestamp {
        let mut at = Vec::new();
        varint(&mut at, 1 << 3);
        varint(&mut at, ns.div_euclid(1_000_000_000) as u64);
        varint(&mut at, 2 << 3);
        varint(&mut at, ns.rem_euclid(1_000_000_000) as u64);
        varint(out, 10 << 3 | 2);
        varint(out, at.len() as u64);
        out.extend_from_slice(&at);
    } else {
        varint(out, 10 << 3);
        varint(out, ns as u64);
    }
}

fn main() -> binlog::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .expect("usage: make_export_bench_log DIR [N [KIND]]");
    let n: u64 = args.get(2).map_or(1_000_000, |s| s.parse().expect("N"));
    let timestamp = match args.get(3).map_or("timestamp", |k| k.as_str()) {
        "timestamp" => true,
        "int64" => false,
        kind => panic!("KIND: timestamp or int64, not {kind:?}"),
    };
    let mut o = LogOptions::default();
    o.segment.durability = Durability::None;
    o.segment.schemas = vec![TypeSchema::protobuf(
        "trade",
        descriptor_set(timestamp),
        "bench.Trade",
    )];
    let w = LogWriter::open(dir, "trades", o)?;
    let mut payload = Vec::with_capacity(256);
    for i in 0..n {
        let ns = 1_764_000_000_000_000_000 + i as i64 * 1000;
        trade(i, ns + 17_000, timestamp, &mut payload);
        w.write_batch(&[Entry {
            type_name: "trade",
            meta: &[("desk", "fx")],
            timestamp_ns: Some(ns),
            parts: &[&payload],
        }])?;
    }
    w.close()
}
