package binlog

// The conformance corpus (tests/conformance/, README.md there) read
// through the Go binding: every line of expected.tsv must give the
// records, the end, the damaged regions and the gaps it states, as the
// Rust readers, the CLI, C, Java and Python do; and Verify on each file
// must say what `binlog verify` says of it (cli/tests/it/conformance_verify.rs
// derives the same from expected.tsv).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
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

// joinOrDash is parts joined with commas, or "-" for none.
func joinOrDash(parts []string) string {
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// damageColumn is the damages column of a read: each region
// OBJECT:OFFSET-RESUME:FROM-TO, OBJECT the name of the file or object it
// is in, left out where it is file (the one file a segment reader reads;
// "": always named).
func damageColumn(t *testing.T, r *Reader, file string) string {
	damages, err := r.Damages()
	must(t, err)
	var d []string
	for _, x := range damages {
		region := fmt.Sprintf("%d-%d:%d-%d", x.Offset, x.ResumeOffset, x.FromSeq, x.ToSeq)
		if in := path.Base(x.Path); file == "" || in != path.Base(file) {
			region = in + ":" + region
		}
		d = append(d, region)
	}
	return joinOrDash(d)
}

// localGapColumn is the gaps column of a local read: FROM-TO:REASON.
func localGapColumn(t *testing.T, r *Reader) string {
	gaps, err := r.Gaps()
	must(t, err)
	var g []string
	for _, x := range gaps {
		g = append(g, fmt.Sprintf("%d-%d:%s", x.FromSeq, x.ToSeq, x.Reason))
	}
	return joinOrDash(g)
}

// readConformanceCase returns the columns records, end, damages and gaps
// of one read.
func readConformanceCase(t *testing.T, path, mode, filter string) [4]string {
	var r *Reader
	var err error
	switch mode {
	case "log":
		r, err = OpenLogReader(filepath.Join(corpusDir, path), "conformance")
	case "salvage":
		r, err = OpenReaderSalvage(filepath.Join(corpusDir, path))
	default:
		r, err = OpenReader(filepath.Join(corpusDir, path))
	}
	if err != nil {
		return [4]string{"-", conformanceError(err), "-", "-"}
	}
	defer r.Close()
	if filter != "-" {
		if err := r.FilterTypes(filter); err != nil {
			t.Fatal(err)
		}
	}
	records, end := readToEnd(t, r, conformanceError)
	return [4]string{records, end, damageColumn(t, r, path), localGapColumn(t, r)}
}

// readToEnd reads r to its end: the columns records and end, an error's
// end named by errorName.
func readToEnd(t *testing.T, r *Reader, errorName func(error) string) (string, string) {
	var seqs []uint64
	for {
		rec, err := r.Next()
		if err == io.EOF {
			tail, err := r.Tail()
			if err != nil {
				t.Fatal(err)
			}
			return seqRuns(seqs), tailName(tail)
		}
		if err != nil {
			return seqRuns(seqs), errorName(err)
		}
		seqs = append(seqs, rec.Seq)
	}
}

// conformanceCases is every line of expected.tsv, as its 8 columns.
func conformanceCases(t *testing.T) [][]string {
	text, err := os.ReadFile(filepath.Join(corpusDir, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var cases [][]string
	for _, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 8 {
			t.Fatalf("expected.tsv: %q", line)
		}
		cases = append(cases, c)
	}
	return cases
}

func TestTheReaderClassifiesTheConformanceCorpusAsExpected(t *testing.T) {
	cases := conformanceCases(t)
	for _, c := range cases {
		want := [4]string{c[4], c[5], c[6], c[7]}
		if got := readConformanceCase(t, c[1], c[2], c[3]); got != want {
			t.Errorf("case %s (%s %s): expected %v, got %v", c[0], c[2], c[1], want, got)
		}
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases checked", len(cases))
	}
}

// verdict is what verify says of one file: status as `binlog verify`'s
// exit status (0 clean, 1 damaged, 2 not a segment this library reads),
// the intact records, and the offset of the first damage (-1: none).
type verdict struct {
	status  int
	records uint64
	issue   int64
}

// countRuns is how many sequence numbers runs "a-b,c-d" hold.
func countRuns(runs string) (n uint64) {
	for _, run := range strings.Split(runs, ",") {
		var a, b uint64
		if _, err := fmt.Sscanf(run, "%d-%d", &a, &b); err == nil {
			n += b - a + 1
		}
	}
	return n
}

// leadingNumber is the number s starts with after skipping up to its
// first sep (none: from its start), or -1.
func leadingNumber(s, sep string) int64 {
	if sep != "" {
		_, after, ok := strings.Cut(s, sep)
		if !ok {
			return -1
		}
		s = after
	}
	var n int64
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		return -1
	}
	return n
}

// expectedVerdict is what verify must say of a file, from its open line
// and its salvage line if any (whose records are the intact ones), as
// cli/tests/it/conformance_verify.rs derives it: the first issue is where the
// first damaged region starts, else where the end is damaged; damage to
// a compressed file's seek table is in no original byte (no offset).
func expectedVerdict(open, salvage []string) verdict {
	read := open
	if salvage != nil {
		read = salvage
	}
	v := verdict{records: countRuns(read[4]), issue: -1}
	switch e := open[5]; {
	case e == "sealed" || e == "unsealed":
	case strings.Contains(e, "NOT_A_BINLOG") || strings.Contains(e, "UNSUPPORTED_VERSION"):
		v.status = 2
	case strings.Contains(e, "SEEK_TABLE") || strings.Contains(e, "COMPRESSED_TRUNCATED"):
		v.status = 1
	default:
		v.status = 1
		for _, at := range []int64{leadingNumber(read[6], ""), leadingNumber(read[5], "@"), leadingNumber(e, "@")} {
			if at >= 0 {
				v.issue = at
				break
			}
		}
	}
	return v
}

// verifyVerdict is what Verify says of a file: a finding of a file it
// cannot read is status 2, else any damage 1; the first damage's offset.
func verifyVerdict(t *testing.T, path string) verdict {
	findings, counts, err := Verify(filepath.Join(corpusDir, path), "")
	if err != nil {
		t.Fatal(err)
	}
	v := verdict{records: counts.Records, issue: -1}
	first := true
	for _, f := range findings {
		switch {
		case f.Kind == FindingNotABinlog || f.Kind == FindingUnsupportedVersion || f.Kind == FindingUnreadable:
			v.status = 2
		case f.Damage && v.status == 0:
			v.status = 1
		}
		if f.Damage && first && f.HasOffset {
			v.issue = int64(f.Offset)
		}
		first = first && !f.Damage
	}
	return v
}

func TestVerifyClassifiesTheConformanceCorpusAsTheReadersDo(t *testing.T) {
	cases := conformanceCases(t)
	files := 0
	for _, open := range cases {
		if open[2] != "open" || open[3] != "-" {
			continue
		}
		var salvage []string
		for _, c := range cases {
			if c[1] == open[1] && c[2] == "salvage" && c[3] == "-" {
				salvage = c
			}
		}
		want, got := expectedVerdict(open, salvage), verifyVerdict(t, open[1])
		if want.issue < 0 && got.status != 0 {
			got.issue = -1 // an offset where none is derived (a seek table's) is not compared
		}
		if got != want {
			t.Errorf("verify %s: expected %+v, got %+v", open[1], want, got)
		}
		files++
	}
	if files < 20 {
		t.Fatalf("only %d files checked", files)
	}
}
