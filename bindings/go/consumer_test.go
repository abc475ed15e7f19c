package binlog

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRecords writes n records of type "t" to log name in dir, per records
// a segment.
func writeRecords(t *testing.T, dir, name string, n int, per uint64) {
	t.Helper()
	w, err := OpenLog(dir, name, &Options{MaxSegmentRecords: per})
	must(t, err)
	for i := 0; i < n; i++ {
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	must(t, w.Close())
}

func mustConsumer(t *testing.T, dir, log, name string, opts *ConsumerOptions) *Consumer {
	t.Helper()
	c, err := OpenConsumer(dir, log, name, opts)
	if err != nil {
		t.Fatalf("OpenConsumer(%s, %s): %v", log, name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// nextSeq is the sequence number of r's next record (a failure if none).
func nextSeq(t *testing.T, r *Reader) uint64 {
	t.Helper()
	rec, err := r.Next()
	must(t, err)
	return rec.Seq
}

func TestConsumerResumesAfterItsLastCommit(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	c := mustConsumer(t, dir, "orders", "billing", nil)
	for i := uint64(0); i < 10; i++ {
		if got := nextSeq(t, c.Reader); got != i {
			t.Fatalf("record %d has seq %d", i, got)
		}
	}
	must(t, c.Commit())
	if n, err := c.Committed(); err != nil || n != 10 {
		t.Fatalf("Committed() = %d, %v; want 10", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "billing.consumer")); err != nil {
		t.Fatalf("the consumer's file: %v", err)
	}
	must(t, c.Close())
	must(t, c.Close()) // idempotent
	_, err := c.Next()
	wantCode(t, err, ErrClosed)
	wantCode(t, c.Commit(), ErrClosed)

	// The start says nothing to a consumer with a position.
	c = mustConsumer(t, dir, "orders", "billing", &ConsumerOptions{Start: StartEnd})
	rec, err := c.NextWait(time.Second)
	if err != nil || rec.Seq != 10 {
		t.Fatalf("reopened consumer: NextWait = %v, %v; want seq 10", rec, err)
	}
}

func TestConsumerReadsUncommittedRecordsAgain(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	c := mustConsumer(t, dir, "orders", "billing", nil)
	for i := 0; i < 5; i++ {
		nextSeq(t, c.Reader)
	}
	must(t, c.Commit())
	for i := 0; i < 4; i++ { // 5 to 8, returned, not committed
		nextSeq(t, c.Reader)
	}
	must(t, c.Close())
	c = mustConsumer(t, dir, "orders", "billing", nil)
	if got := nextSeq(t, c.Reader); got != 5 {
		t.Fatalf("after a commit at 5 and reading to 8, the consumer resumes at %d, want 5", got)
	}
	nextSeq(t, c.Reader)
	nextSeq(t, c.Reader)    // 7
	must(t, c.CommitSeq(6)) // up to 6: 7 is read again
	if n, err := c.Committed(); err != nil || n != 7 {
		t.Fatalf("Committed() after CommitSeq(6) = %d, %v; want 7", n, err)
	}
	must(t, c.Close())
	c = mustConsumer(t, dir, "orders", "billing", nil)
	if got := nextSeq(t, c.Reader); got != 7 {
		t.Fatalf("after CommitSeq(6) the consumer resumes at %d, want 7", got)
	}
}

func TestConsumerCommitSeqOfARecordNotReturnedIsInvalidArgument(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	c := mustConsumer(t, dir, "orders", "billing", nil)
	for i := 0; i < 3; i++ {
		nextSeq(t, c.Reader)
	}
	wantErr(t, "CommitSeq(5) after reading 0 to 2", c.CommitSeq(5), ErrInvalidArgument, "not returned yet")
	if n, err := c.Committed(); err != nil || n != 0 {
		t.Fatalf("Committed() after a refused commit = %d, %v; want 0", n, err)
	}
	if got := nextSeq(t, c.Reader); got != 3 {
		t.Fatalf("the refused commit moved the reader: next seq %d, want 3", got)
	}
}

func TestConsumerCommitSeqBeforeTheLastCommitIsInvalidArgument(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	c := mustConsumer(t, dir, "orders", "billing", nil)
	for i := 0; i < 10; i++ {
		nextSeq(t, c.Reader)
	}
	must(t, c.CommitSeq(7))
	wantErr(t, "CommitSeq(3) after CommitSeq(7)", c.CommitSeq(3), ErrInvalidArgument, "billing.consumer", "record 3", "seek")
	if n, err := c.Committed(); err != nil || n != 8 {
		t.Fatalf("Committed() after a refused commit = %d, %v; want 8", n, err)
	}
	// Moving back on purpose: seek the reader there and Commit.
	must(t, c.SeekSeq(2))
	must(t, c.Commit())
	if n, err := c.Committed(); err != nil || n != 2 {
		t.Fatalf("Committed() after SeekSeq(2) and Commit = %d, %v; want 2", n, err)
	}
}

func TestConsumerSecondOpenOfAHeldNameIsLocked(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 3, 7)
	c := mustConsumer(t, dir, "orders", "billing", nil)
	again, err := OpenConsumer(dir, "orders", "billing", nil)
	wantErr(t, "second OpenConsumer", err, ErrLocked, "billing.consumer")
	if again != nil {
		t.Fatal("a refused open returned a consumer")
	}
	wantCode(t, RemoveConsumer(dir, "billing"), ErrLocked)
	other := mustConsumer(t, dir, "orders", "audit", nil) // another name is free
	if got := nextSeq(t, other.Reader); got != 0 {
		t.Fatalf("consumer audit starts at %d, want 0", got)
	}
	must(t, c.Close())
	mustConsumer(t, dir, "orders", "billing", nil) // free once closed
}

func TestConsumerStartsWhereItsOptionsSay(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	c := mustConsumer(t, dir, "orders", "at", &ConsumerOptions{Start: StartSeq, Seq: 25})
	if got := nextSeq(t, c.Reader); got != 25 {
		t.Fatalf("StartSeq 25 starts at %d", got)
	}
	c = mustConsumer(t, dir, "orders", "end", &ConsumerOptions{Start: StartEnd})
	if _, err := c.Next(); err != io.EOF {
		t.Fatalf("StartEnd: Next = %v, want io.EOF", err)
	}
	_, err := OpenConsumer(dir, "orders", "a/b", nil)
	wantErr(t, "name a/b", err, ErrInvalidArgument, "consumer name")
	_, err = OpenConsumer(dir, "orders", "bad", &ConsumerOptions{Start: 9})
	wantErr(t, "start 9", err, ErrInvalidArgument, "unknown consumer start")
	_, err = OpenConsumer(dir, "orders", "old", &ConsumerOptions{Start: StartTime})
	wantCode(t, err, ErrInvalidArgument) // a zero Time is outside int64 ns
}

func TestPositionTokenSeeksAnotherReaderToTheSameRecord(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	a, err := OpenLogReader(dir, "orders")
	must(t, err)
	defer a.Close()
	for i := 0; i < 17; i++ {
		nextSeq(t, a)
	}
	token, err := a.Position()
	must(t, err)
	if !strings.Contains(token, "orders@17") {
		t.Fatalf("token %q does not name orders@17", token)
	}
	b, err := OpenLogReader(dir, "orders")
	must(t, err)
	defer b.Close()
	must(t, b.SeekPosition(token))
	if got := nextSeq(t, b); got != 17 {
		t.Fatalf("reader B after SeekPosition(%q) reads seq %d, want 17", token, got)
	}
	// A consumer's reader has a position too, and takes a token.
	c := mustConsumer(t, dir, "orders", "billing", nil)
	must(t, c.SeekPosition(token))
	if got := nextSeq(t, c.Reader); got != 17 {
		t.Fatalf("consumer after SeekPosition reads seq %d, want 17", got)
	}
	must(t, c.Commit())
	if n, _ := c.Committed(); n != 18 {
		t.Fatalf("Committed() after seeking and reading 17 = %d, want 18", n)
	}
}

func TestPositionTokenOfAnotherLogIsRefused(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	writeRecords(t, dir, "payments", 3, 10)
	a, err := OpenLogReader(dir, "orders")
	must(t, err)
	defer a.Close()
	nextSeq(t, a)
	token, err := a.Position()
	must(t, err)
	p, err := OpenLogReader(dir, "payments")
	must(t, err)
	defer p.Close()
	wantErr(t, "token of orders on payments", p.SeekPosition(token), ErrInvalidArgument, "not in log payments")
	wantCode(t, p.SeekPosition("no token"), ErrInvalidArgument)
	wantCode(t, p.SeekPosition("a\x00b"), ErrInvalidArgument)
	if got := nextSeq(t, p); got != 0 {
		t.Fatalf("a refused seek moved the reader to %d", got)
	}
	seg, err := filepath.Glob(filepath.Join(dir, "payments*.binlog*"))
	if err != nil || len(seg) == 0 {
		t.Fatalf("no segment of payments: %v", err)
	}
	_, err = mustReader(t, seg[0]).Position()
	wantCode(t, err, ErrInvalidArgument) // a reader of one segment
}

func TestMergedConsumerResumesEachLog(t *testing.T) {
	dir := t.TempDir()
	writeLogAt(t, dir, "orders", 3, []int64{1, 3, 5, 7, 9, 11})
	writeLogAt(t, dir, "payments", 3, []int64{2, 4, 6, 8, 10, 12})
	plain, err := OpenMergedReader(dir, "", "")
	must(t, err)
	defer plain.Close()
	all := readMerged(t, plain)
	if len(all) != 12 {
		t.Fatalf("merged read of both logs: %v", all)
	}

	c, err := OpenMergedConsumer(dir, "", "merged", nil)
	must(t, err)
	defer c.Close()
	if got := readMergedN(t, c.MergedReader, 5); !equalMerged(got, all[:5]) {
		t.Fatalf("first 5 of the merged consumer %v, want %v", got, all[:5])
	}
	must(t, c.Commit())
	readMergedN(t, c.MergedReader, 2) // not committed
	token, err := c.Position()
	must(t, err)
	if !strings.Contains(token, "orders@") || !strings.Contains(token, "payments@") {
		t.Fatalf("merged token %q does not name both logs", token)
	}
	_, err = OpenMergedConsumer(dir, "", "merged", nil)
	wantCode(t, err, ErrLocked)
	must(t, c.Close())
	must(t, c.Close())

	c, err = OpenMergedConsumer(dir, "", "merged", &ConsumerOptions{Start: StartEnd})
	must(t, err)
	defer c.Close()
	if got := readMerged(t, c.MergedReader); !equalMerged(got, all[5:]) {
		t.Fatalf("reopened merged consumer read %v, want %v", got, all[5:])
	}

	// The token seeks another merged reader to record 7 in both logs.
	other, err := OpenMergedReader(dir, "", "")
	must(t, err)
	defer other.Close()
	must(t, other.SeekPosition(token))
	if got := readMerged(t, other); !equalMerged(got, all[7:]) {
		t.Fatalf("after SeekPosition: %v, want %v", got, all[7:])
	}
	only, err := OpenMergedReader(dir, "", "orders")
	must(t, err)
	defer only.Close()
	wantCode(t, only.SeekPosition(token), ErrInvalidArgument) // payments is not merged there
}

func readMergedN(t *testing.T, r *MergedReader, n int) []merged {
	t.Helper()
	var out []merged
	for i := 0; i < n; i++ {
		rec, err := r.Next()
		must(t, err)
		out = append(out, merged{rec.TimestampNs, rec.Log, rec.Seq})
	}
	return out
}

func equalMerged(a, b []merged) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// retainedFirst writes record 0 to a log keeping one sealed segment of 5
// records, opens consumer slow there (committed at 0 at once) and closes
// it, writes 30 more records, and returns the seq the consumer opened again
// reads first and its gaps.
func retainedFirst(t *testing.T, r Retention) (uint64, []Gap) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "kept", &Options{MaxSegmentRecords: 5, Retention: r})
	must(t, err)
	defer w.Close()
	_, err = w.Write("t", []byte("x"))
	must(t, err)
	must(t, w.Flush())
	must(t, mustConsumer(t, dir, "kept", "slow", nil).Close())
	for i := 0; i < 30; i++ {
		_, err = w.Write("t", []byte("x"))
		must(t, err)
	}
	must(t, w.Flush())
	c := mustConsumer(t, dir, "kept", "slow", nil)
	seq := nextSeq(t, c.Reader)
	gaps, err := c.Gaps()
	must(t, err)
	return seq, gaps
}

func TestRetentionWaitForConsumersKeepsWhatAConsumerHasNotCommitted(t *testing.T) {
	seq, gaps := retainedFirst(t, Retention{MaxSegments: 1, WaitForConsumersMaxBytes: 1 << 20})
	if seq != 0 || len(gaps) != 0 {
		t.Fatalf("waiting for consumers: first seq %d, gaps %v; want 0 and none", seq, gaps)
	}
	seq, gaps = retainedFirst(t, Retention{MaxSegments: 1, WaitForConsumersMaxAge: time.Hour})
	if seq != 0 || len(gaps) != 0 {
		t.Fatalf("waiting for consumers an hour: first seq %d, gaps %v; want 0 and none", seq, gaps)
	}
	seq, gaps = retainedFirst(t, Retention{MaxSegments: 1})
	if seq == 0 || len(gaps) == 0 || gaps[0].Reason != GapRetention {
		t.Fatalf("without waiting: first seq %d, gaps %v; want records deleted by retention", seq, gaps)
	}
	_, err := OpenLog(t.TempDir(), "x", &Options{Retention: Retention{WaitForConsumersMaxAge: -time.Second}})
	wantErr(t, "negative WaitForConsumersMaxAge", err, ErrInvalidArgument, "WaitForConsumersMaxAge")
}

func TestRemoveConsumerForgetsItsPosition(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	c := mustConsumer(t, dir, "orders", "billing", nil)
	for i := 0; i < 10; i++ {
		nextSeq(t, c.Reader)
	}
	must(t, c.Commit())
	must(t, c.Close())
	must(t, RemoveConsumer(dir, "billing"))
	if _, err := os.Stat(filepath.Join(dir, "billing.consumer")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("billing.consumer after RemoveConsumer: %v", err)
	}
	wantErr(t, "second RemoveConsumer", RemoveConsumer(dir, "billing"), ErrNotFound, "billing.consumer")
	c = mustConsumer(t, dir, "orders", "billing", nil)
	if got := nextSeq(t, c.Reader); got != 0 {
		t.Fatalf("a removed consumer opened again starts at %d, want 0", got)
	}
}

func TestConsumerCommitLeavesARecordABatchHeldBack(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, "orders", 30, 7)
	c := mustConsumer(t, dir, "orders", "batch", nil)
	// Room for a few records, not 8: the first that does not fit is held.
	n, err := c.NextBatch(make([]byte, 3*7), make([]BatchRecord, 8))
	must(t, err)
	if n < 1 || n >= 8 {
		t.Fatalf("NextBatch returned %d records; the buffer holds a few", n)
	}
	must(t, c.Commit())
	must(t, c.Close())
	c = mustConsumer(t, dir, "orders", "batch", nil)
	if got := nextSeq(t, c.Reader); got != uint64(n) {
		t.Fatalf("after a batch of %d the consumer resumes at %d, want %d", n, got, n)
	}
}

// A consumer with Remote reads the segments shipped and removed locally
// from the bucket, and resumes after its commit there too.
func TestConsumerWithRemoteReadsShippedSegmentsAndResumes(t *testing.T) {
	dir := t.TempDir()
	w, opts := shipSevenRecords(t, dir, "go-"+t.Name())
	defer w.Close()
	c := mustConsumer(t, dir, "orders", "tiered", &ConsumerOptions{Remote: opts.URL})
	for _, want := range "abc" {
		rec, err := c.Next()
		must(t, err)
		if string(rec.Payload) != string(want) {
			t.Fatalf("tiered consumer read %q, want %q", rec.Payload, want)
		}
	}
	must(t, c.Commit())
	must(t, c.Close())
	c = mustConsumer(t, dir, "orders", "tiered", &ConsumerOptions{Remote: opts.URL})
	if got := payloads(t, c.Reader); got != "defg" {
		t.Fatalf("tiered consumer resumed with %q, want defg", got)
	}
	// A merged consumer of the directory and the bucket reads the log too.
	m, err := OpenMergedConsumer(dir, "orders", "merged-tiered", &ConsumerOptions{Remote: opts.URL})
	must(t, err)
	defer m.Close()
	if got := readMergedN(t, m.MergedReader, 7); got[6].seq != 6 {
		t.Fatalf("merged tiered consumer read %v", got)
	}
}
