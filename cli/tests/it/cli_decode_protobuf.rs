//! `binlog cat --decode` of protobuf payloads prints what prost-reflect's
//! JSON mapping prints (with 64-bit integers as numbers) for messages of
//! every field kind and of every well-known type, at random, and for
//! payloads the tool reads through prost-reflect rather than straight
//! from the wire: a message field met twice (merged), two members of one
//! oneof, well-known values prost-reflect normalizes, payloads that do
//! not decode.

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
    decoded_as(all_kinds_descriptor_set(), payloads, "--json")
}

/// What `binlog cat --decode` (with `--json`: `json`, else "") prints of
/// each of `payloads`, of type `all` of message `schema.1` of descriptor
/// set `schema.0`: the decoded JSON (None where printed raw); and its
/// exit status.
fn decoded_as(
    schema: (Vec<u8>, &str),
    payloads: &[Vec<u8>],
    json: &str,
) -> (Vec<Option<Value>>, Option<i32>) {
    let t = Tmp::new("decode-protobuf");
    let path = t.join("all.binlog");
    let (set, name) = schema;
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
        .args([json, "--decode"].iter().filter(|a| !a.is_empty()))
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout).unwrap();
    let decoded = lines.lines().map(|l| match json {
        // A line's fourth word on (after seq, time, type): its payload.
        "" => serde_json::from_str(l.splitn(4, ' ').nth(3).unwrap()).ok(),
        _ => serde_json::from_str::<Value>(l)
            .unwrap()
            .get("decoded")
            .cloned(),
    });
    (decoded.collect(), out.status.code())
}

/// prost-reflect's JSON of `payload`, a message `desc` (None: it does not
/// print it).
fn reflect_json(desc: &prost_reflect::MessageDescriptor, payload: &[u8]) -> Option<Value> {
    let options = SerializeOptions::new().stringify_64_bit_integers(false);
    let msg = DynamicMessage::decode(desc.clone(), payload).ok()?;
    let mut text = Vec::new();
    let mut json = serde_json::Serializer::new(&mut text);
    msg.serialize_with_options(&mut json, &options).ok()?;
    Some(serde_json::from_slice(&text).unwrap())
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
    let expected: Vec<Option<Value>> = payloads.iter().map(|p| reflect_json(&desc, p)).collect();
    assert!(expected.iter().all(Option::is_some));
    assert_eq!(decoded(&payloads), (expected, Some(0)));
}

/// Random `w.Wkt` messages (a field of each well-known type, at and past
/// the edges of its values: `random_well_known`), and by hand Timestamps
/// whose nanos prost-reflect normalizes, Durations of nanos past a second
/// (refused) and of another sign than the seconds, a NullValue not 0, a
/// wrapper of infinity (null), an Any of an unknown type (refused): `cat
/// --decode` prints each as prost-reflect prints it, with `--json` and
/// without; one prost-reflect does not print is printed raw (exit 3).
#[test]
fn well_known_types_print_as_prost_reflect_prints_them() {
    let (set, name) = protobuf_all::well_known_descriptor_set();
    let pool = DescriptorPool::decode(&set[..]).unwrap();
    let desc = pool.get_message_by_name(name).unwrap();
    let mut next = random_numbers(0x2545_f491_4f6c_dd1d);
    let time = protobuf_all::seconds_nanos;
    let field = |number: u8, bytes: &[u8]| [&[number << 3 | 2, bytes.len() as u8], bytes].concat();
    let any = [field(1, b"type.googleapis.com/w.Missing"), field(2, &[])].concat();
    let mut payloads = vec![
        field(1, &time(0, -1)),
        field(1, &time(1, 1_000_000_000)),
        field(2, &time(1, -1_500_000_000)),
        field(2, &time(-1, 500_000_000)),
        vec![0x98, 1, 1],
        field(3, &[9, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f]),
        field(15, &any),
    ];
    payloads.extend(
        (0..1200).map(|_| protobuf_all::random_well_known(&desc, &mut next, 0).encode_to_vec()),
    );
    let expected: Vec<Option<Value>> = payloads.iter().map(|p| reflect_json(&desc, p)).collect();
    let printed = expected.iter().filter(|e| e.is_some()).count();
    assert!(printed > 600 && printed < payloads.len() - 100, "{printed}");
    let by_hand = expected[..7]
        .iter()
        .map(Option::is_some)
        .collect::<Vec<_>>();
    assert_eq!(by_hand, [true, true, false, true, true, true, false]);
    for json in ["--json", ""] {
        let got = decoded_as((set.clone(), name), &payloads, json);
        assert!(got == (expected.clone(), Some(3)), "cat --decode {json}");
    }
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
