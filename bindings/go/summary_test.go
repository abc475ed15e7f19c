package binlog

// Summarize, Reader.Summary and MergedReader.Summary: the library's summary
// of a segment, a log directory and a reader from where it stands.

import (
	"io"
	"path/filepath"
	"testing"
)

func TestSummaryOfASegmentPerTypeInOrderOfFirstRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.binlog")
	w := mustWriter(t, path, nil)
	for _, r := range [][2]string{{"b", "xyz"}, {"a", ""}, {"b", "12345"}} {
		if _, err := w.Write(r[0], []byte(r[1])); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Close())
	s, err := Summarize(path)
	must(t, err)
	if s.Records != 3 || s.PayloadBytes != 8 || s.FirstSeq != 0 || s.LastSeq != 2 || s.Bytes <= 8 {
		t.Fatalf("%+v", s)
	}
	b, ok := s.Type("b")
	if len(s.Types) != 2 || s.Types[1].Name != "a" || !ok || b.Records != 2 || b.LastSeq != 2 ||
		b.PayloadBytes != 8 || b.FirstNs > b.LastNs || s.MinNs > b.FirstNs {
		t.Fatalf("%+v", s.Types)
	}
	if _, ok := s.Type("c"); ok {
		t.Fatal("type c")
	}
}

func TestSummaryOfALogAndOfAReaderFromWhereItStands(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 4})
	must(t, err)
	for i := 0; i < 10; i++ {
		if _, err := w.Write([]string{"even", "odd"}[i%2], []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Close())
	s, err := Summarize(dir)
	must(t, err)
	if odd, _ := s.Type("odd"); s.Records != 10 || s.LastSeq != 9 || odd.Records != 5 {
		t.Fatalf("%+v", s)
	}
	r, err := OpenLogReader(dir, "orders")
	must(t, err)
	defer r.Close()
	for i := 0; i < 3; i++ {
		_, err := r.Next()
		must(t, err)
	}
	rest, err := r.Summary()
	must(t, err)
	if rest.Records != 7 || rest.FirstSeq != 3 {
		t.Fatalf("%+v", rest)
	}
	missing := filepath.Join(dir, "missing")
	_, err = Summarize(missing)
	wantErr(t, "Summarize", err, ErrNotFound, missing)
}

func TestSummaryOfAMergedReaderFromWhereItStandsInMergedOrder(t *testing.T) {
	dir := t.TempDir()
	writeLogAt(t, dir, "a", 2, []int64{10, 30, 50})
	writeLogAt(t, dir, "b", 2, []int64{20, 40})
	r, err := OpenMergedReader(dir, "", "")
	must(t, err)
	defer r.Close()
	_, err = r.Next() // a's 10
	must(t, err)
	s, err := r.Summary()
	must(t, err)
	if s.Records != 4 || s.FirstNs != 20 || s.LastNs != 50 || s.FirstSeq != 0 || s.LastSeq != 2 ||
		len(s.Types) != 1 || s.Types[0].PayloadBytes != 4 {
		t.Fatalf("%+v", s)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after Summary: %v, want io.EOF", err)
	}
	must(t, r.Close())
	_, err = r.Summary()
	wantCode(t, err, ErrClosed)
}

// A log with no segment (opened and closed with no record) is a log: every
// count 0, as its reader's Summary says, not an error.
func TestSummaryOfALogWithNoSegmentIsZero(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "idle", nil)
	must(t, err)
	must(t, w.Close())
	s, err := Summarize(dir)
	must(t, err)
	if s.Records != 0 || s.Bytes != 0 || len(s.Types) != 0 {
		t.Fatalf("%+v", s)
	}
}
