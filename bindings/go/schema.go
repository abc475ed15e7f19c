package binlog

/*
#include <binlog.h>
*/
import "C"

import "runtime"

// TypeSchema is a type's schema, recorded in the header of each new
// segment (Options.Schemas) and looked up by readers (Reader.TypeSchema):
// Encoding is how payloads are encoded ("protobuf", "flatbuffer", "json",
// "cbor", "msgpack"); SchemaEncoding what Schema holds ("protobuf": a
// serialized FileDescriptorSet, "flatbuffer": a .bfbs, "jsonschema", or ""
// for none); SchemaName the message (a protobuf message's full name).
type TypeSchema struct {
	Type, Encoding, SchemaEncoding, SchemaName string
	Schema                                     []byte
}

// addSchema declares s in opts. The strings and bytes are pinned: the
// struct passed holds pointers to them.
func addSchema(opts *C.binlog_options, s TypeSchema) C.binlog_result {
	var pin runtime.Pinner
	defer pin.Unpin()
	ptr := func(p *C.uint8_t) *C.uint8_t {
		if p != nil {
			pin.Pin(p)
		}
		return p
	}
	c := C.binlog_type_schema{
		type_name: ptr(strPtr(s.Type)), type_len: C.size_t(len(s.Type)),
		encoding: ptr(strPtr(s.Encoding)), encoding_len: C.size_t(len(s.Encoding)),
		schema_encoding: ptr(strPtr(s.SchemaEncoding)), schema_encoding_len: C.size_t(len(s.SchemaEncoding)),
		schema_name: ptr(strPtr(s.SchemaName)), schema_name_len: C.size_t(len(s.SchemaName)),
		schema: ptr(bytesPtr(s.Schema)), schema_len: C.size_t(len(s.Schema)),
	}
	return C.binlog_options_add_type_schema(opts, &c)
}

// goSchema copies the schema a lookup returned (rc) out of the reader's
// memory; found is false for ErrNotFound, which is no error here.
func goSchema(rc C.binlog_result, c *C.binlog_type_schema, out *TypeSchema, found *bool) C.binlog_result {
	if rc == C.BINLOG_ERR_NOT_FOUND {
		return C.BINLOG_OK
	}
	if rc == C.BINLOG_OK {
		*found = true
		*out = TypeSchema{string(cBytes(c.type_name, c.type_len)), string(cBytes(c.encoding, c.encoding_len)),
			string(cBytes(c.schema_encoding, c.schema_encoding_len)), string(cBytes(c.schema_name, c.schema_name_len)),
			append([]byte(nil), cBytes(c.schema, c.schema_len)...)}
	}
	return rc
}

// TypeSchema returns the schema of type typeName in the header Header
// returns (a record NextBatch held back counts): a segment reader's one
// segment's from the open on; a log reader's, the segment of the last
// record returned or, after a seek, the one the seek landed in. found is
// false when that header has none for the type, or the reader has no
// segment to ask yet (a log reader before its first record or seek).
func (r *Reader) TypeSchema(typeName string) (s TypeSchema, found bool, err error) {
	var c C.binlog_type_schema
	err = r.simple("type schema", func(h *C.binlog_reader) C.binlog_result {
		return goSchema(C.binlog_reader_type_schema(h, strPtr(typeName), C.size_t(len(typeName)), &c), &c, &s, &found)
	})
	return s, found, err
}

// TypeSchema is Reader.TypeSchema for the segment the last merged record
// came from; found is false before the first record, and after
// SeekPosition until the next.
func (r *MergedReader) TypeSchema(typeName string) (s TypeSchema, found bool, err error) {
	var c C.binlog_type_schema
	err = r.call("type schema", func(h *C.binlog_merged_reader) C.binlog_result {
		return goSchema(C.binlog_merged_reader_type_schema(h, strPtr(typeName), C.size_t(len(typeName)), &c), &c, &s, &found)
	})
	return s, found, err
}
