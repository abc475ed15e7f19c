//! Type schemas in C: a writer's options declare them
//! (`binlog_options_add_type_schema`), a reader looks one up by type name
//! in the header of the segment its last record came from
//! (`binlog_reader_type_schema`, `binlog_merged_reader_type_schema`).
//! `binlog_record` carries nothing more.

use super::merged_reader::binlog_merged_reader;
use super::options::{binlog_options, set_log};
use super::prelude::*;
use super::reader::{binlog_reader, read_out};
use crate::log::record_reader::RecordReader;
use crate::TypeSchema;

/// A type's schema (docs/FORMAT.md, "Type schemas"): UTF-8 strings and the
/// schema's bytes, not NUL-terminated. `encoding` is how payloads are
/// encoded (`protobuf`, `flatbuffer`, `json`, `cbor`, `msgpack`);
/// `schema_encoding` what `schema` holds (`protobuf`: a serialized
/// FileDescriptorSet; `flatbuffer`: a .bfbs; `jsonschema`; or empty for
/// none); `schema_name` the message (a protobuf message's full name, a
/// FlatBuffers root table). Filled by a reader, the pointers are valid
/// (not NULL, even for 0 bytes) until the next call on that reader.
#[repr(C)]
pub struct binlog_type_schema {
    pub type_name: *const u8,
    pub type_len: usize,
    pub encoding: *const u8,
    pub encoding_len: usize,
    pub schema_encoding: *const u8,
    pub schema_encoding_len: usize,
    pub schema_name: *const u8,
    pub schema_name_len: usize,
    pub schema: *const u8,
    pub schema_len: usize,
}

/// Declares the schema of one type, recorded in the header of every new
/// segment the writer creates (an existing segment keeps its header; a
/// log's writer opened with other schemas than its newest segment's
/// starts a new segment). Checked at once: `BINLOG_ERR_INVALID_SCHEMA`
/// for an unknown encoding, a descriptor set that does not parse or lacks
/// the message, or a second schema of the type;
/// `BINLOG_ERR_SCHEMA_TOO_LARGE` when the header cannot hold the schemas
/// (1 MiB in all; the message names the largest schema's type and size).
/// The options keep copies of the bytes.
#[no_mangle]
pub extern "C" fn binlog_options_add_type_schema(
    opts: *mut binlog_options,
    schema: *const binlog_type_schema,
) -> binlog_result {
    set_log(opts, |l| {
        let s = unsafe { schema.as_ref() }.ok_or_else(|| null("schema"))?;
        let text = |p, n, what| unsafe { utf8(p, n, what) }.map(str::to_owned);
        let what = format!("schema ({} bytes)", s.schema_len);
        let bytes = unsafe { array(s.schema, s.schema_len, &what) }?.to_vec();
        l.segment.schemas.push(TypeSchema {
            type_name: text(s.type_name, s.type_len, "type name")?,
            encoding: text(s.encoding, s.encoding_len, "encoding")?,
            schema_encoding: text(s.schema_encoding, s.schema_encoding_len, "schema encoding")?,
            schema_name: text(s.schema_name, s.schema_name_len, "schema name")?,
            schema: bytes,
        });
        Ok(())
    })
}

/// Fills `*out` with the schema of type `type_name` in the header of the
/// segment the reader's last record came from (for a log reader; see
/// `binlog_reader_header`): each record is described by its own
/// segment's header. `BINLOG_ERR_NOT_FOUND` if that header has no schema
/// for the type, or the reader has no segment to ask yet.
#[no_mangle]
pub extern "C" fn binlog_reader_type_schema(
    r: *mut binlog_reader,
    type_name: *const u8,
    type_len: usize,
    out: *mut binlog_type_schema,
) -> binlog_result {
    read_out(r, out, |h| {
        let name = h.args(|| unsafe { utf8(type_name, type_len, "type name") })?;
        let found = lookup(h.open()?.type_schema(name), name)?;
        Ok(view(h.schema.insert(Box::new(found))))
    })
}

/// `binlog_reader_type_schema` for the log the merged reader's last record
/// came from.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_type_schema(
    m: *mut binlog_merged_reader,
    type_name: *const u8,
    type_len: usize,
    out: *mut binlog_type_schema,
) -> binlog_result {
    get_mut(m, "merged reader", out, |h| {
        let name = unsafe { utf8(type_name, type_len, "type name") }?;
        let found = lookup(h.inner.type_schema(name), name)?;
        Ok(view(h.schema.insert(Box::new(found))))
    })
}

/// A copy of the schema found, or `NotFound` naming the type.
fn lookup(found: Option<&TypeSchema>, name: &str) -> CallResult<TypeSchema> {
    let what = format!("type {name:?} has no schema in the segment of the last record");
    Ok(found
        .cloned()
        .ok_or_else(|| Error::new(ErrorKind::NotFound, what))?)
}

/// The C view of a schema the handle holds.
fn view(s: &TypeSchema) -> binlog_type_schema {
    binlog_type_schema {
        type_name: c_bytes(s.type_name.as_bytes()),
        type_len: s.type_name.len(),
        encoding: c_bytes(s.encoding.as_bytes()),
        encoding_len: s.encoding.len(),
        schema_encoding: c_bytes(s.schema_encoding.as_bytes()),
        schema_encoding_len: s.schema_encoding.len(),
        schema_name: c_bytes(s.schema_name.as_bytes()),
        schema_name_len: s.schema_name.len(),
        schema: c_bytes(&s.schema),
        schema_len: s.schema.len(),
    }
}
