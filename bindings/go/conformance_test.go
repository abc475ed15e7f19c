package binlog

// The conformance corpus (tests/conformance/, README.md there) read
// through the Go binding: every line of expected.tsv the binding can read
// (a plain open or a log; it has no salvaging open) must give the records
// and the end it states, as the Rust readers, the CLI, C, Java and Python
// do. A log's gaps are told by their number only (GapCount).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var corpusDir = filepath.Join("..", "..", "tests", "conformance")

// The result codes' names as binlog.h spells them, less BINLOG_ERR_.
var conformanceCodeNames = map[Code]string{
	ErrNotFound: "NOT_FOUND", ErrIO: "IO", ErrNotABinlog: "NOT_A_BINLOG",
	ErrUnsupportedVersion: "UNSUPPORTED_VERSION", ErrCorruptHeader: "CORRUPT_HEADER",
	ErrCorrupt: "CORRUPT", ErrTruncated: "TRUNCATED", ErrCorruptSeal: "CORRUPT_SEAL",
	ErrWrongLog: "WRONG_LOG", ErrCompressedTruncated: "COMPRESSED_TRUNCATED",
	ErrCorruptFrame: "CORRUPT_FRAME", ErrCorruptSeekTable: "CORRUPT_SEEK_TABLE",
	ErrFrameSizeMismatch: "FRAME_SIZE_MISMATCH",
}

var offsetInMessage = regexp.MustCompile(`: offset (\d+)`)

func conformanceError(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return "error:" + err.Error()
	}
	name, ok := conformanceCodeNames[e.Code]
	if !ok {
		name = e.Code.String()
	}
	if m := offsetInMessage.FindStringSubmatch(e.Message); m != nil {
		return "error:" + name + "@" + m[1]
	}
	return "error:" + name
}

func seqRuns(seqs []uint64) string {
	var runs []string
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		runs = append(runs, fmt.Sprintf("%d-%d", seqs[i], seqs[j]))
		i = j + 1
	}
	if len(runs) == 0 {
		return "-"
	}
	return strings.Join(runs, ",")
}

func tailName(t Tail) string {
	switch t.Kind {
	case TailSealed:
		return "sealed"
	case TailUnsealed:
		return "unsealed"
	case TailSealDamaged:
		return fmt.Sprintf("seal-damaged@%d", t.Offset)
	case TailTorn:
		return fmt.Sprintf("torn@%d+%d", t.Offset, t.Len)
	}
	return "reading"
}

// readConformanceCase returns the columns records, end and gaps of one read.
func readConformanceCase(t *testing.T, path, mode, filter string) [3]string {
	var r *Reader
	var err error
	if mode == "log" {
		r, err = OpenLogReader(filepath.Join(corpusDir, path), "conformance")
	} else {
		r, err = OpenReader(filepath.Join(corpusDir, path))
	}
	if err != nil {
		return [3]string{"-", conformanceError(err), "-"}
	}
	defer r.Close()
	if filter != "-" {
		if err := r.FilterTypes(filter); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []uint64
	end := ""
	for {
		rec, err := r.Next()
		if err == io.EOF {
			tail, err := r.Tail()
			if err != nil {
				t.Fatal(err)
			}
			end = tailName(tail)
			break
		}
		if err != nil {
			end = conformanceError(err)
			break
		}
		seqs = append(seqs, rec.Seq)
	}
	gaps := "-"
	if n, err := r.GapCount(); err == nil && n > 0 && mode == "log" {
		gaps = fmt.Sprintf("%d gaps", n)
	}
	return [3]string{seqRuns(seqs), end, gaps}
}

func TestTheReaderClassifiesTheConformanceCorpusAsExpected(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(corpusDir, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 8 {
			t.Fatalf("expected.tsv: %q", line)
		}
		if c[2] == "salvage" {
			continue // no salvaging open in this binding
		}
		gaps := "-"
		if c[7] != "-" {
			gaps = fmt.Sprintf("%d gaps", len(strings.Split(c[7], ",")))
		}
		want := [3]string{c[4], c[5], gaps}
		if got := readConformanceCase(t, c[1], c[2], c[3]); got != want {
			t.Errorf("case %s (%s %s): expected %v, got %v", c[0], c[2], c[1], want, got)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d cases checked", checked)
	}
}
