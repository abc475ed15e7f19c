//! `binlog write`'s arguments, and the parsers of their values (the type
//! schemas of `--schema`, recorded in the header of each new segment).

use crate::decode::Decoder;
use crate::error::{CliError, CliResult};
use crate::progress::NoProgressAccepted;
use binlog::TypeSchema;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/write.txt"))]
pub struct WriteArgs {
    /// A segment file (created if missing), or a log directory.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Write into this log of the directory (created if missing).
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Type of the records (the default for JSON objects without "type").
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub type_name: Option<String>,
    /// Metadata for every record (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
    /// Read JSON objects instead of lines.
    #[arg(long)]
    pub json: bool,
    /// At the end, print what was written as one JSON document on standard
    /// output (destination, written, first_seq, last_seq, not_written,
    /// error). (`--json` is the input's format.)
    #[arg(long)]
    pub json_summary: bool,
    /// Content type recorded in a new segment's header.
    #[arg(long, value_name = "TEXT")]
    pub content_type: Option<String>,
    /// What a type's payloads hold, recorded in each new segment's header
    /// (repeatable): TYPE=protobuf:FILE.desc:pkg.Message (a descriptor set),
    /// TYPE=json, TYPE=cbor or TYPE=msgpack (each with :FILE for a JSON
    /// Schema), TYPE=flatbuffer:FILE.bfbs:Root. With --json, a value given
    /// as "payload" or "decoded" is encoded as the type's encoding.
    #[arg(long = "schema", value_name = "TYPE=ENCODING[:FILE[:NAME]]", value_parser = parse_schema)]
    pub schemas: Vec<TypeSchema>,
    /// Parameter recorded in a new segment's header (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Sequence number of the first record of a new segment or log.
    #[arg(long, value_name = "N")]
    pub first_seq: Option<u64>,
    /// Largest record accepted, in bytes (K, M, G suffixes); default 64M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_record_size: Option<u64>,
    /// Log directories: roll to a new segment before this many bytes.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_segment_bytes: Option<u64>,
    /// Log directories: roll to a new segment after this many records.
    #[arg(long, value_name = "N")]
    pub max_segment_records: Option<u64>,
    /// Sign each segment's seal with this secret key (`binlog keys new`);
    /// `binlog verify --trust KEY.pub` checks them.
    #[arg(long, value_name = "KEY")]
    pub signing_key: Option<PathBuf>,
    #[command(flatten)]
    pub no_progress: NoProgressAccepted,
}

pub(super) fn key_value(flag: &str, s: &str) -> CliResult<(String, String)> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| CliError::usage(format!("{flag} {s:?}: expected KEY=VALUE")))
}

/// `4096`, `64K`, `64M`, `1G` (binary units; a trailing `B`/`iB` is fine).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix("iB").or(t.strip_suffix('B')).unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        Some((i, 't' | 'T')) => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    let n = num.trim().parse::<u64>().ok();
    let n = n.and_then(|n| n.checked_mul(mult));
    n.ok_or_else(|| format!("{s:?} is not a size (e.g. 4096, 64K, 64M, 1G)"))
}

/// Parses a `--schema` value: `TYPE=protobuf:FILE:MESSAGE` (a serialized
/// FileDescriptorSet, `protoc --include_imports --descriptor_set_out`),
/// `TYPE=flatbuffer:FILE:ROOT` (a `.bfbs`), or `TYPE=json|cbor|msgpack`
/// with `:FILE` for a JSON Schema; checked as a reader would use it.
fn parse_schema(s: &str) -> Result<TypeSchema, String> {
    let spec = s.split_once('=');
    let (type_name, spec) = spec.ok_or("expected TYPE=ENCODING[:FILE[:MESSAGE]]")?;
    let (encoding, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let read =
        |file: &str| std::fs::read(file).map_err(|e| format!("{file}: {}", binlog::io_text(&e)));
    let mut schema = TypeSchema::self_describing(type_name, encoding);
    match encoding {
        "protobuf" | "flatbuffer" => {
            let (file, name) = rest.rsplit_once(':').ok_or_else(|| {
                format!("{encoding} needs FILE:MESSAGE ({type_name}={encoding}:FILE:MESSAGE)")
            })?;
            schema.schema_encoding = encoding.into();
            schema.schema_name = name.into();
            schema.schema = read(file)?;
        }
        _ if !rest.is_empty() => {
            schema.schema_encoding = "jsonschema".into();
            schema.schema = read(rest)?;
        }
        _ => {}
    }
    // FlatBuffers payloads are not decoded by the tool: only checked. A
    // header must hold the schema (1 MiB in all).
    let alone = binlog::Options {
        schemas: vec![schema.clone()],
        ..Default::default()
    };
    let checked = match encoding {
        "flatbuffer" => alone.validate(),
        _ => Decoder::new(&schema).and_then(|_| alone.validate()),
    };
    checked.map(|_| schema).map_err(|e| e.message().to_string())
}
