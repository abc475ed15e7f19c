package binlog

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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

// A rolling log's compressed segments read the same with their frames
// decompressed ahead on 3 threads as on the reader's own (0): every
// record written (seq, time, type, payload, metadata, offset), whole and
// after a seek to the middle. A negative count is ErrInvalidArgument, a
// closed reader ErrClosed.
func TestDecodeThreadsReadTheRecordsTheReadersOwnThreadReads(t *testing.T) {
	dir := t.TempDir()
	written := writeCompressedLog(t, dir, "z")
	read := func(threads int, seek uint64) []*Record {
		r, err := OpenLogReader(dir, "z")
		must(t, err)
		defer r.Close()
		must(t, r.SetDecodeThreads(threads))
		if seek != 0 {
			must(t, r.SeekSeq(seek))
		}
		return readAll(t, r)
	}
	own := read(0, 0)
	if len(own) != len(written) {
		t.Fatalf("%d records read, %d written", len(own), len(written))
	}
	for i, rec := range own {
		e := written[i]
		if rec.Seq != uint64(i) || rec.Type != e.Type || string(rec.Payload) != string(e.Payload) ||
			!reflect.DeepEqual(rec.Metadata, e.Metadata) {
			t.Fatalf("record %d: %+v, written %+v", i, rec, e)
		}
	}
	if ahead := read(3, 0); !reflect.DeepEqual(ahead, own) {
		t.Fatalf("3 threads: %d records, 0 threads: %d; first differing: %+v", len(ahead), len(own), firstDiff(ahead, own))
	}
	mid := own[len(own)/2].Seq
	for _, threads := range []int{0, 3} {
		if got := read(threads, mid); !reflect.DeepEqual(got, own[len(own)/2:]) {
			t.Fatalf("%d threads after SeekSeq(%d): %d records, want %d; first differing: %+v",
				threads, mid, len(got), len(own)-len(own)/2, firstDiff(got, own[len(own)/2:]))
		}
	}

	// The setting reaches the library: its decoding threads run mid-scan.
	r, err := OpenLogReader(dir, "z")
	must(t, err)
	must(t, r.SetDecodeThreads(3))
	for i := 0; i < 100; i++ {
		_, err := r.Next()
		must(t, err)
	}
	if n := decodingThreads(t); n == 0 {
		t.Fatal("no binlog-decode thread while a scan with 3 decode threads is under way")
	}
	wantCode(t, r.SetDecodeThreads(-1), ErrInvalidArgument)
	must(t, r.Close())
	wantCode(t, r.SetDecodeThreads(2), ErrClosed)
}

// writeCompressedLog writes log name in dir in segments of 400 records,
// compressed in frames of about 4 KiB, until at least 3 of its 5 segments
// are compressed, and closes it; returns the records written (seq i is
// entry i). Payloads vary in size and content, one record in three has
// metadata.
func writeCompressedLog(t *testing.T, dir, name string) []Entry {
	t.Helper()
	w, err := OpenLog(dir, name, &Options{MaxSegmentRecords: 400, Compression: &Compression{FrameSize: 4 << 10}})
	must(t, err)
	defer w.Close()
	var written []Entry
	for i := 0; i < 2000; i++ {
		e := Entry{
			Type:    []string{"order", "fill", "cancel"}[i%3],
			Payload: []byte(strings.Repeat(fmt.Sprintf("payload %d;", i*7919%10007), 1+i%23)),
		}
		if i%3 == 1 {
			e.Metadata = []KeyValue{{Key: "n", Value: fmt.Sprint(i)}, {Key: "k", Value: "v"}}
		}
		_, err := w.WriteEntry(e)
		must(t, err)
		written = append(written, e)
	}
	deadline := time.Now().Add(30 * time.Second)
	for compressedSegments(t, dir, name) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d segments compressed after 30 s, want 3", compressedSegments(t, dir, name))
		}
		time.Sleep(10 * time.Millisecond)
	}
	must(t, w.Close())
	return written
}

// decodingThreads counts this process's threads named binlog-decode (the
// library's decode-ahead pool).
func decodingThreads(t *testing.T) int {
	comms, err := filepath.Glob("/proc/self/task/*/comm")
	if err != nil || len(comms) == 0 {
		t.Skipf("no /proc/self/task: %v", err)
	}
	n := 0
	for _, c := range comms {
		if b, err := os.ReadFile(c); err == nil && strings.TrimSpace(string(b)) == "binlog-decode" {
			n++
		}
	}
	return n
}

func compressedSegments(t *testing.T, dir, name string) int {
	segs, err := ListSegments(dir, name)
	must(t, err)
	n := 0
	for _, s := range segs {
		if s.Compressed {
			n++
		}
	}
	return n
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
