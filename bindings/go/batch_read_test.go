package binlog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// --- helpers ---------------------------------------------------------------

// batchEntries are records of every shape NextBatch must copy: empty and
// non-ASCII type names, 0-byte payloads, payloads up to 3000 bytes,
// metadata with empty values, non-ASCII text and a repeated key, negative
// and zero timestamps.
func batchEntries(n int) []Entry {
	types := []string{"a", "bb", "", "ünï", "order"}
	es := make([]Entry, n)
	for i := range es {
		size := (i * 37) % 650
		switch {
		case i%7 == 0:
			size = 0
		case i%50 == 25:
			size = 3000
		}
		p := make([]byte, size)
		for k := range p {
			p[k] = byte(i + k)
		}
		e := Entry{Type: types[i%len(types)], Payload: p, Time: time.Unix(0, int64(i-10)*1000)}
		switch i % 3 {
		case 0:
			e.Metadata = []KeyValue{{"k" + strconv.Itoa(i), "value-" + strconv.Itoa(i)}, {"z", ""}, {"k" + strconv.Itoa(i), "dup"}}
		case 1:
			if i%2 == 0 {
				e.Metadata = []KeyValue{{"ключ", "значение"}}
			}
		}
		es[i] = e
	}
	return es
}

// writeBatchSegment writes batchEntries(n) (in batches and one by one) to a
// sealed segment and returns its path and the records Next reads from it.
func writeBatchSegment(t testing.TB, n int) (string, []*Record) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "batch.binlog")
	w := mustWriter(t, path, nil)
	es := batchEntries(n)
	for i := 0; i < len(es); {
		if i%40 == 0 {
			k := min(17, len(es)-i)
			_, err := w.WriteBatch(es[i : i+k])
			must(t, err)
			i += k
			continue
		}
		_, err := w.WriteEntry(es[i])
		must(t, err)
		i++
	}
	must(t, w.Close())
	want := readAll(t, mustReader(t, path))
	if len(want) != n {
		t.Fatalf("Next read %d records, want %d", len(want), n)
	}
	return path, want
}

// batchNeed is the buffer a record needs when it comes first in a batch.
func batchNeed(rec *Record) int {
	n := len(rec.Type) + len(rec.Payload) + len(rec.Metadata)*sizeofBatchMeta
	for _, kv := range rec.Metadata {
		n += len(kv.Key) + len(kv.Value)
	}
	return n
}

// checkBatch compares every field and accessor of got with want (read by
// Next from the same segment).
func checkBatch(t testing.TB, where string, got *BatchRecord, want *Record) {
	t.Helper()
	if got.Seq != want.Seq || got.TimestampNs != want.TimestampNs || got.Offset != want.Offset ||
		got.Type != want.Type || !got.Time().Equal(want.Time()) {
		t.Fatalf("%s: got seq %d ts %d offset %d type %q; want seq %d ts %d offset %d type %q", where,
			got.Seq, got.TimestampNs, got.Offset, got.Type, want.Seq, want.TimestampNs, want.Offset, want.Type)
	}
	if got.Payload == nil || !bytes.Equal(got.Payload, want.Payload) || cap(got.Payload) != len(got.Payload) {
		t.Fatalf("%s (seq %d): payload %d bytes (cap %d, nil %v), want %d bytes", where, got.Seq,
			len(got.Payload), cap(got.Payload), got.Payload == nil, len(want.Payload))
	}
	if got.MetaLen() != len(want.Metadata) {
		t.Fatalf("%s (seq %d): MetaLen %d, want %d", where, got.Seq, got.MetaLen(), len(want.Metadata))
	}
	for j, kv := range want.Metadata {
		k, v := got.MetaAt(j)
		if string(k) != kv.Key || string(v) != kv.Value {
			t.Fatalf("%s (seq %d): MetaAt(%d) = %q %q, want %q %q", where, got.Seq, j, k, v, kv.Key, kv.Value)
		}
		wv, _ := want.Meta(kv.Key)
		if v, ok := got.Meta(kv.Key); !ok || string(v) != wv {
			t.Fatalf("%s (seq %d): Meta(%q) = %q %v, want %q", where, got.Seq, kv.Key, v, ok, wv)
		}
	}
	if _, ok := got.Meta("no such key"); ok {
		t.Fatalf("%s (seq %d): Meta of a missing key found one", where, got.Seq)
	}
	md := got.Metadata()
	if (md == nil) != (want.Metadata == nil) || fmt.Sprint(md) != fmt.Sprint(want.Metadata) {
		t.Fatalf("%s (seq %d): Metadata() = %v, want %v", where, got.Seq, md, want.Metadata)
	}
	rec := got.Record()
	if rec.Seq != want.Seq || rec.TimestampNs != want.TimestampNs || rec.Offset != want.Offset ||
		rec.Type != want.Type || rec.Payload == nil || !bytes.Equal(rec.Payload, want.Payload) ||
		fmt.Sprint(rec.Metadata) != fmt.Sprint(want.Metadata) {
		t.Fatalf("%s (seq %d): Record() = %+v, want %+v", where, got.Seq, rec, want)
	}
	if len(rec.Payload) > 0 && &rec.Payload[0] == &got.Payload[0] {
		t.Fatalf("%s (seq %d): Record() shares the buffer", where, got.Seq)
	}
}

// readBatches reads r to io.EOF with NextBatch into a buffer of bufSize
// bytes and batches of at most batch records, checking every record
// against want[from:] (each must come once, in order). It returns the
// number of calls that returned records.
func readBatches(t testing.TB, r *Reader, want []*Record, from, bufSize, batch int) int {
	t.Helper()
	buf := make([]byte, bufSize)
	recs := make([]BatchRecord, batch)
	next, calls := from, 0
	where := fmt.Sprintf("buf %d batch %d", bufSize, batch)
	for {
		n, err := r.NextBatch(buf, recs)
		if err == io.EOF {
			if n != 0 {
				t.Fatalf("%s: io.EOF with n = %d", where, n)
			}
			break
		}
		if err != nil {
			t.Fatalf("%s: NextBatch after %d records: %v", where, next-from, err)
		}
		if n < 1 || n > batch {
			t.Fatalf("%s: NextBatch returned n = %d", where, n)
		}
		calls++
		for i := range recs[:n] {
			if next >= len(want) {
				t.Fatalf("%s: more records than Next read (seq %d)", where, recs[i].Seq)
			}
			checkBatch(t, where, &recs[i], want[next])
			next++
		}
	}
	if next != len(want) {
		t.Fatalf("%s: read %d records, want %d", where, next-from, len(want)-from)
	}
	return calls
}

// --- tests -----------------------------------------------------------------

// TestNextBatchMatchesNext: every field of every record NextBatch returns,
// metadata and 0-byte payloads included, equals what Next returns for the
// same segment, for buffer and batch sizes from one record per call (often
// held back) to the whole segment in one call.
func TestNextBatchMatchesNext(t *testing.T) {
	const n = 300
	path, want := writeBatchSegment(t, n)
	maxNeed, empty, withMeta := 0, 0, 0
	for _, rec := range want {
		maxNeed = max(maxNeed, batchNeed(rec))
		if len(rec.Payload) == 0 {
			empty++
		}
		if len(rec.Metadata) > 0 {
			withMeta++
		}
	}
	if empty < 20 || withMeta < 50 || maxNeed < 3000 {
		t.Fatalf("test data: %d empty payloads, %d with metadata, largest needs %d bytes", empty, withMeta, maxNeed)
	}
	for _, c := range []struct{ buf, batch int }{
		{1 << 20, 1000}, // everything in one call
		{1 << 20, 7},
		{1 << 20, 1},
		{8192, 64},
		{maxNeed, 64}, // the largest record alone fills the buffer
		{maxNeed + 1, 64},
		{maxNeed + 3, 3},
		{maxNeed + 700, 1000},
	} {
		r := mustReader(t, path)
		calls := readBatches(t, r, want, 0, c.buf, c.batch)
		if c.buf == 1<<20 && calls != (n+c.batch-1)/c.batch {
			t.Fatalf("buf %d batch %d: %d calls, want %d", c.buf, c.batch, calls, (n+c.batch-1)/c.batch)
		}
		if c.buf == 8192 && calls > n/4 {
			t.Fatalf("buf 8192: %d calls for %d records", calls, n)
		}
		tail, err := r.Tail()
		must(t, err)
		if tail.Kind != TailSealed {
			t.Fatalf("tail %+v after NextBatch to the end, want sealed", tail)
		}
		buf, recs := make([]byte, 64), make([]BatchRecord, 4)
		for i := 0; i < 2; i++ {
			if k, err := r.NextBatch(buf, recs); k != 0 || err != io.EOF {
				t.Fatalf("NextBatch at the end: %d, %v; want 0, io.EOF", k, err)
			}
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next after NextBatch to the end: %v", err)
		}
	}

	// The exact size: a buffer one byte short of a record fails, with the
	// size in the message; a buffer of exactly its need reads it.
	r := mustReader(t, path)
	buf, recs := make([]byte, maxNeed), make([]BatchRecord, 8)
	for _, want := range want {
		need := batchNeed(want)
		if need != maxNeed && len(want.Metadata) == 0 {
			continue
		}
		must(t, r.SeekSeq(want.Seq))
		if need > 0 {
			_, err := r.NextBatch(buf[:need-1], recs)
			wantCode(t, err, ErrBufferTooSmall)
			if !strings.Contains(err.Error(), "needs a buffer of "+strconv.Itoa(need)+" bytes") {
				t.Fatalf("seq %d: message %q should give the size %d", want.Seq, err, need)
			}
		}
		k, err := r.NextBatch(buf[:need], recs)
		must(t, err)
		if k < 1 {
			t.Fatalf("seq %d: %d records in a buffer of exactly its need", want.Seq, k)
		}
		checkBatch(t, "exact buffer", &recs[0], want)
	}

	// Records in a buffer that is a sub-slice at an odd address (metadata
	// entries are aligned to its start, not to memory).
	r = mustReader(t, path)
	odd := make([]byte, 4096+1)[1:]
	calls := 0
	next := 0
	for {
		k, err := r.NextBatch(odd, recs)
		if err == io.EOF {
			break
		}
		must(t, err)
		calls++
		for i := range recs[:k] {
			checkBatch(t, "odd buffer", &recs[i], want[next])
			next++
		}
	}
	if next != n {
		t.Fatalf("odd buffer: read %d records", next)
	}
}

// TestNextBatchHeldRecords: with small buffers, records that do not fit
// are held back and come first on the next call, whatever that call is;
// nothing is lost or duplicated.
func TestNextBatchHeldRecords(t *testing.T) {
	const n = 300
	path, want := writeBatchSegment(t, n)

	// NextBatch, Next, NextView and ForEach interleaved: each record once,
	// in order.
	r := mustReader(t, path)
	buf, recs := make([]byte, 3100), make([]BatchRecord, 16)
	next, held := 0, 0
	for step := 0; next < n; step++ {
		switch step % 4 {
		case 0, 1:
			k, err := r.NextBatch(buf, recs)
			must(t, err)
			for i := range recs[:k] {
				checkBatch(t, "interleaved", &recs[i], want[next])
				next++
			}
			// Whether a record was held back: the batch stopped short of
			// its capacity while records remain.
			if k < len(recs) && next < n {
				held++
			}
		case 2:
			rec, err := r.Next()
			must(t, err)
			if rec.Seq != want[next].Seq || !bytes.Equal(rec.Payload, want[next].Payload) ||
				fmt.Sprint(rec.Metadata) != fmt.Sprint(want[next].Metadata) {
				t.Fatalf("Next after NextBatch: seq %d, want %d", rec.Seq, want[next].Seq)
			}
			next++
		case 3:
			must(t, r.NextView(func(v View) error {
				rec := v.Record()
				if rec.Seq != want[next].Seq || !bytes.Equal(rec.Payload, want[next].Payload) ||
					rec.Type != want[next].Type || fmt.Sprint(rec.Metadata) != fmt.Sprint(want[next].Metadata) {
					t.Fatalf("NextView after NextBatch: seq %d, want %d", rec.Seq, want[next].Seq)
				}
				return nil
			}))
			next++
		}
	}
	if held < 10 {
		t.Fatalf("only %d batches held a record back", held)
	}
	if k, err := r.NextBatch(buf, recs); k != 0 || err != io.EOF {
		t.Fatalf("at the end: %d, %v", k, err)
	}

	// A batch that held one back, then ForEach: the held one comes first.
	r = mustReader(t, path)
	k, err := r.NextBatch(buf[:1000], recs)
	must(t, err)
	seen := k
	must(t, r.ForEach(func(v View) error {
		if v.Seq != want[seen].Seq {
			t.Fatalf("ForEach after NextBatch: seq %d, want %d", v.Seq, want[seen].Seq)
		}
		seen++
		return nil
	}))
	if seen != n {
		t.Fatalf("NextBatch + ForEach saw %d records", seen)
	}

	// Growing the buffer on ErrBufferTooSmall from 1 byte: every record
	// once, in order.
	r = mustReader(t, path)
	buf = make([]byte, 1)
	next, grown := 0, 0
	for {
		k, err := r.NextBatch(buf, recs)
		if err == io.EOF {
			break
		}
		if err != nil {
			wantCode(t, err, ErrBufferTooSmall)
			buf = make([]byte, 2*len(buf))
			grown++
			continue
		}
		for i := range recs[:k] {
			checkBatch(t, "growing", &recs[i], want[next])
			next++
		}
	}
	if next != n || grown != 12 { // 1 -> 4096 >= 3000+
		t.Fatalf("growing: %d records, grown %d times (buffer %d)", next, grown, len(buf))
	}
}

// TestNextBatchBufferTooSmall: a buffer too small for the next record
// fails with ErrBufferTooSmall, consumes nothing and leaves recs alone; a
// bigger buffer (or Next) then gets that record; a seek drops it.
func TestNextBatchBufferTooSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "small.binlog")
	w := mustWriter(t, path, nil)
	big := bytes.Repeat([]byte("0123456789"), 500)
	_, err := w.Write("small", []byte("s"))
	must(t, err)
	_, err = w.WriteEntry(Entry{Type: "big", Payload: big, Metadata: []KeyValue{{"k", "v"}}})
	must(t, err)
	_, err = w.Write("", nil) // needs 0 bytes: fits even a nil buffer
	must(t, err)
	_, err = w.Write("after", []byte("a"))
	must(t, err)
	must(t, w.Close())
	need := len("big") + len(big) + sizeofBatchMeta + 2
	if uint32(ErrBufferTooSmall) != 21 || ErrBufferTooSmall.Error() != "binlog: buffer too small" {
		t.Fatalf("ErrBufferTooSmall = %d %q", uint32(ErrBufferTooSmall), ErrBufferTooSmall.Error())
	}
	want := readAll(t, mustReader(t, path))

	r := mustReader(t, path)
	buf := make([]byte, 1024)
	recs := make([]BatchRecord, 4)
	n, err := r.NextBatch(buf, recs)
	must(t, err)
	if n != 1 || recs[0].Seq != 0 || string(recs[0].Payload) != "s" {
		t.Fatalf("first batch: %d records, seq %d", n, recs[0].Seq)
	}
	sentinel := BatchRecord{Seq: 12345}
	recs[0] = sentinel
	for i := 0; i < 3; i++ { // nothing consumed: the same error every time
		n, err = r.NextBatch(buf, recs)
		wantCode(t, err, ErrBufferTooSmall)
		if n != 0 || recs[0].Seq != sentinel.Seq {
			t.Fatalf("a failed NextBatch returned %d and wrote recs[0] (seq %d)", n, recs[0].Seq)
		}
		msg := err.Error()
		if !strings.Contains(msg, "next batch") || !strings.Contains(msg, "needs a buffer of "+strconv.Itoa(need)+" bytes") {
			t.Fatalf("message %q should name the op and the size %d", msg, need)
		}
	}
	_, err = r.NextBatch(nil, recs)
	wantCode(t, err, ErrBufferTooSmall)
	tail, err := r.Tail()
	must(t, err)
	if tail.Kind != TailReading {
		t.Fatalf("tail with a record held: %+v", tail)
	}

	// A bigger buffer gets that record, then the rest.
	bigger := make([]byte, need)
	n, err = r.NextBatch(bigger, recs)
	must(t, err)
	if n != 1 {
		t.Fatalf("bigger buffer: %d records, want 1 (the next one is held)", n)
	}
	checkBatch(t, "bigger buffer", &recs[0], want[1])
	// Seq 2 is empty: a nil buffer holds it, with a non-nil Payload.
	n, err = r.NextBatch(nil, recs)
	must(t, err)
	if n != 1 || recs[0].Seq != 2 {
		t.Fatalf("nil buffer: %d records, seq %d", n, recs[0].Seq)
	}
	checkBatch(t, "nil buffer", &recs[0], want[2])
	n, err = r.NextBatch(buf, recs)
	must(t, err)
	if n != 1 {
		t.Fatalf("last batch: %d records", n)
	}
	checkBatch(t, "last", &recs[0], want[3])
	if n, err := r.NextBatch(buf, recs); n != 0 || err != io.EOF {
		t.Fatalf("end: %d %v", n, err)
	}

	// Next returns a record NextBatch could not take.
	r = mustReader(t, path)
	must(t, r.SeekSeq(1))
	_, err = r.NextBatch(buf, recs)
	wantCode(t, err, ErrBufferTooSmall)
	rec, err := r.Next()
	must(t, err)
	if rec.Seq != 1 || !bytes.Equal(rec.Payload, big) {
		t.Fatalf("Next after ErrBufferTooSmall: seq %d", rec.Seq)
	}

	// A seek drops a held record: reading resumes where the seek says.
	_, err = r.NextBatch(buf[:8], recs) // seq 2 fits: held is seq 3
	must(t, err)
	must(t, r.SeekSeq(1))
	_, err = r.NextBatch(buf, recs)
	wantCode(t, err, ErrBufferTooSmall)
	must(t, r.SeekSeq(3))
	n, err = r.NextBatch(bigger, recs)
	must(t, err)
	if n != 1 || recs[0].Seq != 3 {
		t.Fatalf("after seek: %d records, seq %d", n, recs[0].Seq)
	}
	// A type filter applies from where the reader is: the held record (of
	// a type it excludes) is not returned.
	must(t, r.SeekSeq(0))
	_, err = r.NextBatch(buf[:1], recs) // seq 0 needs 6 bytes
	wantCode(t, err, ErrBufferTooSmall)
	must(t, r.FilterTypes("after"))
	n, err = r.NextBatch(buf[:8], recs)
	must(t, err)
	if n != 1 || recs[0].Seq != 3 || recs[0].Type != "after" {
		t.Fatalf("after filter: %d records, seq %d type %q", n, recs[0].Seq, recs[0].Type)
	}
}

// TestNextBatchFilterAndDamage: a type filter applies to batches; an error
// comes after the records before it, naming the file and offset.
func TestNextBatchFilterAndDamage(t *testing.T) {
	const n = 300
	path, want := writeBatchSegment(t, n)
	r := mustReader(t, path)
	must(t, r.FilterTypes("bb", "ünï"))
	var filtered []*Record
	for _, rec := range want {
		if rec.Type == "bb" || rec.Type == "ünï" {
			filtered = append(filtered, rec)
		}
	}
	readBatches(t, r, filtered, 0, 1<<16, 32)

	// Changing the filter between batches skips nothing: a record held back
	// that the new filter passes comes next.
	r = mustReader(t, path)
	must(t, r.FilterTypes("bb"))
	buf, recs := make([]byte, 1500), make([]BatchRecord, 64)
	k, err := r.NextBatch(buf, recs)
	must(t, err)
	if k < 2 || k == len(recs) {
		t.Fatalf("filtered batch: %d records; want some, and one held back", k)
	}
	last := recs[k-1].Seq
	must(t, r.FilterTypes())
	held, err := r.Next()
	must(t, err)
	if held.Type != "bb" || held.Seq <= last {
		t.Fatalf("after changing the filter: seq %d type %q; want the held-back \"bb\" record after %d", held.Seq, held.Type, last)
	}
	must(t, r.SeekSeq(held.Seq+1))
	readBatches(t, r, want, int(held.Seq)+1, 1<<16, 32)

	// Damage the 11th record: a batch returns the 10 before it, the next
	// call the error.
	bad := filepath.Join(t.TempDir(), "bad.binlog")
	data, err := os.ReadFile(path)
	must(t, err)
	data[want[10].Offset+12] ^= 0x40
	must(t, os.WriteFile(bad, data, 0o644))
	r = mustReader(t, bad)
	buf = make([]byte, 1<<20)
	k, err = r.NextBatch(buf, recs)
	must(t, err)
	if k != 10 {
		t.Fatalf("batch before the damage: %d records, want 10", k)
	}
	for i := range recs[:k] {
		checkBatch(t, "before damage", &recs[i], want[i])
	}
	_, err = r.NextBatch(buf, recs)
	wantCode(t, err, ErrCorrupt)
	if !strings.Contains(err.Error(), "bad.binlog") || !strings.Contains(err.Error(), strconv.FormatUint(want[10].Offset, 10)) {
		t.Fatalf("message %q should name the file and offset %d", err, want[10].Offset)
	}
}

// TestNextBatchRollingLog: a log read in batches across its segments, by a
// log reader and a glob; then a live log followed with NextBatchWait while
// the writer rolls.
func TestNextBatchRollingLog(t *testing.T) {
	const total = 2550
	dir := t.TempDir()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 100})
	must(t, err)
	payload := func(i int) []byte { return []byte(fmt.Sprintf("record %06d", i)) }
	es := make([]Entry, 0, 50)
	for i := 0; i < total; i++ {
		e := Entry{Type: "o", Payload: payload(i)}
		if i%5 == 0 {
			e.Metadata = []KeyValue{{"i", strconv.Itoa(i)}}
		}
		es = append(es, e)
		if len(es) == cap(es) || i == total-1 {
			_, err := w.WriteBatch(es)
			must(t, err)
			es = es[:0]
		}
	}
	must(t, w.Close())
	files, err := filepath.Glob(filepath.Join(dir, "orders-*.binlog"))
	must(t, err)
	if len(files) < total/100 {
		t.Fatalf("%d segments", len(files))
	}
	lr, err := OpenLogReader(dir, "orders")
	must(t, err)
	want := readAll(t, lr)
	must(t, lr.Close())
	if len(want) != total {
		t.Fatalf("Next read %d records of the log", len(want))
	}
	for i, rec := range want {
		if rec.Seq != uint64(i) || !bytes.Equal(rec.Payload, payload(i)) {
			t.Fatalf("Next: record %d has seq %d", i, rec.Seq)
		}
	}
	for _, open := range []func() (*Reader, error){
		func() (*Reader, error) { return OpenLogReader(dir, "orders") },
		func() (*Reader, error) { return OpenGlob(dir, "orders-*.binlog") },
	} {
		for _, c := range []struct{ buf, batch int }{{1 << 16, 64}, {1 << 20, 4096}, {100, 16}} {
			r, err := open()
			must(t, err)
			calls := readBatches(t, r, want, 0, c.buf, c.batch)
			if c.buf >= 1<<16 && calls > total/c.batch+len(files) {
				t.Fatalf("buf %d batch %d: %d calls for %d records in %d segments", c.buf, c.batch, calls, total, len(files))
			}
			gaps, err := r.GapCount()
			must(t, err)
			if gaps != 0 {
				t.Fatalf("%d gaps", gaps)
			}
			must(t, r.Close())
		}
	}

	// Live: NextBatchWait follows the writer as it rolls.
	const live = 600
	w, err = OpenLog(dir, "live", &Options{MaxSegmentRecords: 25, BufferSize: Unbuffered})
	must(t, err)
	defer w.Close()
	r, err := OpenLogReader(dir, "live")
	must(t, err)
	defer r.Close()
	buf, recs := make([]byte, 4096), make([]BatchRecord, 64)
	start := time.Now()
	if n, err := r.NextBatchWait(buf, recs, 150*time.Millisecond); n != 0 || err != io.EOF {
		t.Fatalf("NextBatchWait on an idle log: %d, %v; want 0, io.EOF", n, err)
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Fatalf("idle NextBatchWait returned after %v, before its timeout", d)
	}
	errc := writeLive(t, w, live)
	next, calls := 0, 0
	for next < live {
		n, err := r.NextBatchWait(buf, recs, 10*time.Second)
		if err != nil {
			t.Fatalf("NextBatchWait for record %d: %v", next, err)
		}
		calls++
		for i := range recs[:n] {
			if recs[i].Seq != uint64(next) || string(recs[i].Payload) != strconv.Itoa(next) || recs[i].Type != "e" {
				t.Fatalf("record %d: seq %d payload %q", next, recs[i].Seq, recs[i].Payload)
			}
			next++
		}
	}
	for err := range errc {
		t.Fatal(err)
	}
	start = time.Now()
	if n, err := r.NextBatchWait(buf, recs, 120*time.Millisecond); n != 0 || err != io.EOF {
		t.Fatalf("NextBatchWait after the last record: %d, %v", n, err)
	}
	if d := time.Since(start); d < 110*time.Millisecond {
		t.Fatalf("NextBatchWait returned after %v, before its timeout", d)
	}
	t.Logf("live: %d records in %d NextBatchWait calls", live, calls)
}

// TestNextBatchClosed: NextBatch and NextBatchWait on a closed reader fail
// with ErrClosed; Close ends a NextBatchWait in progress; an empty recs is
// an invalid argument.
func TestNextBatchClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "closed.binlog")
	w := mustWriter(t, path, nil)
	defer w.Close()
	_, err := w.Write("t", []byte("x"))
	must(t, err)
	must(t, w.Flush())
	r, err := OpenReader(path)
	must(t, err)
	buf, recs := make([]byte, 256), make([]BatchRecord, 4)
	_, err = r.NextBatch(buf, nil)
	wantCode(t, err, ErrInvalidArgument)
	_, err = r.NextBatchWait(buf, recs[:0], time.Second)
	wantCode(t, err, ErrInvalidArgument)
	n, err := r.NextBatch(buf, recs)
	must(t, err)
	if n != 1 {
		t.Fatalf("%d records", n)
	}

	closeEndsWait(t, r, "NextBatchWait", func() error {
		_, err := r.NextBatchWait(buf, recs, time.Hour)
		return err
	})
	_, err = r.NextBatch(buf, recs)
	wantCode(t, err, ErrClosed)
	_, err = r.NextBatchWait(buf, recs, 0)
	wantCode(t, err, ErrClosed)
	must(t, r.Close())
}

// TestNextBatchAllocs: reusing the buffer and records, a steady-state
// NextBatch allocates nothing, metadata included.
func TestNextBatchAllocs(t *testing.T) {
	const batch, runs = 32, 50
	path := filepath.Join(t.TempDir(), "allocs.binlog")
	w := mustWriter(t, path, nil)
	es := make([]Entry, batch*(runs+5))
	for i := range es {
		es[i] = Entry{Type: []string{"tick", "tock", "other"}[i%3], Payload: make([]byte, 40)}
		if i%2 == 0 {
			es[i].Metadata = []KeyValue{{"k", "v"}}
		}
	}
	_, err := w.WriteBatch(es)
	must(t, err)
	must(t, w.Close())
	r := mustReader(t, path)
	buf, recs := make([]byte, 1<<16), make([]BatchRecord, batch)
	sum := 0
	read := func() {
		n, err := r.NextBatch(buf, recs)
		if err != nil || n != batch {
			t.Fatalf("NextBatch: %d, %v", n, err)
		}
		for i := range recs[:n] {
			sum += len(recs[i].Payload) + len(recs[i].Type)
			if recs[i].MetaLen() > 0 {
				v, _ := recs[i].Meta("k")
				sum += len(v)
			}
		}
	}
	read() // interns the type names
	if a := testing.AllocsPerRun(runs, read); a != 0 {
		t.Fatalf("NextBatch of %d records: %v allocations per call, want 0", batch, a)
	}
	if sum == 0 {
		t.Fatal("read nothing")
	}
}

// --- benchmarks ------------------------------------------------------------

// BenchmarkReadBatchVsNext32B reads 32-byte records (one op is one record)
// with Next (a Record allocated per call), NextInto (reused), and NextBatch
// with batches of 16, 256 and 1024 records into a reused 64 KiB buffer.
func BenchmarkReadBatchVsNext32B(b *testing.B) {
	perRecord := func(b *testing.B) {
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
		reportRecords(b)
	}
	b.Run("Next", func(b *testing.B) {
		r := mustReader(b, benchReadSetup(b))
		b.SetBytes(32)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := r.Next(); err != nil {
				b.Fatal(err)
			}
		}
		perRecord(b)
	})
	b.Run("NextInto", func(b *testing.B) {
		r := mustReader(b, benchReadSetup(b))
		b.SetBytes(32)
		b.ReportAllocs()
		b.ResetTimer()
		var rec Record
		for i := 0; i < b.N; i++ {
			if err := r.NextInto(&rec); err != nil {
				b.Fatal(err)
			}
		}
		perRecord(b)
	})
	for _, batch := range []int{16, 256, 1024} {
		b.Run("NextBatch"+strconv.Itoa(batch), func(b *testing.B) {
			r := mustReader(b, benchReadSetup(b))
			buf, recs := make([]byte, 64<<10), make([]BatchRecord, batch)
			b.SetBytes(32)
			b.ReportAllocs()
			b.ResetTimer()
			sum := 0
			for done := 0; done < b.N; {
				n, err := r.NextBatch(buf, recs[:min(batch, b.N-done)])
				if err != nil {
					b.Fatal(err)
				}
				for i := range recs[:n] {
					sum += len(recs[i].Payload)
				}
				done += n
			}
			perRecord(b)
			if sum != 32*b.N {
				b.Fatalf("read %d bytes", sum)
			}
		})
	}
}
