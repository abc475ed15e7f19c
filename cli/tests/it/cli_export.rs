//! `binlog export` checked by the engines analytics users read its files
//! with, not by our own reader: logs written with `binlog write --json
//! --schema` (a protobuf type, its descriptor set made here with
//! prost-types; a JSON and a CBOR type with a JSON Schema; a type without
//! a schema), exported, then read by DuckDB and pyarrow
//! (tests/export/check_export.py, in the virtual environment `make
//! analytics-tools` makes; BINLOG_ANALYTICS_PYTHON names another python):
//! counts per type, sums of decoded fields, seq ranges and times, and
//! every row's time, metadata and payload, against the records written
//! here. Payloads are encoded here by hand, not by the tool.
//! Bad input: an existing file is refused (replaced with --force); a full
//! disk mid-export leaves no partial file and names it.

use crate::common;
use common::protobuf_all;

use common::cli::binlog;
use common::s3::S3Server;
use common::tmpfs::Tmpfs;
use common::TempDir;
use prost_reflect::prost::Message;
use prost_reflect::prost_types::{
    field_descriptor_proto::{Label, Type},
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FileDescriptorProto,
    FileDescriptorSet,
};
use protobuf_all::field;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const T0: i64 = 1_764_000_000_123_456_789;

/// A record as written here, and as the export must hold it.
struct Written {
    log: String,
    seq: u64,
    ts_ns: i64,
    type_name: &'static str,
    meta: Vec<(String, String)>,
    payload: Vec<u8>,
    /// The decoded fields the export's columns must hold.
    fields: Value,
}

/// `n` records of log `log` cycling through the types trade (protobuf),
/// click (JSON), reading (CBOR) and note (no schema).
fn records(log: &str, n: u64, ts0: i64) -> Vec<Written> {
    (0..n)
        .map(|seq| {
            let (type_name, payload, fields) = match seq % 4 {
                0 => ("trade", trade(seq), trade_fields(seq)),
                1 => ("click", click(seq).to_string().into_bytes(), click(seq)),
                2 => ("reading", reading_cbor(seq), reading_fields(seq)),
                _ => ("note", format!("note {seq}").into_bytes(), json!({})),
            };
            Written {
                log: log.to_string(),
                seq,
                ts_ns: ts0 + seq as i64 * 1_000_003,
                type_name,
                meta: vec![
                    ("host".into(), format!("h{}", seq % 3)),
                    ("n".into(), seq.to_string()),
                ],
                payload,
                fields,
            }
        })
        .collect()
}

// --- trade: protobuf -----------------------------------------------------

/// `trading.Trade { string symbol = 1; int64 qty = 2; double price = 3;
/// Side side = 4; repeated int32 tags = 5; Venue venue = 6; }`,
/// `Venue { string name = 1; uint32 id = 2; }`, `enum Side { BUY; SELL; }`.
fn descriptor_set() -> Vec<u8> {
    let opt = Label::Optional;
    let trade = DescriptorProto {
        name: Some("Trade".into()),
        field: vec![
            field("symbol", 1, Type::String, opt, ""),
            field("qty", 2, Type::Int64, opt, ""),
            field("price", 3, Type::Double, opt, ""),
            field("side", 4, Type::Enum, opt, ".trading.Side"),
            field("tags", 5, Type::Int32, Label::Repeated, ""),
            field("venue", 6, Type::Message, opt, ".trading.Venue"),
        ],
        ..Default::default()
    };
    let venue = DescriptorProto {
        name: Some("Venue".into()),
        field: vec![
            field("name", 1, Type::String, opt, ""),
            field("id", 2, Type::Uint32, opt, ""),
        ],
        ..Default::default()
    };
    let value = |name: &str, number| EnumValueDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        ..Default::default()
    };
    let side = EnumDescriptorProto {
        name: Some("Side".into()),
        value: vec![value("BUY", 0), value("SELL", 1)],
        ..Default::default()
    };
    let file = FileDescriptorProto {
        name: Some("trading.proto".into()),
        package: Some("trading".into()),
        message_type: vec![trade, venue],
        enum_type: vec![side],
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    FileDescriptorSet { file: vec![file] }.encode_to_vec()
}

fn trade_fields(seq: u64) -> Value {
    json!({
        "symbol": format!("S{}", seq % 7),
        "qty": 1000 + seq as i64,
        "price": 10.25 + seq as f64 / 8.0,
        "side": if seq % 8 == 0 { "BUY" } else { "SELL" },
        "tags": [seq as i64 % 5, 7],
        "venue": {"name": "XLON", "id": 44 + seq},
    })
}

/// `trade_fields(seq)` in the protobuf wire format, by hand.
fn trade(seq: u64) -> Vec<u8> {
    trade_of(&trade_fields(seq))
}

/// Trade `f` (its side a name, or a number) in the wire format, by hand.
fn trade_of(f: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    len_field(&mut out, 1, f["symbol"].as_str().unwrap().as_bytes());
    varint_field(&mut out, 2, f["qty"].as_u64().unwrap());
    key(&mut out, 3, 1);
    out.extend_from_slice(&f["price"].as_f64().unwrap().to_le_bytes());
    let side = match f["side"].as_str().unwrap() {
        "BUY" => 0,
        "SELL" => 1,
        number => number.parse().unwrap(),
    };
    varint_field(&mut out, 4, side);
    let mut tags = Vec::new();
    for t in f["tags"].as_array().unwrap() {
        varint(&mut tags, t.as_u64().unwrap());
    }
    len_field(&mut out, 5, &tags);
    let mut venue = Vec::new();
    len_field(&mut venue, 1, b"XLON");
    varint_field(&mut venue, 2, f["venue"]["id"].as_u64().unwrap());
    len_field(&mut out, 6, &venue);
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u64, wire: u64) {
    varint(out, field << 3 | wire);
}

fn varint_field(out: &mut Vec<u8>, field: u64, v: u64) {
    key(out, field, 0);
    varint(out, v);
}

fn len_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

// --- click: JSON; reading: CBOR (each with a JSON Schema) ----------------

fn click(seq: u64) -> Value {
    json!({"user": format!("u{}", seq % 5), "clicks": seq * 3, "score": seq as f64 / 4.0})
}

const CLICK_SCHEMA: &str = r#"{"type": "object", "properties": {
  "user": {"type": "string"}, "clicks": {"type": "integer"}, "score": {"type": "number"}}}"#;

fn reading_fields(seq: u64) -> Value {
    json!({"sensor": format!("s{}", seq % 3), "celsius": 20.5 + seq as f64, "count": seq})
}

const READING_SCHEMA: &str = r#"{"type": "object", "properties": {
  "sensor": {"type": "string"}, "celsius": {"type": "number"}, "count": {"type": "integer"}}}"#;

/// `reading_fields(seq)` as a CBOR map, by hand (RFC 8949).
fn reading_cbor(seq: u64) -> Vec<u8> {
    let mut out = vec![0xa3];
    cbor_text(&mut out, "sensor");
    cbor_text(&mut out, &format!("s{}", seq % 3));
    cbor_text(&mut out, "celsius");
    out.push(0xfb);
    out.extend_from_slice(&(20.5 + seq as f64).to_be_bytes());
    cbor_text(&mut out, "count");
    out.push(0x1b);
    out.extend_from_slice(&seq.to_be_bytes());
    out
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    assert!(s.len() < 24);
    out.push(0x60 | s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

// --- writing, exporting, checking ----------------------------------------

/// The schema files and `--schema` arguments of the four types, of `all`
/// (`t.All`, a field of every kind) and of `wkt` (`w.Wkt`, a field of
/// each well-known type).
fn schema_args(dir: &Path) -> Vec<String> {
    let desc = dir.join("trading.desc");
    std::fs::write(&desc, descriptor_set()).unwrap();
    let all = dir.join("all.desc");
    std::fs::write(&all, protobuf_all::all_kinds_descriptor_set().0).unwrap();
    let wkt = dir.join("wkt.desc");
    std::fs::write(&wkt, protobuf_all::well_known_descriptor_set().0).unwrap();
    let click = dir.join("click.schema.json");
    std::fs::write(&click, CLICK_SCHEMA).unwrap();
    let reading = dir.join("reading.schema.json");
    std::fs::write(&reading, READING_SCHEMA).unwrap();
    let d = desc.display();
    vec![
        format!("trade=protobuf:{d}:trading.Trade"),
        format!("click=json:{}", click.display()),
        format!("reading=cbor:{}", reading.display()),
        format!("all=protobuf:{}:t.All", all.display()),
        format!("wkt=protobuf:{}:w.Wkt", wkt.display()),
    ]
}

/// Writes `records` to log `log` of `dir` with `binlog write --json`,
/// `per` records a segment.
fn write_log(dir: &Path, log: &str, records: &[Written], per: u64) {
    let schemas = TempDir::new("export-schemas");
    let mut cmd = binlog();
    cmd.arg("write").arg(dir).args(["--log", log, "--json"]);
    cmd.args(["--max-segment-records", &per.to_string()]);
    for s in schema_args(schemas.path()) {
        cmd.args(["--schema", &s]);
    }
    let input: String = records
        .iter()
        .map(|r| {
            let meta: Vec<Value> = r.meta.iter().map(|(k, v)| json!([k, v])).collect();
            let b64 = base64_of(&r.payload);
            let line = json!({"type": r.type_name, "ts_ns": r.ts_ns, "meta": meta,
                              "encoding": "base64", "payload": b64});
            format!("{line}\n")
        })
        .collect();
    let out = cmd.write_stdin(input).output().unwrap();
    assert!(out.status.success(), "binlog write: {out:?}");
}

fn base64_of(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            let ch = if i <= c.len() {
                A[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            };
            s.push(ch as char);
        }
    }
    s
}

/// Sums checked per type: every numeric decoded field.
fn sums() -> Value {
    json!({"trade": ["qty", "price"], "click": ["clicks", "score"], "reading": ["celsius", "count"]})
}

/// Runs tests/export/check_export.py on the export in `dir` of `records`;
/// `log_named`: the export names each record's log (else it is null).
fn check_export(dir: &Path, format: &str, records: &[Written], log_named: bool) {
    check_export_types(dir, format, records, log_named, json!({}))
}

/// `check_export`, and the type of each column `types` names (pyarrow's
/// name of it).
fn check_export_types(
    dir: &Path,
    format: &str,
    records: &[Written],
    log_named: bool,
    types: Value,
) {
    let spec = json!({
        "dir": dir,
        "format": format,
        "types": types,
        "sums": sums(),
        "records": records.iter().map(|r| json!({
            "log": if log_named { Value::from(r.log.as_str()) } else { Value::Null },
            "seq": r.seq, "ts_ns": r.ts_ns, "type": r.type_name,
            "meta": r.meta.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "payload_hex": hex(&r.payload),
            "fields": r.fields,
        })).collect::<Vec<_>>(),
    });
    let spec_file = dir.with_extension("spec.json");
    std::fs::write(&spec_file, spec.to_string()).unwrap();
    let script = crate::common::repo_root().join("tests/export/check_export.py");
    let out = Command::new(analytics_python())
        .arg(script)
        .arg(&spec_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check_export.py found differences:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The python of the virtual environment with duckdb and pyarrow:
/// BINLOG_ANALYTICS_PYTHON, else where `make analytics-tools` puts it. A
/// test without it fails: it does not pass unchecked.
fn analytics_python() -> PathBuf {
    let python = match std::env::var_os("BINLOG_ANALYTICS_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => common::s3::tool("analytics-duckdb-1.1.3-pyarrow-18.1.0/bin/python"),
    };
    assert!(
        python.exists(),
        "{} is missing: run `make analytics-tools` (or set BINLOG_ANALYTICS_PYTHON)",
        python.display()
    );
    python
}

fn export(args: &[&str]) -> Output {
    binlog().arg("export").args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_protobuf_json_and_cbor_log_exports_to_parquet_as_written() {
    let dir = TempDir::new("export-parquet");
    let written = records("orders", 400, T0);
    write_log(&dir.join("logs"), "orders", &written, 150);
    let out = dir.join("out");
    let o = export(&[s(&dir.join("logs")), "--to", "parquet", "--out", s(&out)]);
    assert!(o.status.success(), "{o:?}");
    let mut files = common::list_dir(&out);
    files.sort();
    let want = [
        "click.parquet",
        "reading.parquet",
        "records.parquet",
        "trade.parquet",
    ];
    assert_eq!(files, want);
    check_export(&out, "parquet", &written, true);
}

#[test]
fn a_filtered_export_holds_the_records_the_filter_selects() {
    let dir = TempDir::new("export-filtered");
    let written = records("orders", 200, T0);
    write_log(&dir.join("logs"), "orders", &written, 64);
    let out = dir.join("out");
    let since = T0 + 50 * 1_000_003;
    let since = chrono_like(since);
    let o = export(&[
        s(&dir.join("logs")),
        "--type",
        "trade,click",
        "--since",
        &since,
        "--to",
        "parquet",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{o:?}");
    let selected: Vec<Written> = written
        .into_iter()
        .filter(|r| r.seq >= 50 && matches!(r.type_name, "trade" | "click"))
        .collect();
    check_export(&out, "parquet", &selected, true);
}

/// `ts` as RFC 3339 with nanoseconds.
fn chrono_like(ts: i64) -> String {
    let secs = ts.div_euclid(1_000_000_000);
    let ns = ts.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ns:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day since 1970-01-01 (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[test]
fn a_merged_export_of_two_logs_holds_both() {
    let dir = TempDir::new("export-merged");
    let a = records("alpha", 150, T0);
    let b = records("beta", 130, T0 + 500_001);
    write_log(&dir.join("logs"), "alpha", &a, 40);
    write_log(&dir.join("logs"), "beta", &b, 40);
    let out = dir.join("out");
    let o = export(&[
        "--merge",
        s(&dir.join("logs")),
        "--to",
        "parquet",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{o:?}");
    let both: Vec<Written> = a.into_iter().chain(b).collect();
    check_export(&out, "parquet", &both, true);
}

#[test]
fn an_export_and_cat_decode_of_a_log_shipped_to_the_bucket_hold_its_records() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("export-remote");
    let written = records("orders", 120, T0);
    write_log(&dir.join("logs"), "orders", &written, 30);
    let ship = binlog()
        .args([
            "ship",
            s(&dir.join("logs")),
            "--log",
            "orders",
            "--to",
            "s3://logs/exp",
        ])
        .envs(server.env())
        .output()
        .unwrap();
    assert!(ship.status.success(), "{ship:?}");
    let local = dir.join("logs");
    let cat_decode = |source: &[&str]| {
        let o = binlog()
            .arg("cat")
            .args(source)
            .args(["--json", "--decode"])
            .envs(server.env())
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    // `cat --decode` reads the bucket's copy as it read the log.
    let before = cat_decode(&[s(&local), "--log", "orders"]);
    let decoded = before
        .lines()
        .filter(|l| l.contains("\"decoded\":{"))
        .count();
    assert_eq!(decoded, 90, "trades, clicks and readings decode: {before}");
    std::fs::remove_dir_all(&local).unwrap();
    assert_eq!(cat_decode(&["s3://logs/exp/orders"]), before);
    let out = dir.join("out");
    let o = binlog()
        .args([
            "export",
            "s3://logs/exp/orders",
            "--to",
            "parquet",
            "--out",
            s(&out),
        ])
        .envs(server.env())
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    check_export(&out, "parquet", &written, true);
}

#[test]
fn an_arrow_export_is_read_by_pyarrow() {
    let dir = TempDir::new("export-arrow");
    let written = records("orders", 300, T0);
    write_log(&dir.join("logs"), "orders", &written, 100);
    let out = dir.join("out");
    let o = export(&[s(&dir.join("logs")), "--to", "arrow", "--out", s(&out)]);
    assert!(o.status.success(), "{o:?}");
    check_export(&out, "arrow", &written, true);
}

#[test]
fn a_jsonl_export_is_read_by_duckdb() {
    let dir = TempDir::new("export-jsonl");
    let written = records("orders", 300, T0);
    write_log(&dir.join("logs"), "orders", &written, 100);
    let out = dir.join("out");
    let o = export(&[s(&dir.join("logs")), "--to", "jsonl", "--out", s(&out)]);
    assert!(o.status.success(), "{o:?}");
    check_export(&out, "jsonl", &written, true);
}

#[test]
fn an_existing_file_is_refused_and_force_replaces_it() {
    let dir = TempDir::new("export-exists");
    let written = records("orders", 40, T0);
    write_log(&dir.join("logs"), "orders", &written, 100);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let existing = out.join("trade.parquet");
    std::fs::write(&existing, b"keep me").unwrap();
    let logs = dir.join("logs");
    let o = export(&[s(&logs), "--to", "parquet", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(stderr(&o).contains(s(&existing)), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
    let mut left = common::list_dir(&out);
    left.sort();
    assert_eq!(left, ["trade.parquet"], "no other file is left");
    let o = export(&[s(&logs), "--to", "parquet", "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{o:?}");
    check_export(&out, "parquet", &written, true);
}

#[test]
fn a_full_disk_mid_export_leaves_no_partial_file_and_names_it() {
    let dir = TempDir::new("export-full-log");
    // Payloads that do not compress: the export outgrows the filesystem.
    let written: Vec<Written> = (0..3000u64)
        .map(|seq| Written {
            log: "orders".into(),
            seq,
            ts_ns: T0 + seq as i64,
            type_name: "blob",
            meta: vec![],
            payload: (0..1000u64)
                .map(|i| (seq.wrapping_mul(2654435761) ^ i.wrapping_mul(40503)) as u8)
                .collect(),
            fields: json!({}),
        })
        .collect();
    write_log(&dir.join("logs"), "orders", &written, 1000);
    let fs = Tmpfs::mount("export-full", "1m");
    let out = fs.join("out");
    let o = export(&[s(&dir.join("logs")), "--to", "arrow", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let file = out.join("records.arrow");
    assert!(stderr(&o).contains(s(&file)), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("No space left on device"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        common::list_dir(&out),
        Vec::<String>::new(),
        "no partial file left"
    );
}

/// NaN and the infinities, which JSON lacks, print the same in a JSON
/// Lines export as in `cat --decode`: as the strings `"NaN"`,
/// `"Infinity"`, `"-Infinity"`; the record and its count are said in
/// words (`1 record`).
#[test]
fn nan_and_infinities_print_in_a_jsonl_export_as_cat_decode_prints_them() {
    let dir = TempDir::new("export-nan");
    let (set, name) = protobuf_all::all_kinds_descriptor_set();
    let desc = dir.join("all.desc");
    std::fs::write(&desc, set).unwrap();
    let seg = dir.join("all.binlog");
    let schema = format!("all=protobuf:{}:{name}", s(&desc));
    let value = json!({"f11": "NaN", "f12": "-Infinity", "r12": ["Infinity", 1.5]});
    binlog()
        .args(["write", s(&seg), "--json", "--schema", &schema])
        .write_stdin(json!({"type": "all", "decoded": value}).to_string())
        .assert()
        .success();
    let cat = binlog()
        .args(["cat", "--decode", "--json", s(&seg)])
        .output()
        .unwrap();
    let line: Value = serde_json::from_slice(&cat.stdout).unwrap();
    assert_eq!(line["decoded"], value);

    let out = dir.join("out");
    let o = export(&[s(&seg), "--to", "jsonl", "--out", s(&out)]);
    assert!(o.status.success(), "{o:?}");
    let file = out.join("all.jsonl");
    let row: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for field in ["f11", "f12", "r12"] {
        assert_eq!(row[field], value[field], "{field}: {row}");
    }
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{}: 1 record\n", s(&file))
    );
}

/// A value that does not fit its columns is named in words: its record,
/// the field, why (not arrow-json's "Json error: whilst decoding").
#[test]
fn a_value_that_does_not_fit_its_columns_is_said_in_words() {
    let dir = TempDir::new("export-unfit");
    let doc = dir.join("event.json");
    std::fs::write(&doc, r#"{"properties": {"n": {"type": "integer"}}}"#).unwrap();
    let seg = dir.join("events.binlog");
    binlog()
        .args(["write", s(&seg), "--json", "--schema"])
        .arg(format!("event=json:{}", s(&doc)))
        .write_stdin(r#"{"type": "event", "payload": {"n": "x"}}"#)
        .assert()
        .success();
    let o = export(&[s(&seg), "--to", "jsonl", "--out", s(&dir.join("out"))]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    let said = stderr(&o);
    assert!(
        said.contains(": record 0: decoded fields left out: field 'n': failed to parse \"x\"")
            && said.contains("warning: 1 record kept without their decoded fields"),
        "{said}"
    );
}

/// A proto3 enum is open: a number without a name is exported as its
/// text, as `cat --decode` prints the number, the record's other decoded
/// fields kept.
#[test]
fn an_enum_number_without_a_name_is_exported_as_its_number() {
    let dir = TempDir::new("export-open-enum");
    let mut written = records("orders", 40, T0);
    for r in written.iter_mut().filter(|r| r.seq % 8 == 4) {
        r.fields["side"] = json!("99");
        r.payload = trade_of(&r.fields);
    }
    write_log(&dir.join("logs"), "orders", &written, 100);
    for to in ["parquet", "arrow"] {
        let out = dir.join(to);
        let o = export(&[s(&dir.join("logs")), "--to", to, "--out", s(&out)]);
        assert!(o.status.success(), "{o:?}");
        check_export(&out, to, &written, true);
    }
}

/// FORMAT allows a metadata key more than once: each format keeps every
/// pair, in order, in a form DuckDB and pyarrow read (engines refuse a
/// map whose keys repeat).
#[test]
fn repeated_metadata_keys_are_exported_as_every_pair_in_order() {
    let dir = TempDir::new("export-meta-twice");
    let mut written = records("orders", 60, T0);
    for r in written.iter_mut().filter(|r| r.seq % 3 == 0) {
        r.meta.push(("host".into(), format!("again {}", r.seq)));
    }
    write_log(&dir.join("logs"), "orders", &written, 25);
    for to in ["parquet", "arrow", "jsonl"] {
        let out = dir.join(to);
        let o = export(&[s(&dir.join("logs")), "--to", to, "--out", s(&out)]);
        assert!(o.status.success(), "{o:?}");
        check_export(&out, to, &written, true);
    }
}

/// A payload that does not decode, read from a segment given by path (no
/// log name), is named as `cat --decode` names it: its file and record,
/// whether its type's columns are read from the wire (trade) or decoded
/// first (click).
#[test]
fn a_payload_that_does_not_decode_is_named_with_its_segment_file() {
    let dir = TempDir::new("export-undecodable");
    let mut written = records("orders", 8, T0);
    written[4].payload = b"\x0a\x05ab".to_vec();
    written[5].payload = b"{\"user\":".to_vec();
    let logs = dir.join("logs");
    write_log(&logs, "orders", &written, 100);
    let segment = common::list_dir(&logs)
        .into_iter()
        .find(|n| n.ends_with(".binlog"))
        .map(|n| logs.join(n))
        .unwrap();
    let out = dir.join("out");
    let o = export(&[s(&segment), "--to", "parquet", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    for (seq, t, encoding) in [(4, "trade", "protobuf"), (5, "click", "json")] {
        let says = format!(
            "binlog: warning: {}: record {seq} of type \"{t}\" does not decode as {encoding}: ",
            segment.display()
        );
        assert!(stderr(&o).contains(&says), "{says}\n{}", stderr(&o));
    }
}

/// A `t.All` payload whose map `by_name` has 16 entries; with a key
/// twice it is left to prost-reflect, whose map is a hash's (another
/// order each run).
fn all_with_map(key_twice: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let twice = key_twice.then_some(3);
    for i in (0..16u64).chain(twice) {
        let mut entry = Vec::new();
        len_field(&mut entry, 1, format!("k{i}").as_bytes());
        varint_field(&mut entry, 2, i);
        len_field(&mut out, 44, &entry);
    }
    out
}

#[test]
fn two_exports_of_the_same_log_are_the_same_bytes() {
    let dir = TempDir::new("export-twice");
    let mut written = records("orders", 40, T0);
    for r in written.iter_mut().filter(|r| r.type_name == "note") {
        r.type_name = "all";
        r.payload = all_with_map(r.seq % 8 == 3);
    }
    write_log(&dir.join("logs"), "orders", &written, 100);
    for to in ["parquet", "arrow", "jsonl"] {
        let export_to = |name: &str| {
            let out = dir.join(name).join(to);
            let o = export(&[s(&dir.join("logs")), "--to", to, "--out", s(&out)]);
            assert!(o.status.success(), "{o:?}");
            let mut files = common::list_dir(&out);
            files.sort();
            let read = |f: String| (std::fs::read(out.join(&f)).unwrap(), f);
            files.into_iter().map(read).collect::<Vec<_>>()
        };
        let (first, second) = (export_to("first"), export_to("second"));
        assert_eq!(first.len(), 4, "{to}");
        assert!(first == second, "{to}: the two exports differ");
    }
}

/// `w.Wkt` records (a field of each well-known type) export to the
/// columns their JSON forms make: a Timestamp as a time in nanoseconds, a
/// Duration as its text, a wrapper as its value (an empty one as its
/// zero, an absent one null); Struct, Value, ListValue, Any and Empty,
/// which have no column, are read too; by pyarrow and DuckDB.
#[test]
fn well_known_types_export_as_the_columns_of_their_json_forms() {
    let dir = TempDir::new("export-wkt");
    let (set, name) = protobuf_all::well_known_descriptor_set();
    let pool = prost_reflect::DescriptorPool::decode(&set[..]).unwrap();
    let (desc, time) = (
        pool.get_message_by_name(name).unwrap(),
        pool.get_message_by_name("google.protobuf.Timestamp")
            .unwrap(),
    );
    let written: Vec<Written> = (0..300u64)
        .map(|seq| {
            let at_ns = T0 + seq as i64 * 1_000_003_000;
            let value = json!({
                "duration": format!("-{seq}.5s"), "int64value": seq.to_string(),
                "doublevalue": seq as f64 / 4.0, "boolvalue": seq % 2 == 0,
                "stringvalue": format!("s{seq}"), "bytesvalue": "AAE=", "empty": {},
                "struct": {"k": [seq, "x", null]}, "value": seq % 3 == 0, "listvalue": [{}],
                "any": {"@type": "type.googleapis.com/w.Inner", "n": seq},
            });
            let mut msg = prost_reflect::DynamicMessage::deserialize(desc.clone(), &value).unwrap();
            let mut at = prost_reflect::DynamicMessage::new(time.clone());
            at.set_field_by_name(
                "seconds",
                prost_reflect::Value::I64(at_ns.div_euclid(1_000_000_000)),
            );
            at.set_field_by_name(
                "nanos",
                prost_reflect::Value::I32(at_ns.rem_euclid(1_000_000_000) as i32),
            );
            msg.set_field_by_name("timestamp", prost_reflect::Value::Message(at));
            let fields = json!({
                "timestamp": at_ns, "duration": format!("-{seq}.500s"), "int64value": seq,
                "doublevalue": seq as f64 / 4.0, "boolvalue": seq % 2 == 0,
                "stringvalue": format!("s{seq}"), "bytesvalue": "AAE=", "uint64value": null,
            });
            Written {
                log: "events".into(),
                seq,
                ts_ns: T0,
                type_name: "wkt",
                meta: Vec::new(),
                payload: msg.encode_to_vec(),
                fields,
            }
        })
        .collect();
    write_log(&dir.join("logs"), "events", &written, 120);
    let types = json!({"timestamp": "timestamp[ns, tz=+00:00]", "duration": "string",
                       "int64value": "int64", "doublevalue": "double", "bytesvalue": "string"});
    for to in ["parquet", "arrow"] {
        let out = dir.join(to);
        let o = export(&[s(&dir.join("logs")), "--to", to, "--out", s(&out)]);
        assert!(o.status.success() && o.stderr.is_empty(), "{o:?}");
        check_export_types(&out, to, &written, true, types.clone());
    }
}
