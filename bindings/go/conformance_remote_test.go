package binlog

// The conformance corpus's section 18 cases (tests/conformance/remote/,
// expected-remote.tsv; README.md there) read through the Go binding: each
// `remote` line's case is shipped with a Shipper to the versitygw that
// tests/with_s3_server.sh starts, its objects edited as the case's file
// says (the server keeps each object as a file of its key's path), and
// read with OpenLogTieredReader (and, for a `remote-salvage` line,
// SkipDamaged): the records, the end (its error naming the object), the
// damaged regions (object, offsets, records) and the gaps (reason,
// object, records) must be the ones the line states, as the Rust
// readers, the CLI, verify, C, Java and Python give them.

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// copyRemoteLog copies the corpus's remote/log/ into dir.
func copyRemoteLog(t *testing.T, dir string) {
	from := filepath.Join(corpusDir, "remote", "log")
	entries, err := os.ReadDir(from)
	must(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644))
	}
}

// editObject makes one edit of a case's file to object name of the log
// under prefix (README.md): remove, cut, grow, flip or rename it, its
// metadata unchanged.
func editObject(t *testing.T, prefix string, words []string) {
	dir := filepath.Join(s3Env(t, "BINLOG_TEST_S3_ROOT"), s3Env(t, "BINLOG_TEST_S3_BUCKET"), prefix, "conformance")
	file := filepath.Join(dir, words[1])
	arg := func() int64 {
		n, err := strconv.ParseInt(words[2], 10, 64)
		must(t, err)
		return n
	}
	switch words[0] {
	case "remove":
		must(t, os.Remove(file))
	case "cut":
		must(t, os.Truncate(file, arg()))
	case "grow":
		st, err := os.Stat(file)
		must(t, err)
		must(t, os.Truncate(file, st.Size()+arg()))
	case "flip":
		b, err := os.ReadFile(file)
		must(t, err)
		b[arg()] ^= 1
		must(t, os.WriteFile(file, b, 0o644))
	case "rename":
		must(t, os.Rename(file, filepath.Join(dir, words[2])))
	default:
		t.Fatalf("unknown edit %q", words[0])
	}
}

// setUpRemoteCase ships the case of the file casePath from dir to prefix
// and makes its edits.
func setUpRemoteCase(t *testing.T, casePath, dir, prefix string) {
	text, err := os.ReadFile(filepath.Join(corpusDir, casePath))
	must(t, err)
	copyRemoteLog(t, dir)
	for _, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Split(line, " ")
		if words[0] != "keep-local" {
			editObject(t, prefix, words)
			continue
		}
		keep, err := strconv.ParseUint(words[1], 10, 64)
		must(t, err)
		opts := shipOptions(t, prefix)
		opts.RemoveLocal, opts.KeepLocal = true, keep
		s, err := OpenShipper(dir, "conformance", opts)
		must(t, err)
		rep, err := s.ShipOnce()
		must(t, err)
		if rep.Uploaded != 3 {
			t.Fatalf("%s: %d segments uploaded", casePath, rep.Uploaded)
		}
		must(t, s.Close())
	}
}

var urlInMessage = regexp.MustCompile(`(s3://[^:]*): offset `)

// remoteError is error:NAME@OFFSET:OBJECT.
func remoteError(err error) string {
	object := "?"
	var e *Error
	if errors.As(err, &e) {
		if m := urlInMessage.FindStringSubmatch(e.Message); m != nil {
			object = path.Base(m[1])
		}
	}
	return conformanceError(err) + ":" + object
}

func gapColumn(t *testing.T, r *Reader) string {
	gaps, err := r.Gaps()
	must(t, err)
	if len(gaps) == 0 {
		return "-"
	}
	seq := func(has bool, v uint64) string {
		if !has {
			return "?"
		}
		return strconv.FormatUint(v, 10)
	}
	var out []string
	for _, g := range gaps {
		out = append(out, fmt.Sprintf("%s:%s:%s-%s", g.Reason, path.Base(g.Path),
			seq(g.HasFromSeq, g.FromSeq), seq(g.HasToSeq, g.ToSeq)))
	}
	return strings.Join(out, ",")
}

// readRemoteCase returns the columns records, end, damages and gaps of a
// tiered read of the case shipped from dir to prefix, skipping damage or
// not.
func readRemoteCase(t *testing.T, dir, prefix string, salvage bool) [4]string {
	url := "s3://" + s3Env(t, "BINLOG_TEST_S3_BUCKET") + "/" + prefix
	r, err := OpenLogTieredReader(dir, "conformance", url)
	must(t, err)
	defer r.Close()
	must(t, r.SkipDamaged(salvage))
	records, end := readToEnd(t, r, remoteError)
	return [4]string{records, end, damageColumn(t, r, ""), gapColumn(t, r)}
}

func TestTheTieredReaderReadsTheShippedConformanceCasesAsExpected(t *testing.T) {
	setAWSEnv(t, shipOptions(t, ""))
	text, err := os.ReadFile(filepath.Join(corpusDir, "expected-remote.tsv"))
	must(t, err)
	checked := 0
	for i, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 8 {
			t.Fatalf("expected-remote.tsv: %q", line)
		}
		if c[2] != "remote" && c[2] != "remote-salvage" {
			continue // `cat`: the tool's
		}
		dir := t.TempDir()
		prefix := fmt.Sprintf("go-conformance-%d", i)
		setUpRemoteCase(t, c[1], dir, prefix)
		got := readRemoteCase(t, dir, prefix, c[2] == "remote-salvage")
		want := [4]string{c[4], c[5], c[6], c[7]}
		if got != want {
			t.Errorf("case %s (%s): expected %q, got %q", c[0], c[2], want, got)
		}
		checked++
	}
	if checked < 16 {
		t.Fatalf("only %d cases checked", checked)
	}
}
