//! Type schemas (docs/FORMAT.md section 5.1): declared in a writer's
//! options, found by a reader in the header of each record's segment,
//! through rolls, reopens, compression and merging; bad schemas refused
//! with their own kinds.

use crate::common;

use binlog::{
    compress_segment, CompressOptions, ErrorKind, LogOptions, LogReader, LogWriter, MergedReader,
    Options, RecordReader, TypeSchema, Writer,
};
use common::TempDir;

/// A FileDescriptorSet declaring `shop.Order`, encoded by hand.
fn descriptor_set() -> Vec<u8> {
    let field = |n: u8, body: &[u8]| [&[n << 3 | 2, body.len() as u8][..], body].concat();
    let file = [field(2, b"shop"), field(4, &field(1, b"Order"))].concat();
    field(1, &file)
}

fn schemas() -> Vec<TypeSchema> {
    vec![
        TypeSchema::protobuf("order", descriptor_set(), "shop.Order"),
        TypeSchema::self_describing("event", "cbor"),
    ]
}

fn log_options(schemas: Vec<TypeSchema>, per_segment: u64) -> LogOptions {
    let mut opts = LogOptions {
        max_segment_records: Some(per_segment),
        ..LogOptions::default()
    };
    opts.segment.schemas = schemas;
    opts
}

#[test]
fn every_segment_of_a_log_carries_the_schemas_and_each_record_finds_its_own() {
    let dir = TempDir::new("schemas-log");
    let w = LogWriter::open(dir.path(), "shop", log_options(schemas(), 3)).unwrap();
    for i in 0..10u8 {
        w.write(if i % 2 == 0 { "order" } else { "plain" }, &[i])
            .unwrap();
    }
    w.close().unwrap();
    let mut r = LogReader::open(dir.path(), "shop").unwrap();
    let mut seen = 0;
    while let Some(rec) = r.next().unwrap() {
        let ty = rec.type_name.to_string();
        let header = r.segment_header().unwrap();
        assert_eq!((header.major, header.minor), (1, 1));
        assert_eq!(header.schemas, schemas());
        let found = r.type_schema(&ty).map(|s| s.schema_name.clone());
        let want = (ty == "order").then(|| "shop.Order".to_string());
        assert_eq!(found, want, "record of type {ty}");
        seen += 1;
    }
    assert_eq!(seen, 10);
}

/// A log of one unsealed segment holding one `event` record written with
/// `schemas`, as a crashed writer leaves it: the files copied while the
/// writer was open.
fn crashed_log(name: &str, schemas: Vec<TypeSchema>) -> TempDir {
    let live = TempDir::new(&format!("{name}-live"));
    let w = LogWriter::open(live.path(), "shop", log_options(schemas, 1000)).unwrap();
    w.write("event", b"\xa0").unwrap();
    w.flush().unwrap();
    let copy = TempDir::new(name);
    for f in live.names() {
        std::fs::copy(live.join(&f), copy.join(&f)).unwrap();
    }
    drop(w);
    copy
}

#[test]
fn a_log_reopened_with_other_schemas_starts_a_new_segment_and_old_records_keep_theirs() {
    let dir = crashed_log("schemas-reopen", schemas());
    let json = vec![TypeSchema::self_describing("event", "json")];
    let w = LogWriter::open(dir.path(), "shop", log_options(json.clone(), 1000)).unwrap();
    w.write("event", b"{}").unwrap();
    w.close().unwrap();
    let mut r = LogReader::open(dir.path(), "shop").unwrap();
    let mut encodings = Vec::new();
    while r.next().unwrap().is_some() {
        encodings.push(r.type_schema("event").unwrap().encoding.clone());
    }
    assert_eq!(encodings, ["cbor", "json"]);
}

#[test]
fn a_log_reopened_with_the_same_schemas_goes_on_in_its_segment() {
    let dir = crashed_log("schemas-same", schemas());
    let w = LogWriter::open(dir.path(), "shop", log_options(schemas(), 1000)).unwrap();
    w.write("event", b"\xa0").unwrap();
    w.close().unwrap();
    assert_eq!(dir.segments().len(), 1, "{:?}", dir.segments());
}

#[test]
fn schemas_a_reader_could_not_use_are_refused_at_open_with_their_own_kinds() {
    let dir = TempDir::new("schemas-bad");
    let missing = TypeSchema::protobuf("order", descriptor_set(), "shop.Refund");
    let garbage = TypeSchema::protobuf("order", b"\x0a\xff".to_vec(), "shop.Order");
    let unknown = TypeSchema::self_describing("order", "yaml");
    let twice = vec![schemas()[1].clone(), schemas()[1].clone()];
    let mut huge = TypeSchema::self_describing("blob", "json");
    huge.schema_encoding = "jsonschema".into();
    huge.schema = [b"{".as_slice(), &vec![b' '; 1 << 20], b"}"].concat();
    let cases = [
        (vec![missing], ErrorKind::InvalidSchema, "shop.Refund"),
        (vec![garbage], ErrorKind::InvalidSchema, "does not parse"),
        (vec![unknown], ErrorKind::InvalidSchema, "yaml"),
        (twice, ErrorKind::InvalidSchema, "two schemas"),
        (vec![huge], ErrorKind::SchemaTooLarge, "exceeds"),
    ];
    for (i, (schemas, kind, says)) in cases.into_iter().enumerate() {
        let opts = Options {
            schemas,
            ..Options::default()
        };
        let path = dir.join(format!("bad-{i}.binlog"));
        let err = Writer::open(&path, opts).err().expect("refused");
        assert_eq!(err.kind(), kind, "case {i}: {err}");
        assert!(err.to_string().contains(says), "case {i}: {err}");
        assert!(!path.exists(), "case {i}: a refused open left a file");
    }
}

#[test]
fn a_compressed_segment_keeps_its_schemas() {
    let dir = TempDir::new("schemas-zst");
    let path = dir.join("s.binlog");
    let opts = Options {
        schemas: schemas(),
        ..Options::default()
    };
    let w = Writer::open(&path, opts).unwrap();
    w.write("order", b"\x08\x01").unwrap();
    w.close().unwrap();
    let converted = compress_segment(&path, &CompressOptions::default()).unwrap();
    let mut lr = LogReader::open_files(vec![converted.path]).unwrap();
    assert!(lr.next().unwrap().is_some());
    assert_eq!(lr.segment_header().unwrap().schemas, schemas());
}

#[test]
fn a_merged_reader_finds_each_record_s_schema_in_its_own_log() {
    let dir = TempDir::new("schemas-merged");
    let json = vec![TypeSchema::self_describing("event", "json")];
    for (name, schemas) in [("a", schemas()), ("b", json)] {
        let w = LogWriter::open(dir.path(), name, log_options(schemas, 100)).unwrap();
        w.write("event", b"x").unwrap();
        w.close().unwrap();
    }
    let mut m = MergedReader::open_dir(dir.path(), "*").unwrap();
    let mut by_log = Vec::new();
    while let Some(rec) = m.next().unwrap() {
        let log = rec.log.to_string();
        by_log.push((log, m.type_schema("event").unwrap().encoding.clone()));
    }
    by_log.sort();
    assert_eq!(
        by_log,
        [("a".into(), "cbor".into()), ("b".into(), "json".into())]
    );
}
