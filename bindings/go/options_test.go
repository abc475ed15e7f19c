package binlog

// Options as OpenWriter and OpenLog take them: what each field does, and
// the values refused naming the field.

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestOptionsAndDurability: every durability mode and the segment header
// options open a writer whose sequence numbers start at FirstSeq; with
// EveryRecord each write is durable when it returns, and after Sync every
// record is.
func TestOptionsAndDurability(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []Options{
		{Durability: DurabilityEveryRecord},
		{Durability: DurabilityEveryN, SyncEveryN: 3},
		{Durability: DurabilityInterval, SyncInterval: 5 * time.Millisecond},
		{BufferSize: Unbuffered, FirstSeq: 1000, SegmentNo: 7, Created: time.Unix(1, 0),
			SparseInterval: 128, ContentType: "x", LogName: "n", Params: []KeyValue{{"a", "b"}}},
	} {
		path := filepath.Join(dir, fmt.Sprintf("d%d-%d.binlog", o.Durability, o.FirstSeq))
		w := mustWriter(t, path, &o)
		for i := 0; i < 10; i++ {
			seq, err := w.Write("t", []byte("x"))
			must(t, err)
			if seq != o.FirstSeq+uint64(i) {
				t.Fatalf("%+v: seq %d", o, seq)
			}
			if o.Durability == DurabilityEveryRecord {
				d, err := w.DurableSeq()
				must(t, err)
				if d < seq+1 {
					t.Fatalf("EveryRecord: DurableSeq %d after seq %d", d, seq)
				}
			}
		}
		must(t, w.Sync())
		d, err := w.DurableSeq()
		must(t, err)
		if n, _ := w.NextSeq(); d != n {
			t.Fatalf("after Sync DurableSeq %d, NextSeq %d", d, n)
		}
		must(t, w.Close())
		recs := readAll(t, mustReader(t, path))
		if len(recs) != 10 || recs[0].Seq != o.FirstSeq {
			t.Fatalf("%+v: read %d records", o, len(recs))
		}
	}
}

// TestOpenLogStartsAtFirstSeqAndRefusesCreated: a new log starts at
// Options.FirstSeq (binlog_writer_open_log takes it from
// binlog_options_set_first_seq), its later segments continue from there;
// Created, which a log sets per segment itself, is refused naming the
// field.
func TestOpenLogStartsAtFirstSeqAndRefusesCreated(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "lg", &Options{FirstSeq: 1000, MaxSegmentRecords: 3})
	if err != nil {
		t.Fatalf("OpenLog with FirstSeq: %v", err)
	}
	for i := 0; i < 5; i++ {
		seq, err := w.Write("t", []byte{byte(i)})
		must(t, err)
		if seq != 1000+uint64(i) {
			t.Fatalf("write %d of a new log with FirstSeq 1000 got seq %d", i, seq)
		}
	}
	must(t, w.Close())
	r, err := OpenLogReader(dir, "lg")
	must(t, err)
	defer r.Close()
	for i := 0; i < 5; i++ {
		rec, err := r.Next()
		must(t, err)
		if rec.Seq != 1000+uint64(i) || rec.Payload[0] != byte(i) {
			t.Fatalf("record %d read back as seq %d payload %v", i, rec.Seq, rec.Payload)
		}
	}
	h, err := r.Header()
	must(t, err)
	if h.FirstSeq != 1003 || h.SegmentNo != 1 {
		t.Errorf("second segment's header: first seq %d, segment %d; want 1003, 1", h.FirstSeq, h.SegmentNo)
	}

	_, err = OpenLog(dir, "lg2", &Options{Created: time.Unix(1, 0)})
	wantErr(t, "OpenLog with Created", err, ErrInvalidArgument, "Created")
}

// TestNegativeDurationsAndSizesAreRefused: Retention.MaxAge < 0 (not "no
// age limit"), SyncInterval < 0 and BufferSize < -1 (not Unbuffered) are
// refused naming the field and the value, and nothing is created; the
// valid edges (Unbuffered, 1 ns) are taken.
func TestNegativeDurationsAndSizesAreRefused(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenLog(dir, "neg", &Options{Retention: Retention{MaxAge: -time.Hour}})
	wantErr(t, "Retention.MaxAge -1h", err, ErrInvalidArgument, "MaxAge", "-1h0m0s")
	_, err = OpenWriter(filepath.Join(dir, "i.binlog"), &Options{Durability: DurabilityInterval, SyncInterval: -time.Second})
	wantErr(t, "SyncInterval -1s", err, ErrInvalidArgument, "SyncInterval", "-1s")
	_, err = OpenWriter(filepath.Join(dir, "b.binlog"), &Options{BufferSize: -5})
	wantErr(t, "BufferSize -5", err, ErrInvalidArgument, "BufferSize", "-5")
	// Nothing was created by the refused opens.
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("refused opens left %v", m)
	}
	// The valid edges still work.
	w, err := OpenWriter(filepath.Join(dir, "ok.binlog"), &Options{BufferSize: Unbuffered,
		Durability: DurabilityInterval, SyncInterval: time.Nanosecond})
	must(t, err)
	must(t, w.Close())
	wl, err := OpenLog(dir, "ok", &Options{Retention: Retention{MaxAge: time.Nanosecond, MaxSegments: 3}})
	must(t, err)
	must(t, wl.Close())
}
