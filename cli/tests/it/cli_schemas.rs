//! Type schemas in the tool: `binlog write --schema` records them and
//! encodes `--json` values by them; `cat --decode` and `tail --decode`
//! print payloads as JSON (protobuf through a descriptor set made here
//! with prost-types, JSON, CBOR, MessagePack); a payload that does not
//! decode is printed raw, named on standard error, exit status 3; `schema`
//! and `info` list the schemas; bad schemas exit 2 naming the type; a
//! compressed and a salvaged segment keep their schemas.

use predicates::prelude::*;
use prost_reflect::prost::Message;
use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, FileDescriptorSet,
};
use prost_reflect::{DescriptorPool, DynamicMessage};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

use crate::common;
use common::cli::*;
use common::protobuf_all;

/// `shop.Order { uint64 id = 1; string item = 2; Side side = 3; bytes
/// note = 4; }`, `enum Side { BUY = 0; SELL = 1; }`, as a serialized
/// FileDescriptorSet.
fn order_descriptor_set() -> Vec<u8> {
    let field = |name: &str, number, ty: Type, type_name: Option<&str>| FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(Label::Optional as i32),
        r#type: Some(ty as i32),
        type_name: type_name.map(Into::into),
        json_name: Some(name.into()),
        ..Default::default()
    };
    let value = |name: &str, number| EnumValueDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        ..Default::default()
    };
    let order = DescriptorProto {
        name: Some("Order".into()),
        field: vec![
            field("id", 1, Type::Uint64, None),
            field("item", 2, Type::String, None),
            field("side", 3, Type::Enum, Some(".shop.Side")),
            field("note", 4, Type::Bytes, None),
        ],
        ..Default::default()
    };
    let side = EnumDescriptorProto {
        name: Some("Side".into()),
        value: vec![value("BUY", 0), value("SELL", 1)],
        ..Default::default()
    };
    let file = FileDescriptorProto {
        name: Some("shop.proto".into()),
        package: Some("shop".into()),
        message_type: vec![order],
        enum_type: vec![side],
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    FileDescriptorSet { file: vec![file] }.encode_to_vec()
}

/// An order as its canonical JSON: a 64-bit id as a number, the enum by
/// name, bytes in base64.
fn order() -> Value {
    json!({"id": u64::MAX, "item": "tea", "side": "SELL", "note": "AAE="})
}

/// The descriptor set written to `shop.desc` in `t`.
fn descriptor_file(t: &Tmp) -> PathBuf {
    let path = t.join("shop.desc");
    std::fs::write(&path, order_descriptor_set()).unwrap();
    path
}

/// `--schema` arguments: order (protobuf), event (json), blob (cbor),
/// pack (msgpack).
fn schema_args(desc: &Path) -> Vec<String> {
    let order = format!("order=protobuf:{}:shop.Order", desc.display());
    ["--schema", &order, "--schema", "event=json"]
        .into_iter()
        .chain(["--schema", "blob=cbor", "--schema", "pack=msgpack"])
        .map(String::from)
        .collect()
}

/// `binlog write --json` of `objects` into `path` (a file, or a directory
/// with `--log`), with `args`.
fn write_json(path: &Path, args: &[String], objects: &[Value]) -> std::process::Output {
    let input: String = objects.iter().map(|o| format!("{o}\n")).collect();
    binlog()
        .arg("write")
        .arg(path)
        .arg("--json")
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap()
}

/// One record of each encoding, each given as a value.
fn typed_records() -> Vec<Value> {
    vec![
        json!({"type": "order", "payload": order()}),
        json!({"type": "event", "payload": {"kind": "login", "n": [1, 2]}}),
        json!({"type": "blob", "decoded": {"x": -1, "big": u64::MAX, "f": 1.5}}),
        json!({"type": "pack", "payload": {"ok": true, "s": "hi"}}),
    ]
}

/// The decoded value of each of `typed_records`.
fn decoded_values() -> Vec<Value> {
    typed_records()
        .into_iter()
        .map(|o| o.get("payload").or(o.get("decoded")).unwrap().clone())
        .collect()
}

/// A segment of `typed_records`, written with their schemas.
fn typed_segment(t: &Tmp) -> PathBuf {
    let seg = t.join("typed.binlog");
    let out = write_json(&seg, &schema_args(&descriptor_file(t)), &typed_records());
    assert!(out.status.success(), "{}", out_text(&out));
    seg
}

/// The JSON value a text line of `cat --decode` ends with (after seq,
/// time and type).
fn decoded_of_line(line: &str) -> Value {
    let rest = line.splitn(4, ' ').nth(3).unwrap();
    serde_json::from_str(rest).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn write_encodes_values_by_their_schema_and_cat_decode_prints_them_as_json() {
    let t = Tmp::new("schemas-decode");
    let seg = typed_segment(&t);
    // The protobuf value went in as the message's wire bytes.
    let pool = DescriptorPool::decode(&order_descriptor_set()[..]).unwrap();
    let desc = pool.get_message_by_name("shop.Order").unwrap();
    let wire = DynamicMessage::deserialize(desc, &order())
        .unwrap()
        .encode_to_vec();
    assert_eq!(records(&seg)[0].2, wire);

    let text = stdout_of(binlog().args(["cat", "--decode", seg.to_str().unwrap()]));
    let lines: Vec<Value> = text.lines().map(decoded_of_line).collect();
    assert_eq!(lines, decoded_values(), "{text}");

    let json = json_lines(&stdout_of(binlog().args([
        "cat",
        "--decode",
        "--json",
        seg.to_str().unwrap(),
    ])));
    let decoded: Vec<Value> = json.iter().map(|j| j["decoded"].clone()).collect();
    assert_eq!(decoded, decoded_values());
    // The payload is there as without --decode.
    assert_eq!(json[0]["encoding"], "hex");
    assert_eq!(json[0]["size"], wire.len());

    let tail = stdout_of(binlog().args(["tail", "-n", "2", "--decode", seg.to_str().unwrap()]));
    let lines: Vec<Value> = tail.lines().map(decoded_of_line).collect();
    assert_eq!(lines, decoded_values()[2..].to_vec(), "{tail}");
}

/// What `cat --decode --json` prints reads back through `write --json`
/// to print the same: every double, in every encoding, and a float
/// field's FLT_MAX (`3.4028235e+38`, beyond `f32::MAX` as a double).
#[test]
fn the_floats_cat_decode_prints_read_back_through_write_json_as_printed() {
    let t = Tmp::new("schemas-floats");
    let (set, name) = protobuf_all::all_kinds_descriptor_set();
    let all = t.join("all.desc");
    std::fs::write(&all, set).unwrap();
    let mut args = schema_args(&descriptor_file(&t));
    args.extend([
        "--schema".into(),
        format!("all=protobuf:{}:{name}", all.display()),
    ]);
    let double = r#"{"x":127.61900457388617}"#;
    let printed = [
        ("event", double),
        ("blob", double),
        ("pack", double),
        ("all", r#"{"f11":3.4028235e+38,"f12":127.61900457388617}"#),
    ];
    let input: String = (printed.iter())
        .map(|(t, v)| format!("{{\"type\":\"{t}\",\"decoded\":{v}}}\n"))
        .collect();
    let seg = t.join("floats.binlog");
    let out = binlog()
        .arg("write")
        .arg(&seg)
        .arg("--json")
        .args(&args)
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", out_text(&out));
    let text = stdout_of(binlog().args(["cat", "--decode", "--json", seg.to_str().unwrap()]));
    let decoded: Vec<&str> = (text.lines())
        .map(|l| &l[l.find(r#""decoded":"#).unwrap() + 10..l.len() - 1])
        .collect();
    assert_eq!(decoded, printed.map(|(_, v)| v), "{text}");
}

#[test]
fn a_payload_that_does_not_decode_is_printed_raw_with_a_warning_and_exit_status_3() {
    let t = Tmp::new("schemas-undecodable");
    let dir = t.join("logs");
    std::fs::create_dir(&dir).unwrap();
    let bad = json!({"type": "blob", "payload": "//8=", "encoding": "base64"});
    let good = json!({"type": "blob", "payload": {"a": 1}});
    let args = |log: &str| {
        ["--log", log, "--schema", "blob=cbor"]
            .map(String::from)
            .to_vec()
    };
    assert!(write_json(&dir, &args("web"), &[bad, good])
        .status
        .success());

    let out = binlog()
        .args(["cat", "--decode", "--log", "web", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", out_text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.lines().next().unwrap().ends_with(" blob hex:ffff"),
        "{stdout}"
    );
    assert_eq!(
        decoded_of_line(stdout.lines().nth(1).unwrap()),
        json!({"a": 1})
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("web-") && stderr.contains("record 0 of type \"blob\""),
        "{stderr}"
    );

    // Followed (to record 1, where the follow ends): the same.
    let d = dir.to_str().unwrap();
    let follow = ["tail", "-f", "--to-seq", "1", "--decode", "--log", "web", d];
    let out = binlog().args(follow).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", out_text(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), stdout);
    assert!(String::from_utf8(out.stderr).unwrap().contains("web-"));

    // Merged, in JSON: no "decoded" member, the warning names the log.
    let out = binlog()
        .args([
            "cat",
            "--merge",
            "--decode",
            "--json",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", out_text(&out));
    let json = json_lines(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(
        (json[0].get("decoded"), &json[0]["payload"]),
        (None, &json!("ffff"))
    );
    assert_eq!(json[1]["decoded"], json!({"a": 1}));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("log web: record 0"), "{stderr}");

    // Without --decode nothing is decoded, nothing is wrong.
    binlog()
        .args(["cat", dir.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn schema_and_info_list_each_types_schema_and_schema_writes_its_bytes() {
    let t = Tmp::new("schemas-list");
    let seg = typed_segment(&t);
    let set_len = order_descriptor_set().len();
    let text = stdout_of(binlog().args(["schema", seg.to_str().unwrap()]));
    assert!(
        text.contains(&format!(
            "order: protobuf (schema protobuf shop.Order, {set_len} bytes)"
        )),
        "{text}"
    );
    assert!(text.contains("pack: msgpack (no schema)"), "{text}");

    let doc = json_of(binlog().args(["schema", "--json", seg.to_str().unwrap()]));
    let types: Vec<&str> = doc["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["order", "event", "blob", "pack"]);
    assert_eq!(doc["schemas"][0]["schema_bytes"], set_len);

    let out = t.join("out.desc");
    binlog()
        .args(["schema", seg.to_str().unwrap(), "--type", "order", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), order_descriptor_set());

    let info = json_of(binlog().args(["info", "--json", seg.to_str().unwrap()]));
    let schemas = &info["segments"][0]["header"]["schemas"];
    assert_eq!(schemas[0]["schema_name"], "shop.Order");
    assert_eq!(schemas[2]["encoding"], "cbor");
    binlog()
        .args(["info", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("schemas     order: protobuf"));
}

#[test]
fn bad_or_too_large_schemas_and_values_that_do_not_encode_exit_2_naming_the_type() {
    let t = Tmp::new("schemas-bad");
    let garbage = t.join("garbage.desc");
    std::fs::write(&garbage, b"\xff\xff\xff").unwrap();
    let desc = descriptor_file(&t);
    let huge = t.join("huge.json");
    std::fs::write(
        &huge,
        format!("{{\"description\": \"{}\"}}", "x".repeat(2 << 20)),
    )
    .unwrap();
    let cases = [
        (format!("order=json:{}", huge.display()), "header"),
        (
            format!("order=protobuf:{}:shop.Order", garbage.display()),
            "does not parse",
        ),
        (
            format!("order=protobuf:{}:shop.Refund", desc.display()),
            "no message",
        ),
        ("order=yaml".to_string(), "unknown encoding \"yaml\""),
    ];
    let record = [json!({"type": "order", "payload": {"id": 1}})];
    for (schema, why) in cases {
        let seg = t.join("bad.binlog");
        let out = write_json(&seg, &["--schema".into(), schema.clone()], &record);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{schema}: {stderr}");
        assert!(
            stderr.contains("\"order\"") && stderr.contains(why),
            "{schema}: {stderr}"
        );
        assert!(!seg.exists(), "{schema}");
    }
    // A value the message has no field for: refused, naming the object.
    let seg = t.join("refused.binlog");
    let objects = [
        json!({"type": "order", "payload": order()}),
        json!({"type": "order", "payload": {"price": 1}}),
    ];
    let out = write_json(&seg, &schema_args(&desc), &objects);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("JSON object 2: type \"order\""), "{stderr}");
    assert_eq!(records(&seg).len(), 1);
}

#[test]
fn compressed_and_salvaged_segments_keep_their_schemas() {
    let t = Tmp::new("schemas-kept");
    let seg = t.join("orders.binlog");
    let orders: Vec<Value> = (0..10)
        .map(|i| json!({"type": "order", "payload": {"id": 100 + i, "item": "tea"}}))
        .collect();
    let out = write_json(&seg, &schema_args(&descriptor_file(&t)), &orders);
    assert!(out.status.success(), "{}", out_text(&out));
    let decoded = |path: &Path| -> Vec<Value> {
        let text = stdout_of(binlog().args(["cat", "--decode", "--json", path.to_str().unwrap()]));
        json_lines(&text)
            .iter()
            .map(|j| j["decoded"].clone())
            .collect()
    };
    let ids = |values: Vec<Value>| -> Vec<u64> {
        values.iter().map(|v| v["id"].as_u64().unwrap()).collect()
    };

    // A copy compressed: read through the .zst, decoded the same.
    let copy = t.join("copy.binlog");
    std::fs::copy(&seg, &copy).unwrap();
    binlog()
        .args(["compress", copy.to_str().unwrap()])
        .assert()
        .success();
    let zst = t.join("copy.binlog.zst");
    assert_eq!(ids(decoded(&zst)), (100..110).collect::<Vec<_>>());

    // Damage in record 4; the records after it salvaged to a new file.
    let f = frames(&seg);
    flip_byte(&seg, f[4].0 + f[4].1 - 1);
    binlog()
        .args(["repair", "--salvage", seg.to_str().unwrap()])
        .assert()
        .success();
    let salvaged = t.join(format!("orders.salvaged-{}.binlog", f[5].0));
    assert_eq!(ids(decoded(&salvaged)), (105..110).collect::<Vec<_>>());
    assert_eq!(ids(decoded(&seg)), (100..104).collect::<Vec<_>>());
    let text = stdout_of(binlog().args(["schema", salvaged.to_str().unwrap()]));
    assert!(
        text.contains("order: protobuf (schema protobuf shop.Order"),
        "{text}"
    );
}

#[test]
fn a_type_whose_schema_changed_between_segments_is_listed_per_schema_and_out_writes_the_newest() {
    let t = Tmp::new("schemas-changed");
    let dir = t.join("logs");
    for (i, (encoding, doc)) in [("cbor", "{\"v\": 1}"), ("msgpack", "{\"v\": 2}")]
        .iter()
        .enumerate()
    {
        let file = t.join(format!("v{i}.json"));
        std::fs::write(&file, doc).unwrap();
        let schema = format!("event={encoding}:{}", file.display());
        let args = ["--log", "app", "--schema", &schema].map(String::from);
        let value = json!({"type": "event", "payload": {"n": i}});
        assert!(write_json(&dir, &args, &[value]).status.success());
    }
    let text = stdout_of(binlog().args(["schema", dir.to_str().unwrap()]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("event: cbor (schema jsonschema, 8 bytes); in "),
        "{text}"
    );
    assert!(
        lines[1].starts_with("event: msgpack (schema jsonschema, 8 bytes); in "),
        "{text}"
    );
    let out = t.join("out.json");
    binlog()
        .args(["schema", dir.to_str().unwrap(), "--type", "event", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"v\": 2}");
    // Each record decoded by its own segment's schema.
    let json = json_lines(&stdout_of(binlog().args([
        "cat",
        "--decode",
        "--json",
        dir.to_str().unwrap(),
    ])));
    let decoded: Vec<&Value> = json.iter().map(|j| &j["decoded"]).collect();
    assert_eq!(decoded, [&json!({"n": 0}), &json!({"n": 1})]);
}
