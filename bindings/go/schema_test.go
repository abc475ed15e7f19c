package binlog

import (
	"path/filepath"
	"reflect"
	"testing"
)

// descriptorSet is a FileDescriptorSet declaring shop.Order (with a nested
// Line), encoded by hand as src/format/schema.rs's tests encode it.
var descriptorSet = []byte("\x0a\x17\x12\x04shop\x22\x0f\x0a\x05Order\x1a\x06\x0a\x04Line")

var testSchemas = []TypeSchema{
	{Type: "orders", Encoding: "protobuf", SchemaEncoding: "protobuf", SchemaName: "shop.Order", Schema: descriptorSet},
	{Type: "events", Encoding: "json", SchemaEncoding: "jsonschema", Schema: []byte(`{"type": "object"}`)},
	{Type: "metrics", Encoding: "cbor"},
}

func TestTypeSchemasWrittenAreReadBackAndATypeWithoutOneHasNone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.binlog")
	w := mustWriter(t, path, &Options{Schemas: testSchemas})
	for _, typ := range []string{"orders", "events", "metrics", "plain"} {
		_, err := w.Write(typ, []byte("x"))
		must(t, err)
	}
	must(t, w.Close())
	r := mustReader(t, path)
	readAll(t, r)
	for _, want := range testSchemas {
		got, found, err := r.TypeSchema(want.Type)
		must(t, err)
		if !found || !reflect.DeepEqual(got, want) {
			t.Fatalf("TypeSchema(%q) = %+v, %v; want %+v", want.Type, got, found, want)
		}
	}
	if s, found, err := r.TypeSchema("plain"); found || err != nil {
		t.Fatalf("TypeSchema(plain) = %+v, %v, %v; want not found", s, found, err)
	}
}

func TestAMergedReaderGivesTheSchemaOfTheLastRecordsLog(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "a", &Options{Schemas: testSchemas[1:2]})
	must(t, err)
	_, err = w.Write("events", []byte("{}"))
	must(t, err)
	must(t, w.Close())
	r, err := OpenMergedReader(dir, "", "*")
	must(t, err)
	defer r.Close()
	_, err = r.Next()
	must(t, err)
	got, found, err := r.TypeSchema("events")
	must(t, err)
	if !found || !reflect.DeepEqual(got, testSchemas[1]) {
		t.Fatalf("merged TypeSchema(events) = %+v, %v", got, found)
	}
}

func TestAnUnusableSchemaIsErrInvalidSchemaNamingTheType(t *testing.T) {
	for _, bad := range []TypeSchema{
		{Type: "orders", Encoding: "yaml"},
		{Type: "orders", Encoding: "protobuf", SchemaEncoding: "protobuf", SchemaName: "shop.Refund", Schema: descriptorSet},
	} {
		_, err := OpenWriter(filepath.Join(t.TempDir(), "s.binlog"), &Options{Schemas: []TypeSchema{bad}})
		wantErr(t, bad.Encoding, err, ErrInvalidSchema, `"orders"`)
	}
}

// Before its first record a segment reader asks its one segment's header;
// a log reader and a merged reader have no segment to ask until a record
// (or, for a log reader, a seek).
func TestBeforeTheFirstRecordOnlyASegmentReaderFindsASchema(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "a", &Options{Schemas: testSchemas[1:2]})
	must(t, err)
	_, err = w.Write("events", []byte("{}"))
	must(t, err)
	must(t, w.Close())
	found := func(lookup func(string) (TypeSchema, bool, error)) bool {
		_, found, err := lookup("events")
		must(t, err)
		return found
	}
	segments, err := filepath.Glob(filepath.Join(dir, "*.binlog"))
	if err != nil || len(segments) != 1 {
		t.Fatalf("the log's segments: %v, %v", segments, err)
	}
	if !found(mustReader(t, segments[0]).TypeSchema) {
		t.Fatal("a segment reader before its first record: not found")
	}
	l, err := OpenLogReader(dir, "a")
	must(t, err)
	defer l.Close()
	m, err := OpenMergedReader(dir, "", "")
	must(t, err)
	defer m.Close()
	if found(l.TypeSchema) || found(m.TypeSchema) {
		t.Fatal("a log or a merged reader before its first record: found")
	}
	must(t, l.SeekSeq(0))
	if !found(l.TypeSchema) {
		t.Fatal("a log reader after a seek: not found")
	}
}
