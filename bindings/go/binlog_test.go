package binlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// --- tests -----------------------------------------------------------------

func TestVersion(t *testing.T) {
	v := Version()
	want := fmt.Sprintf("%d.%d.%d", HeaderVersionMajor, HeaderVersionMinor, HeaderVersionPatch)
	if v != want {
		t.Fatalf("Version() = %q, header says %q", v, want)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rt.binlog")
	w := mustWriter(t, path, &Options{
		LogName:     "rt",
		ContentType: "application/test",
		Params:      []KeyValue{{"host", "h1"}, {"zone", "ünïcode"}},
	})
	before := time.Now().UnixNano()
	ts := time.Date(2024, 2, 29, 12, 0, 0, 123456789, time.UTC)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000) // pinned, not copied
	want := []Record{
		{Type: "order", Payload: []byte(`{"id":42}`)},
		{Type: "", Payload: []byte{}},
		{Type: "empty", Payload: []byte{}},
		{Type: "meta", Payload: []byte("p"), TimestampNs: ts.UnixNano(),
			Metadata: []KeyValue{{"k", "v"}, {"empty", ""}, {"ключ", "значение"}, {"k", "dup"}}},
		{Type: "epoch", Payload: []byte{0, 1, 2, 0}, TimestampNs: 0},
		{Type: "negative", Payload: nil, TimestampNs: -1_000_000_000},
		{Type: "big", Payload: big, TimestampNs: ts.UnixNano() + 1},
	}
	for i, rec := range want {
		var seq uint64
		var err error
		switch rec.Type {
		case "order", "", "empty":
			seq, err = w.Write(rec.Type, rec.Payload)
		default:
			seq, err = w.WriteEntry(Entry{Type: rec.Type, Payload: rec.Payload, Metadata: rec.Metadata,
				Time: time.Unix(0, rec.TimestampNs)})
		}
		must(t, err)
		if seq != uint64(i) {
			t.Fatalf("record %d got seq %d", i, seq)
		}
	}
	must(t, w.Close())
	after := time.Now().UnixNano()

	check := func(i int, got *Record) {
		t.Helper()
		exp := want[i]
		if got.Seq != uint64(i) || got.Type != exp.Type || !bytes.Equal(got.Payload, exp.Payload) || got.Payload == nil {
			t.Fatalf("record %d: got seq %d type %q payload %d bytes; want type %q, %d bytes",
				i, got.Seq, got.Type, len(got.Payload), exp.Type, len(exp.Payload))
		}
		if i < 3 {
			// The library's clock may read up to 1 us off the system's
			// (README, "Timestamps").
			if got.TimestampNs < before-1000 || got.TimestampNs > after+1000 {
				t.Fatalf("record %d: timestamp %d not in [%d, %d]", i, got.TimestampNs, before, after)
			}
		} else if got.TimestampNs != exp.TimestampNs {
			t.Fatalf("record %d: timestamp %d, want %d", i, got.TimestampNs, exp.TimestampNs)
		}
		if len(got.Metadata) != len(exp.Metadata) {
			t.Fatalf("record %d: metadata %v, want %v", i, got.Metadata, exp.Metadata)
		}
		for j := range exp.Metadata {
			if got.Metadata[j] != exp.Metadata[j] {
				t.Fatalf("record %d: metadata %v, want %v", i, got.Metadata, exp.Metadata)
			}
		}
	}

	r := mustReader(t, path)
	got := readAll(t, r)
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range got {
		check(i, got[i])
	}
	if v, ok := got[3].Meta("k"); !ok || v != "v" {
		t.Fatalf("Meta(k) = %q, %v", v, ok)
	}
	if !got[3].Time().Equal(ts) {
		t.Fatalf("Time() = %v, want %v", got[3].Time(), ts)
	}
	tail, err := r.Tail()
	must(t, err)
	if tail.Kind != TailSealed {
		t.Fatalf("tail %+v, want sealed", tail)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next at end: %v, want io.EOF", err)
	}

	// The same through zero-copy views.
	r2 := mustReader(t, path)
	i := 0
	must(t, r2.ForEach(func(v View) error {
		rec := v.Record()
		check(i, rec)
		if v.MetaLen() != len(want[i].Metadata) {
			t.Fatalf("view %d: MetaLen %d", i, v.MetaLen())
		}
		for j := 0; j < v.MetaLen(); j++ {
			k, val := v.MetaAt(j)
			if string(k) != want[i].Metadata[j].Key || string(val) != want[i].Metadata[j].Value {
				t.Fatalf("view %d: MetaAt(%d) = %q %q", i, j, k, val)
			}
		}
		if i == 3 {
			if val, ok := v.Meta("ключ"); !ok || string(val) != "значение" {
				t.Fatalf("View.Meta = %q %v", val, ok)
			}
		}
		i++
		return nil
	}))
	if i != len(want) {
		t.Fatalf("ForEach saw %d records", i)
	}

	// NextView, and a callback error stops ForEach.
	r3 := mustReader(t, path)
	must(t, r3.NextView(func(v View) error {
		if v.Seq != 0 || string(v.Payload) != `{"id":42}` {
			t.Fatalf("NextView: %d %q", v.Seq, v.Payload)
		}
		return nil
	}))
	stop := errors.New("stop")
	n := 0
	if err := r3.ForEach(func(v View) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("ForEach returned %v after %d calls, want stop after 1", err, n)
	}
	rec, err := r3.Next()
	must(t, err)
	if rec.Seq != 2 {
		t.Fatalf("after a stopped ForEach Next gave seq %d, want 2", rec.Seq)
	}

	// NextInto reuses the payload buffer.
	r4 := mustReader(t, path)
	var into Record
	for k := range want {
		must(t, r4.NextInto(&into))
		check(k, &into)
	}
	if err := r4.NextInto(&into); err != io.EOF {
		t.Fatalf("NextInto at end: %v", err)
	}
}

func TestWriteBatch100k(t *testing.T) {
	const n = 100_000
	path := filepath.Join(t.TempDir(), "batch.binlog")
	w := mustWriter(t, path, nil)
	es := make([]Entry, n)
	payload := func(i int) []byte {
		size := 8 + i%40
		if i%1000 == 7 {
			size = 3000 // passed in place (pinned)
		}
		b := make([]byte, size)
		binary.LittleEndian.PutUint64(b, uint64(i))
		for j := 8; j < size; j++ {
			b[j] = byte(i + j)
		}
		return b
	}
	types := []string{"tick", "tick", "tick", "trade", "quote"}
	for i := range es {
		es[i] = Entry{Type: types[i%len(types)], Payload: payload(i)}
		if i%100 == 0 {
			es[i].Metadata = []KeyValue{{"i", fmt.Sprint(i)}}
		}
		if i%3 == 0 {
			es[i].Time = time.Unix(0, int64(i))
		}
	}
	first, err := w.WriteBatch(es)
	must(t, err)
	if first != 0 {
		t.Fatalf("first seq %d", first)
	}
	next, err := w.NextSeq()
	must(t, err)
	if next != n {
		t.Fatalf("NextSeq %d, want %d", next, n)
	}
	// A second batch continues the sequence.
	first, err = w.WriteBatch(es[:10])
	must(t, err)
	if first != n {
		t.Fatalf("second batch first seq %d", first)
	}
	if first, err := w.WriteBatch(nil); err != nil || first != n+10 {
		t.Fatalf("empty batch: %d %v", first, err)
	}
	must(t, w.Close())

	r := mustReader(t, path)
	count := 0
	must(t, r.ForEach(func(v View) error {
		i := count % n
		if v.Seq != uint64(count) || v.Type != es[i].Type || !bytes.Equal(v.Payload, es[i].Payload) {
			t.Fatalf("record %d: seq %d type %q payload %d bytes", count, v.Seq, v.Type, len(v.Payload))
		}
		if i%3 == 0 && v.TimestampNs != int64(i) {
			t.Fatalf("record %d: timestamp %d", count, v.TimestampNs)
		}
		if val, ok := v.Meta("i"); ok != (i%100 == 0) || (ok && string(val) != fmt.Sprint(i)) {
			t.Fatalf("record %d: metadata %q %v", count, val, ok)
		}
		count++
		return nil
	}))
	if count != n+10 {
		t.Fatalf("read %d records, want %d", count, n+10)
	}
	// And with copies.
	r2 := mustReader(t, path)
	recs := readAll(t, r2)
	if len(recs) != n+10 || !bytes.Equal(recs[n-1].Payload, es[n-1].Payload) {
		t.Fatalf("Next read %d records", len(recs))
	}
}

func TestWriteV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.binlog")
	w := mustWriter(t, path, nil)
	big := bytes.Repeat([]byte{0xAB}, 5000)
	cases := [][][]byte{
		{[]byte("hello"), nil, []byte(", "), {}, []byte("world")},
		{big, []byte("tail"), big[:1500]},
		{},
		{[]byte("one")},
	}
	for i, parts := range cases {
		seq, err := w.WriteV("v", parts...)
		must(t, err)
		if seq != uint64(i) {
			t.Fatalf("seq %d, want %d", seq, i)
		}
	}
	// Parts through WriteEntry and WriteBatch too.
	_, err := w.WriteEntry(Entry{Type: "e", Parts: cases[1], Payload: []byte("ignored")})
	must(t, err)
	_, err = w.WriteBatch([]Entry{{Type: "b", Parts: cases[0]}, {Type: "b", Payload: []byte("plain")}})
	must(t, err)
	must(t, w.Close())

	want := [][]byte{}
	for _, parts := range cases {
		want = append(want, bytes.Join(parts, nil))
	}
	want = append(want, bytes.Join(cases[1], nil), bytes.Join(cases[0], nil), []byte("plain"))
	recs := readAll(t, mustReader(t, path))
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, rec := range recs {
		if !bytes.Equal(rec.Payload, want[i]) {
			t.Fatalf("record %d: payload %q..., want %q...", i, trunc(rec.Payload), trunc(want[i]))
		}
	}
}

func trunc(b []byte) []byte {
	if len(b) > 20 {
		return b[:20]
	}
	return b
}

func TestConcurrentWriters(t *testing.T) {
	const goroutines, perG = 8, 5000
	path := filepath.Join(t.TempDir(), "conc.binlog")
	w := mustWriter(t, path, &Options{BufferSize: 4096})
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rec := func(i int) []byte {
				b := make([]byte, 8)
				binary.LittleEndian.PutUint32(b, uint32(g))
				binary.LittleEndian.PutUint32(b[4:], uint32(i))
				return b
			}
			for i := 0; i < perG; {
				switch {
				case i%50 == 0 && i+10 <= perG: // a batch of 10
					es := make([]Entry, 10)
					for k := range es {
						es[k] = Entry{Type: "g", Payload: rec(i + k), Metadata: []KeyValue{{"g", fmt.Sprint(g)}}}
					}
					if _, err := w.WriteBatch(es); err != nil {
						t.Error(err)
						return
					}
					i += 10
				case i%7 == 0:
					p := rec(i)
					if _, err := w.WriteV("g", p[:3], p[3:]); err != nil {
						t.Error(err)
						return
					}
					i++
				default:
					if _, err := w.Write("g", rec(i)); err != nil {
						t.Error(err)
						return
					}
					i++
				}
				if i%1000 == 0 {
					if err := w.Flush(); err != nil {
						t.Error(err)
						return
					}
					if _, err := w.NextSeq(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	must(t, w.Close())

	next := make([]int, goroutines)
	total := 0
	must(t, mustReader(t, path).ForEach(func(v View) error {
		if v.Seq != uint64(total) {
			t.Fatalf("seq %d at position %d", v.Seq, total)
		}
		g := int(binary.LittleEndian.Uint32(v.Payload))
		i := int(binary.LittleEndian.Uint32(v.Payload[4:]))
		if g >= goroutines || i != next[g] {
			t.Fatalf("record %d: goroutine %d counter %d, want %d", total, g, i, next[g])
		}
		next[g]++
		total++
		return nil
	}))
	for g, n := range next {
		if n != perG {
			t.Fatalf("goroutine %d: %d records, want %d", g, n, perG)
		}
	}
}

func TestCloseIdempotentAndConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.binlog")
	w := mustWriter(t, path, nil)
	var (
		wg      sync.WaitGroup
		written atomic.Int64
		seqs    sync.Map
		started = make(chan struct{})
		once    sync.Once
	)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				var seq uint64
				var err error
				switch i % 4 {
				case 0:
					seq, err = w.Write("x", []byte("payload"))
				case 1:
					seq, err = w.WriteBatch([]Entry{{Type: "x", Payload: []byte("a")}, {Type: "x"}})
					if err == nil {
						written.Add(1)
						seqs.Store(seq+1, true)
					}
				case 2:
					seq, err = w.WriteV("x", []byte("a"), []byte("b"))
				case 3:
					err = w.Flush()
					if err == nil {
						_, err = w.DurableSeq()
					}
					if err == nil {
						continue
					}
				}
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("goroutine %d: %v, want ErrClosed", g, err)
					}
					return
				}
				if _, dup := seqs.LoadOrStore(seq, true); dup {
					t.Errorf("seq %d returned twice", seq)
				}
				written.Add(1)
				if written.Load() > 200 {
					once.Do(func() { close(started) })
				}
			}
		}(g)
	}
	<-started
	var cw sync.WaitGroup
	for c := 0; c < 4; c++ {
		cw.Add(1)
		go func() {
			defer cw.Done()
			if err := w.Close(); err != nil {
				t.Errorf("concurrent Close: %v", err)
			}
		}()
	}
	cw.Wait()
	wg.Wait()
	must(t, w.Close()) // and again

	// Every call after Close says ErrClosed.
	_, err := w.Write("x", nil)
	wantCode(t, err, ErrClosed)
	_, err = w.WriteEntry(Entry{})
	wantCode(t, err, ErrClosed)
	_, err = w.WriteBatch([]Entry{{}})
	wantCode(t, err, ErrClosed)
	_, err = w.WriteV("x")
	wantCode(t, err, ErrClosed)
	wantCode(t, w.Flush(), ErrClosed)
	wantCode(t, w.Sync(), ErrClosed)
	wantCode(t, w.Roll(), ErrClosed)
	_, err = w.NextSeq()
	wantCode(t, err, ErrClosed)
	_, err = w.DurableSeq()
	wantCode(t, err, ErrClosed)
	_, _, err = w.PollSealed()
	wantCode(t, err, ErrClosed)
	if !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("ErrClosed should match fs.ErrClosed")
	}

	// Everything acknowledged is in the (sealed) file, once.
	r := mustReader(t, path)
	recs := readAll(t, r)
	if int64(len(recs)) != written.Load() {
		t.Fatalf("file has %d records, %d were acknowledged", len(recs), written.Load())
	}
	tail, err := r.Tail()
	must(t, err)
	if tail.Kind != TailSealed {
		t.Fatalf("tail %+v after Close, want sealed", tail)
	}

	// Reader: Close twice, concurrently, and calls after it.
	var rw sync.WaitGroup
	for c := 0; c < 4; c++ {
		rw.Add(1)
		go func() { defer rw.Done(); must(t, r.Close()) }()
	}
	rw.Wait()
	must(t, r.Close())
	_, err = r.Next()
	wantCode(t, err, ErrClosed)
	_, err = r.NextWait(time.Millisecond)
	wantCode(t, err, ErrClosed)
	wantCode(t, r.ForEach(func(View) error { return nil }), ErrClosed)
	wantCode(t, r.NextView(func(View) error { return nil }), ErrClosed)
	wantCode(t, r.SeekSeq(0), ErrClosed)
	wantCode(t, r.SeekTime(time.Now()), ErrClosed)
	wantCode(t, r.FilterTypes("x"), ErrClosed)
	_, err = r.GapCount()
	wantCode(t, err, ErrClosed)
	_, err = r.Tail()
	wantCode(t, err, ErrClosed)
}

// A Close does not wait for a long NextWait: the wait gives way.
func TestReaderCloseDuringNextWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wait.binlog")
	w := mustWriter(t, path, nil)
	defer w.Close()
	must(t, w.Flush())
	r, err := OpenReader(path)
	must(t, err)
	closeEndsWait(t, r, "NextWait", func() error {
		_, err := r.NextWait(time.Hour)
		return err
	})
}

func TestTypedErrors(t *testing.T) {
	dir := t.TempDir()

	// Missing file.
	_, err := OpenReader(filepath.Join(dir, "missing.binlog"))
	wantCode(t, err, ErrNotFound)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%v should match fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "missing.binlog") {
		t.Fatalf("message %q should name the file", err)
	}
	_, err = OpenLogReader(filepath.Join(dir, "nodir"), "x")
	if err == nil {
		t.Fatal("OpenLogReader of a missing directory succeeded")
	}

	// A file that is not a binlog.
	foreign := filepath.Join(dir, "foreign.txt")
	must(t, os.WriteFile(foreign, bytes.Repeat([]byte("this is just some text, not a binlog\n"), 50), 0o644))
	_, err = OpenReader(foreign)
	wantCode(t, err, ErrNotABinlog)
	_, err = OpenWriter(foreign, nil)
	wantCode(t, err, ErrNotABinlog)

	// A second writer of one segment.
	path := filepath.Join(dir, "locked.binlog")
	w := mustWriter(t, path, &Options{MaxRecordSize: 1024})
	defer w.Close()
	_, err = OpenWriter(path, nil)
	wantCode(t, err, ErrLocked)

	// A record over the limit; nothing of it is written.
	_, err = w.Write("big", make([]byte, 2000))
	wantCode(t, err, ErrRecordTooLarge)
	_, err = w.WriteBatch([]Entry{{Type: "ok", Payload: []byte("x")}, {Type: "big", Payload: make([]byte, 2000)}})
	wantCode(t, err, ErrRecordTooLarge)
	if n, _ := w.NextSeq(); n != 0 {
		t.Fatalf("NextSeq %d after refused writes", n)
	}

	// Invalid UTF-8 in a type name or metadata.
	_, err = w.Write("\xff\xfe", nil)
	wantCode(t, err, ErrInvalidUTF8)
	_, err = w.WriteEntry(Entry{Type: "t", Metadata: []KeyValue{{"k", "\xc3"}}})
	wantCode(t, err, ErrInvalidUTF8)

	// Roll on a segment writer; options refused by C and by Go.
	wantCode(t, w.Roll(), ErrInvalidArgument)
	_, err = OpenWriter(filepath.Join(dir, "o1.binlog"), &Options{MaxSegmentRecords: 10})
	wantCode(t, err, ErrInvalidArgument)
	_, err = OpenLog(dir, "lg", &Options{MaxSegmentBytes: 100})
	wantCode(t, err, ErrInvalidArgument)
	_, err = OpenLog(dir, "lg", &Options{SegmentNo: 5})
	wantCode(t, err, ErrInvalidArgument)
	_, err = OpenLog(dir, "bad/name", nil)
	wantCode(t, err, ErrInvalidArgument)
	_, err = OpenWriter(filepath.Join(dir, "o2.binlog"), &Options{Durability: DurabilityEveryN})
	wantCode(t, err, ErrInvalidArgument)
	_, err = OpenWriter(filepath.Join(dir, "o3.binlog"), &Options{MaxRecordSize: 10})
	wantCode(t, err, ErrInvalidArgument)
	_, err = OpenWriter("bad\x00path", nil)
	wantCode(t, err, ErrInvalidArgument)

	var code Code
	if !errors.As(err, &code) || code != ErrInvalidArgument {
		t.Fatalf("errors.As(Code) = %v", code)
	}
	if ErrLocked.Error() != "binlog: locked" || Code(999).String() != "result 999" {
		t.Fatalf("Code strings: %q %q", ErrLocked.Error(), Code(999).String())
	}
}

func TestRollingLog(t *testing.T) {
	const total = 2550
	dir := t.TempDir()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 100, ContentType: "text/plain"})
	must(t, err)
	seen := map[uint64]SegmentInfo{}
	poll := func() {
		for {
			info, ok, err := w.PollSealed()
			if errors.Is(err, ErrClosed) {
				return
			}
			must(t, err)
			if !ok {
				return
			}
			if _, dup := seen[info.SegmentNo]; dup {
				t.Fatalf("segment %d polled twice", info.SegmentNo)
			}
			seen[info.SegmentNo] = info
		}
	}
	payload := func(i int) []byte { return []byte(fmt.Sprintf("record %06d", i)) }
	for i := 0; i < total; {
		if i%300 == 0 && i+13 <= total {
			es := make([]Entry, 13)
			for k := range es {
				es[k] = Entry{Type: "o", Payload: payload(i + k)}
			}
			first, err := w.WriteBatch(es)
			must(t, err)
			if first != uint64(i) {
				t.Fatalf("batch first seq %d, want %d", first, i)
			}
			i += 13
		} else {
			seq, err := w.Write("o", payload(i))
			must(t, err)
			if seq != uint64(i) {
				t.Fatalf("seq %d, want %d", seq, i)
			}
			i++
		}
		if i%250 == 0 {
			poll()
		}
	}
	must(t, w.Close())
	poll() // Close kept the unpolled ones, the last segment included
	_, ok, err := w.PollSealed()
	if ok || !errors.Is(err, ErrClosed) {
		t.Fatalf("PollSealed after draining: %v %v", ok, err)
	}

	files, err := filepath.Glob(filepath.Join(dir, "orders-*.binlog"))
	must(t, err)
	if len(files) < total/100 {
		t.Fatalf("%d segment files for %d records of at most 100 per segment", len(files), total)
	}
	if len(seen) != len(files) {
		t.Fatalf("polled %d sealed segments, %d files exist", len(seen), len(files))
	}
	var infos []SegmentInfo
	for _, info := range seen {
		infos = append(infos, info)
	}
	sort.Slice(infos, func(a, b int) bool { return infos[a].SegmentNo < infos[b].SegmentNo })
	sort.Strings(files)
	next := uint64(0)
	for k, info := range infos {
		if info.Path != files[k] {
			t.Fatalf("segment %d: path %s, file %s", info.SegmentNo, info.Path, files[k])
		}
		if info.FirstSeq != next || info.RecordCount == 0 || info.RecordCount > 113 || info.Bytes == 0 {
			t.Fatalf("segment %+v: want first seq %d", info, next)
		}
		next += info.RecordCount
	}
	if next != total {
		t.Fatalf("segments hold %d records, want %d", next, total)
	}

	check := func(r *Reader) {
		t.Helper()
		i := 0
		must(t, r.ForEach(func(v View) error {
			if v.Seq != uint64(i) || !bytes.Equal(v.Payload, payload(i)) {
				t.Fatalf("record %d: seq %d payload %q", i, v.Seq, v.Payload)
			}
			i++
			return nil
		}))
		if i != total {
			t.Fatalf("read %d records, want %d", i, total)
		}
		gaps, err := r.GapCount()
		must(t, err)
		if gaps != 0 {
			t.Fatalf("%d gaps", gaps)
		}
	}
	lr, err := OpenLogReader(dir, "orders")
	must(t, err)
	defer lr.Close()
	check(lr)
	gr, err := OpenGlob(dir, "orders-*.binlog")
	must(t, err)
	defer gr.Close()
	check(gr)

	// Reopening continues the sequence in a new segment.
	w2, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 100})
	must(t, err)
	seq, err := w2.Write("o", []byte("again"))
	must(t, err)
	if seq != total {
		t.Fatalf("after reopen seq %d, want %d", seq, total)
	}
	must(t, w2.Close())
}

func TestNextWaitFollowsRolls(t *testing.T) {
	const total = 400
	dir := t.TempDir()
	w, err := OpenLog(dir, "live", &Options{MaxSegmentRecords: 25, BufferSize: Unbuffered})
	must(t, err)
	r, err := OpenLogReader(dir, "live")
	must(t, err)
	defer r.Close()

	// Idle: NextWait times out.
	start := time.Now()
	if _, err := r.NextWait(150 * time.Millisecond); err != io.EOF {
		t.Fatalf("NextWait on an idle log: %v, want io.EOF", err)
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Fatalf("idle NextWait returned after %v, before its timeout", d)
	}

	errc := writeLive(t, w, total)
	for i := 0; i < total; i++ {
		rec, err := r.NextWait(10 * time.Second)
		if err != nil {
			t.Fatalf("NextWait for record %d: %v", i, err)
		}
		if rec.Seq != uint64(i) || string(rec.Payload) != fmt.Sprint(i) {
			t.Fatalf("record %d: seq %d payload %q", i, rec.Seq, rec.Payload)
		}
	}
	for err := range errc {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := r.NextWait(120 * time.Millisecond); err != io.EOF {
		t.Fatalf("NextWait after the last record: %v, want io.EOF", err)
	}
	if d := time.Since(start); d < 110*time.Millisecond {
		t.Fatalf("NextWait returned after %v, before its timeout", d)
	}
	must(t, w.Close())
	sealed := 0
	for {
		_, ok, err := w.PollSealed()
		if !ok || err != nil {
			break
		}
		sealed++
	}
	if sealed < total/25 {
		t.Fatalf("%d sealed segments, want at least %d", sealed, total/25)
	}
}

func TestRetentionGap(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "ret", &Options{MaxSegmentRecords: 10, Retention: Retention{MaxSegments: 2}})
	must(t, err)
	defer w.Close()
	for i := 0; i < 5; i++ {
		_, err := w.Write("r", nil)
		must(t, err)
	}
	must(t, w.Flush())
	r, err := OpenLogReader(dir, "ret")
	must(t, err)
	defer r.Close()
	rec, err := r.Next()
	must(t, err)
	if rec.Seq != 0 {
		t.Fatalf("first seq %d", rec.Seq)
	}
	for i := 5; i < 200; i++ { // 20 segments; retention keeps 2 sealed
		_, err := w.Write("r", nil)
		must(t, err)
	}
	must(t, w.Flush())
	files, _ := filepath.Glob(filepath.Join(dir, "ret-*.binlog"))
	if len(files) > 3 {
		t.Fatalf("%d segments kept, retention allows 2 sealed + current", len(files))
	}
	last := rec.Seq
	jumped := false
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		if rec.Seq <= last {
			t.Fatalf("seq %d after %d", rec.Seq, last)
		}
		if rec.Seq != last+1 {
			jumped = true
		}
		last = rec.Seq
	}
	gaps, err := r.GapCount()
	must(t, err)
	if !jumped || gaps == 0 || last != 199 {
		t.Fatalf("jumped %v, gaps %d, last seq %d", jumped, gaps, last)
	}
	// The one loss, from the reader's place in segment 0 to the oldest
	// segment retention kept, is retention's.
	got, err := r.Gaps()
	must(t, err)
	if len(got) != 1 || got[0].Reason != GapRetention || !got[0].HasFromSeq || got[0].FromSeq != 10 ||
		!got[0].HasToSeq || got[0].ToSeq != 170 || !strings.Contains(got[0].Path, "ret-") || got[0].HasOffset {
		t.Fatalf("gaps %+v", got)
	}
}

func TestSealInBackground(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "bg", &Options{MaxSegmentRecords: 10, Retention: Retention{MaxSegments: 2},
		SealInBackground: true})
	must(t, err)
	defer w.Close()
	for i := 0; i < 35; i++ {
		seq, err := w.Write("r", []byte(fmt.Sprint(i)))
		must(t, err)
		if seq != uint64(i) {
			t.Fatalf("seq %d, want %d", seq, i)
		}
	}

	// The background thread seals segments 0, 1 and 2 after the writes
	// that rolled returned: wait for them.
	var sealed []SegmentInfo
	deadline := time.Now().Add(10 * time.Second)
	for len(sealed) < 3 {
		info, ok, err := w.PollSealed()
		must(t, err)
		if ok {
			sealed = append(sealed, info)
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, %d of 3 sealed segments polled: %+v", len(sealed), sealed)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for k, info := range sealed {
		if info.SegmentNo != uint64(k) || info.FirstSeq != uint64(10*k) || info.RecordCount != 10 ||
			info.Bytes == 0 {
			t.Fatalf("sealed segment %d: %+v, want segment %d, first seq %d, 10 records", k, info, k, 10*k)
		}
	}

	// Retention (2 sealed) ran before segment 2 was queued: 1, 2 and the
	// current 3 remain.
	files, err := filepath.Glob(filepath.Join(dir, "bg-*.binlog"))
	must(t, err)
	if len(files) != 3 {
		t.Fatalf("%d segment files %v, want 3 (segment 0 removed by retention)", len(files), files)
	}
	for _, f := range files {
		if f == sealed[0].Path {
			t.Fatalf("segment 0 (%s) still exists", f)
		}
	}

	// An explicit Roll returns with the segment sealed and pollable.
	must(t, w.Roll())
	info, ok, err := w.PollSealed()
	must(t, err)
	if !ok {
		t.Fatal("PollSealed right after Roll found nothing")
	}
	if info.SegmentNo != 3 || info.FirstSeq != 30 || info.RecordCount != 5 {
		t.Fatalf("after Roll polled %+v, want segment 3, first seq 30, 5 records", info)
	}
	must(t, w.Close())

	r, err := OpenLogReader(dir, "bg")
	must(t, err)
	defer r.Close()
	// Retention keeps segments 2 and 3: the close removed segment 4,
	// which held no record.
	recs := readAll(t, r)
	if len(recs) != 15 {
		t.Fatalf("read %d records, want 15 (seqs 20..34)", len(recs))
	}
	for k, rec := range recs {
		if rec.Seq != uint64(20+k) || string(rec.Payload) != fmt.Sprint(20+k) {
			t.Fatalf("record %d: seq %d payload %q, want seq %d", k, rec.Seq, rec.Payload, 20+k)
		}
	}
	gaps, err := r.GapCount()
	must(t, err)
	if gaps != 0 {
		t.Fatalf("%d gaps", gaps)
	}
}

func TestSealInBackgroundRefusedByOpenWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seg.binlog")
	_, err := OpenWriter(path, &Options{SealInBackground: true})
	wantCode(t, err, ErrInvalidArgument)
	if !strings.Contains(err.Error(), "SealInBackground") {
		t.Fatalf("error %q does not name SealInBackground", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("refused OpenWriter left %s behind: %v", path, err)
	}
}

func TestSeekAndFilter(t *testing.T) {
	const n = 3000
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	types := []string{"a", "b", "c"}
	write := func(w *Writer) {
		es := make([]Entry, n)
		for i := range es {
			es[i] = Entry{Type: types[i%3], Payload: []byte(fmt.Sprint(i)), Time: base.Add(time.Duration(i) * time.Millisecond)}
		}
		_, err := w.WriteBatch(es)
		must(t, err)
	}
	run := func(t *testing.T, open func() *Reader) {
		r := open()
		defer r.Close()
		first := func() *Record {
			t.Helper()
			rec, err := r.Next()
			must(t, err)
			return rec
		}
		must(t, r.SeekSeq(1234))
		if rec := first(); rec.Seq != 1234 || string(rec.Payload) != "1234" {
			t.Fatalf("SeekSeq(1234) gave %d", rec.Seq)
		}
		must(t, r.SeekSeq(n+100))
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("SeekSeq past the end: %v", err)
		}
		must(t, r.SeekTime(base.Add(500*time.Millisecond+500*time.Microsecond)))
		if rec := first(); rec.Seq != 501 {
			t.Fatalf("SeekTime gave %d, want 501", rec.Seq)
		}
		must(t, r.SeekTimeNs(0))
		if rec := first(); rec.Seq != 0 {
			t.Fatalf("SeekTimeNs(0) gave %d", rec.Seq)
		}

		must(t, r.SeekSeq(0))
		must(t, r.FilterTypes("b"))
		count := 0
		must(t, r.ForEach(func(v View) error {
			if v.Type != "b" || v.Seq%3 != 1 {
				t.Fatalf("filter b: seq %d type %q", v.Seq, v.Type)
			}
			count++
			return nil
		}))
		if count != n/3 {
			t.Fatalf("filter b: %d records", count)
		}
		must(t, r.FilterTypes("c", "a", "zzz"))
		must(t, r.SeekSeq(100))
		recs := readAll(t, r)
		// From 100 (a "b"): 2900 records, of which 967 are b.
		if len(recs) != 2900-967 || recs[0].Seq != 101 || recs[0].Type != "c" {
			t.Fatalf("filter a,c from 100: %d records, first %+v", len(recs), recs[0])
		}
		for _, rec := range recs {
			if rec.Type == "b" {
				t.Fatalf("filtered record %d of type b", rec.Seq)
			}
		}
		must(t, r.FilterTypes())
		must(t, r.SeekSeq(n-2))
		if recs := readAll(t, r); len(recs) != 2 || recs[0].Type != "b" {
			t.Fatalf("filter reset: %d records", len(recs))
		}
	}
	dir := t.TempDir()

	t.Run("sealed", func(t *testing.T) {
		path := filepath.Join(dir, "sealed.binlog")
		w := mustWriter(t, path, &Options{SparseInterval: 256})
		write(w)
		must(t, w.Close())
		run(t, func() *Reader { r, err := OpenReader(path); must(t, err); return r })
	})
	t.Run("unsealed", func(t *testing.T) {
		path := filepath.Join(dir, "open.binlog")
		w := mustWriter(t, path, nil)
		defer w.Close()
		write(w)
		must(t, w.Flush())
		run(t, func() *Reader { r, err := OpenReader(path); must(t, err); return r })
		r := mustReader(t, path)
		readAll(t, r)
		tail, err := r.Tail()
		must(t, err)
		if tail.Kind != TailUnsealed {
			t.Fatalf("tail of a segment being written: %+v", tail)
		}
	})
	t.Run("log", func(t *testing.T) {
		w, err := OpenLog(dir, "seek", &Options{MaxSegmentRecords: 700})
		must(t, err)
		write(w)
		must(t, w.Close())
		run(t, func() *Reader { r, err := OpenLogReader(dir, "seek"); must(t, err); return r })
	})
}

// A Writer dropped without Close is closed by its finalizer: the segment
// is sealed and its lock released.
func TestFinalizer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fin.binlog")
	func() {
		w := mustWriter(t, path, nil)
		_, err := w.Write("lost", []byte("not closed"))
		must(t, err)
		r := mustReader(t, path)
		_ = r // closed by t.Cleanup, but forget another one:
		_, err = OpenReader(path)
		must(t, err)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		w, err := OpenWriter(path, nil)
		if err == nil {
			must(t, w.Close())
			break
		}
		if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			t.Fatalf("writer never finalized: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	recs := readAll(t, mustReader(t, path))
	if len(recs) != 1 || string(recs[0].Payload) != "not closed" {
		t.Fatalf("after finalization: %d records", len(recs))
	}
}

// --- benchmarks ------------------------------------------------------------

func benchWriter(b *testing.B) *Writer {
	w, err := OpenWriter(filepath.Join(b.TempDir(), "bench.binlog"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return w
}

func reportRecords(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func benchBatch(b *testing.B, size, batch int) {
	w := benchWriter(b)
	buf := make([]byte, size*batch)
	for i := range buf {
		buf[i] = byte(i)
	}
	es := make([]Entry, batch)
	for i := range es {
		es[i] = Entry{Type: "tick", Payload: buf[i*size : (i+1)*size]}
	}
	benchBatches(b, w, size, batch, func(k int) error {
		_, err := w.WriteBatch(es[:k])
		return err
	})
}

// benchBatches times b.N records of size bytes written by write(k), k
// records at a time (batch, then what is left).
func benchBatches(b *testing.B, w *Writer, size, batch int, write func(k int) error) {
	b.SetBytes(int64(size))
	b.ResetTimer()
	for done := 0; done < b.N; {
		k := min(batch, b.N-done)
		if err := write(k); err != nil {
			b.Fatal(err)
		}
		done += k
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRecords(b)
}

// BenchmarkWriteBatch32B: 32-byte records in batches of 1024 (one cgo
// crossing per batch); one op is one record.
func BenchmarkWriteBatch32B(b *testing.B) { benchBatch(b, 32, 1024) }

// BenchmarkWriteBatch4KiB: payloads above the copy threshold (pinned).
func BenchmarkWriteBatch4KiB(b *testing.B) { benchBatch(b, 4096, 64) }

// BenchmarkWrite32B: one cgo crossing per record.
func BenchmarkWrite32B(b *testing.B) {
	w := benchWriter(b)
	p := make([]byte, 32)
	b.SetBytes(32)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Write("tick", p); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRecords(b)
}

func benchReadSetup(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "read.binlog")
	w, err := OpenWriter(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	es := make([]Entry, 1024)
	for i := range es {
		es[i] = Entry{Type: "tick", Payload: make([]byte, 32)}
	}
	for done := 0; done < b.N; done += len(es) {
		if _, err := w.WriteBatch(es[:min(len(es), b.N-done)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkReadForEach32B: zero-copy scan; one op is one record.
func BenchmarkReadForEach32B(b *testing.B) {
	path := benchReadSetup(b)
	r := mustReader(b, path)
	b.SetBytes(32)
	b.ResetTimer()
	n := 0
	if err := r.ForEach(func(v View) error { n += len(v.Payload); return nil }); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n != 32*b.N {
		b.Fatalf("read %d bytes", n)
	}
	reportRecords(b)
}

// BenchmarkReadNext32B: copying reads; one op is one record.
func BenchmarkReadNext32B(b *testing.B) {
	path := benchReadSetup(b)
	r := mustReader(b, path)
	b.SetBytes(32)
	b.ResetTimer()
	var rec Record
	for i := 0; i < b.N; i++ {
		if err := r.NextInto(&rec); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRecords(b)
}
