package binlog

// A salvaging read (OpenReaderSalvage, SkipDamaged) of a damaged segment
// returns the records around the damage and names the damaged region.

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// flipByte flips every bit of the byte at offset at of the file at path.
func flipByte(t *testing.T, path string, at uint64) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	b[at] ^= 0xff
	must(t, os.WriteFile(path, b, 0o644))
}

// seqsOf is the sequence numbers of recs, in order.
func seqsOf(recs []*Record) []uint64 {
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
	}
	return seqs
}

// wantDamages fails the test unless r skipped exactly want.
func wantDamages(t *testing.T, r *Reader, want ...Damage) {
	t.Helper()
	got, err := r.Damages()
	must(t, err)
	if !slices.Equal(got, want) {
		t.Fatalf("damages %+v, want %+v", got, want)
	}
}

// A byte flipped inside the sixth record of a sealed segment: the
// salvaging open and a plain open skipping damage both return the other
// nine records and name the file, the sixth's bytes and its sequence
// number as lost.
func TestSalvageSkipsACorruptRecordAndNamesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flip.binlog")
	recs := sealedRecords(t, path, 10)
	flipByte(t, path, (recs[5].Offset+recs[6].Offset)/2) // inside the sixth record's frame
	want := Damage{Path: path, Offset: recs[5].Offset, ResumeOffset: recs[6].Offset, FromSeq: recs[5].Seq, ToSeq: recs[6].Seq}
	wantSeqs := append(seqsOf(recs[:5]), seqsOf(recs[6:])...)

	_, err := readAllErr(mustReader(t, path))
	wantCode(t, err, ErrCorrupt)

	salvage, err := OpenReaderSalvage(path)
	must(t, err)
	defer salvage.Close()
	skipping := mustReader(t, path)
	must(t, skipping.SkipDamaged(true))
	for name, r := range map[string]*Reader{"OpenReaderSalvage": salvage, "SkipDamaged": skipping} {
		if got := seqsOf(readAll(t, r)); !slices.Equal(got, wantSeqs) {
			t.Fatalf("%s: records %v, want %v", name, got, wantSeqs)
		}
		wantDamages(t, r, want)
	}
}

// A damaged header: a plain open fails with ErrCorruptHeader, the
// salvaging open reads every record and names the header as damaged.
func TestSalvageReadsPastADamagedHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "header.binlog")
	recs := sealedRecords(t, path, 5)
	flipByte(t, path, recs[0].Offset-1) // the header's CRC, its last bytes
	_, err := OpenReader(path)
	wantCode(t, err, ErrCorruptHeader)

	r, err := OpenReaderSalvage(path)
	must(t, err)
	defer r.Close()
	if got := seqsOf(readAll(t, r)); !slices.Equal(got, seqsOf(recs)) {
		t.Fatalf("records %v, want %v", got, seqsOf(recs))
	}
	wantDamages(t, r, Damage{Path: path, Offset: 0, ResumeOffset: recs[0].Offset, FromSeq: recs[0].Seq, ToSeq: recs[0].Seq})
}

// A sound segment read with salvage is read as with OpenReader: no damage.
func TestSalvageOfASoundSegmentSkipsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sound.binlog")
	recs := sealedRecords(t, path, 3)
	r, err := OpenReaderSalvage(path)
	must(t, err)
	defer r.Close()
	if got := seqsOf(readAll(t, r)); !slices.Equal(got, seqsOf(recs)) {
		t.Fatalf("records %v, want %v", got, seqsOf(recs))
	}
	wantDamages(t, r)
	_, err = OpenReaderSalvage(filepath.Join(t.TempDir(), "absent.binlog"))
	wantCode(t, err, ErrNotFound)
}

// readAllErr reads records until an error, returning it (io.EOF at the end).
func readAllErr(r *Reader) (int, error) {
	for n := 0; ; n++ {
		if _, err := r.Next(); err != nil {
			return n, err
		}
	}
}
