package binlog

import (
	"reflect"
	"testing"
)

// A compressed segment (.binlog.zst) reads through the binding as the plain
// segment it came from: the golden tests/vectors/sealed-basic.binlog.zst
// gives sealed-basic.binlog's records, all of them, after a seek and
// through a type filter.
func TestCompressedSegmentReadsAsThePlainOne(t *testing.T) {
	const plain = "../../tests/vectors/sealed-basic.binlog"
	const compressed = plain + ".zst"
	want := readAll(t, mustReader(t, plain))
	if len(want) < 4 {
		t.Fatalf("%d records in %s", len(want), plain)
	}
	if got := readAll(t, mustReader(t, compressed)); !reflect.DeepEqual(got, want) {
		t.Fatalf("compressed: %d records, plain: %d; first differing: %+v", len(got), len(want), firstDiff(got, want))
	}
	mid := want[len(want)/2].Seq
	r := mustReader(t, compressed)
	must(t, r.SeekSeq(mid))
	if got := readAll(t, r); !reflect.DeepEqual(got, want[len(want)/2:]) {
		t.Fatalf("after SeekSeq(%d): %d records", mid, len(got))
	}
	typ := want[1].Type
	var ofType []*Record
	for _, rec := range want {
		if rec.Type == typ {
			ofType = append(ofType, rec)
		}
	}
	r = mustReader(t, compressed)
	must(t, r.FilterTypes(typ))
	if got := readAll(t, r); !reflect.DeepEqual(got, ofType) || len(ofType) == len(want) {
		t.Fatalf("FilterTypes(%q): %d records, want %d of %d", typ, len(got), len(ofType), len(want))
	}
}

func firstDiff(a, b []*Record) [2]*Record {
	for i := range a {
		if i >= len(b) || !reflect.DeepEqual(a[i], b[i]) {
			if i < len(b) {
				return [2]*Record{a[i], b[i]}
			}
			return [2]*Record{a[i], nil}
		}
	}
	return [2]*Record{}
}
