//! `binlog cat --decode` of protobuf payloads prints what prost-reflect's
//! JSON mapping prints (with 64-bit integers as numbers) for messages of
//! every field kind, at random, and for payloads the tool reads through
//! prost-reflect rather than straight from the wire: a message field met
//! twice (merged), two members of one oneof, payloads that do not decode.

use binlog::{Options, TypeSchema, Writer};
use prost_reflect::prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use serde_json::Value;

use crate::common;
use common::cli::*;
use common::protobuf_all;
use protobuf_all::{all_kinds_descriptor_set, random_numbers, random_value};

/// The `decoded` member (or, where the payload did not decode, none) of
/// each line `binlog cat --json --decode` prints of a segment of
/// `payloads`, of type `all` with schema `t.All`; and its exit status.
fn decoded(payloads: &[Vec<u8>]) -> (Vec<Option<Value>>, Option<i32>) {
    let t = Tmp::new("decode-protobuf");
    let path = t.join("all.binlog");
    let (set, name) = all_kinds_descriptor_set();
    let options = Options {
        schemas: vec![TypeSchema::protobuf("all", set, name)],
        ..Options::default()
    };
    let w = Writer::open(&path, options).unwrap();
    for p in payloads {
        w.write_with("all", &[], Some(T0), p).unwrap();
    }
    w.close().unwrap();
    let out = binlog()
        .arg("cat")
        .arg(&path)
        .args(["--json", "--decode"])
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout).unwrap();
    let json = lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    (
        json.map(|j| j.get("decoded").cloned()).collect(),
        out.status.code(),
    )
}

#[test]
fn random_messages_of_every_field_kind_print_as_prost_reflect_prints_them() {
    let (set, name) = all_kinds_descriptor_set();
    let desc = DescriptorPool::decode(&set[..]).unwrap();
    let desc = desc.get_message_by_name(name).unwrap();
    let mut next = random_numbers(0x9e37_79b9_7f4a_7c15);
    let kind = prost_reflect::Kind::Message(desc.clone());
    let first = desc.fields().next().unwrap();
    let payloads: Vec<Vec<u8>> = (0..2000)
        .map(|_| match random_value(&first, &kind, &mut next, 0) {
            prost_reflect::Value::Message(m) => m.encode_to_vec(),
            _ => unreachable!(),
        })
        .collect();
    let options = SerializeOptions::new().stringify_64_bit_integers(false);
    let expected: Vec<Option<Value>> = payloads
        .iter()
        .map(|p| {
            let msg = DynamicMessage::decode(desc.clone(), &p[..]).unwrap();
            let mut text = Vec::new();
            let mut json = serde_json::Serializer::new(&mut text);
            msg.serialize_with_options(&mut json, &options).unwrap();
            Some(serde_json::from_slice(&text).unwrap())
        })
        .collect();
    assert_eq!(decoded(&payloads), (expected, Some(0)));
}

#[test]
fn merged_fields_oneofs_and_bad_payloads_print_as_prost_reflect_reads_them() {
    let cases: [(&[u8], Option<&str>); 12] = [
        // Field 2 (int32) twice: the last wins; an explicit zero is left
        // out; an unknown field (99) is skipped; a non-packed repeated int32.
        (
            b"\x10\x05\x10\x07\x18\x00\x98\x06\x01\xb0\x01\x01\xb0\x01\x02",
            Some(r#"{"f1":7,"r1":[1,2]}"#),
        ),
        // The inner message twice: merged.
        (
            b"\xd2\x02\x02\x08\x01\xd2\x02\x04\x12\x00\x08\x02",
            Some(r#"{"inner":{"n":2,"kids":[{}]}}"#),
        ),
        // Both members of a oneof: the last is kept.
        (b"\x82\x03\x01a\x8a\x03\x00", Some(r#"{"cInner":{}}"#)),
        // A string that is not UTF-8, a truncated varint, a group, an
        // int32 sent length-delimited: not decoded, printed raw.
        (b"\x72\x01\xff", None),
        (b"\x10\x80", None),
        (b"\x0b\x0c", None),
        (b"\x12\x01\x00", None),
        // An empty packed run and a -0.0 double: defaults, left out.
        (
            b"\xb2\x01\x00\x69\x00\x00\x00\x00\x00\x00\x00\x80",
            Some("{}"),
        ),
        // A string twice, the first not UTF-8; an int32 first sent as a
        // fixed32: every occurrence must read, not only the last.
        (b"\x72\x01\xff\x72\x01a", None),
        (b"\x15\x00\x00\x00\x00\x10\x05", None),
        // A map entry with a field numbered 0.
        (b"\xe2\x02\x02\x00\x00", None),
        // A map entry with only its key: the value is its kind's zero.
        (b"\xe2\x02\x03\x0a\x01k", Some(r#"{"byName":{"k":0}}"#)),
    ];
    let payloads: Vec<Vec<u8>> = cases.iter().map(|(p, _)| p.to_vec()).collect();
    let expected = cases
        .iter()
        .map(|(_, j)| j.map(|j| serde_json::from_str(j).unwrap()));
    assert_eq!(decoded(&payloads), (expected.collect(), Some(3)));
}
