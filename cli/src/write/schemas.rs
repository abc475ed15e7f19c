//! `binlog write --schema TYPE=ENCODING[:...]`: the type schemas recorded
//! in the header of each new segment written, and the encoders of
//! `--json` input's decoded values.

use crate::decode::Decoder;
use crate::error::CliResult;
use binlog::TypeSchema;
use std::collections::HashMap;
use std::path::Path;

/// Parses a `--schema` value: `TYPE=protobuf:FILE:MESSAGE` (a serialized
/// FileDescriptorSet, `protoc --include_imports --descriptor_set_out`),
/// `TYPE=flatbuffer:FILE:ROOT` (a `.bfbs`), or `TYPE=json|cbor|msgpack`
/// with `:FILE` for a JSON Schema; checked as a reader would use it.
pub(super) fn parse_schema(s: &str) -> Result<TypeSchema, String> {
    let spec = s.split_once('=');
    let (type_name, spec) = spec.ok_or("expected TYPE=ENCODING[:FILE[:MESSAGE]]")?;
    let (encoding, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let read = |file: &str| {
        std::fs::read(Path::new(file)).map_err(|e| format!("{file}: {}", binlog::io_text(&e)))
    };
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

/// The encoders of the types whose decoded values are not stored as JSON
/// text: protobuf, CBOR and MessagePack.
pub(super) fn encoders(schemas: &[TypeSchema]) -> CliResult<HashMap<String, Decoder>> {
    let binary = schemas
        .iter()
        .filter(|s| matches!(s.encoding.as_str(), "protobuf" | "cbor" | "msgpack"));
    let encoder = |s: &TypeSchema| -> CliResult<_> { Ok((s.type_name.clone(), Decoder::new(s)?)) };
    binary.map(encoder).collect()
}
