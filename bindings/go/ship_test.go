package binlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// s3Env is the variable name of tests/with_s3_server.sh, which `make
// test-go` runs the tests inside; the test fails without it.
func s3Env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the tests under tests/with_s3_server.sh (make test-go)", name)
	}
	return v
}

// shipOptions reach the test server, under a prefix of the test's own.
func shipOptions(t *testing.T, prefix string) ShipOptions {
	return ShipOptions{
		URL:             "s3://" + s3Env(t, "BINLOG_TEST_S3_BUCKET") + "/" + prefix,
		Endpoint:        s3Env(t, "BINLOG_TEST_S3_ENDPOINT"),
		Region:          s3Env(t, "BINLOG_TEST_S3_REGION"),
		AccessKeyID:     s3Env(t, "BINLOG_TEST_S3_ACCESS_KEY"),
		SecretAccessKey: s3Env(t, "BINLOG_TEST_S3_SECRET_KEY"),
	}
}

// objects lists the segment objects of log under prefix, as the server
// keeps them (one file per object).
func objects(t *testing.T, prefix, log string) []string {
	dir := filepath.Join(s3Env(t, "BINLOG_TEST_S3_ROOT"), s3Env(t, "BINLOG_TEST_S3_BUCKET"), prefix, log)
	names, _ := filepath.Glob(filepath.Join(dir, "*.binlog"))
	return names
}

func TestShipperUploadsSealedSegmentsOnceAndRemovesPastKeepLocal(t *testing.T) {
	dir := t.TempDir()
	prefix := "go-" + t.Name()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2})
	must(t, err)
	for i := 0; i < 7; i++ { // segments 0..2 sealed, 3 active
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	must(t, w.Flush())
	opts := shipOptions(t, prefix)
	opts.RemoveLocal, opts.KeepLocal = true, 1
	s, err := OpenShipper(dir, "orders", opts)
	must(t, err)
	r, err := s.ShipOnce()
	must(t, err)
	if want := (ShipReport{Uploaded: 3, RemovedLocal: 2}); r != want {
		t.Fatalf("first pass: %+v, want %+v", r, want)
	}
	if got := objects(t, prefix, "orders"); len(got) != 3 {
		t.Fatalf("objects in the bucket: %v", got)
	}
	segs, err := ListSegments(dir, "orders")
	must(t, err)
	if len(segs) != 2 || segs[0].SegmentNo != 2 {
		t.Fatalf("local segments after the pass: %+v", segs)
	}
	if r, err = s.ShipOnce(); err != nil || r != (ShipReport{}) {
		t.Fatalf("second pass: %+v, %v", r, err)
	}
	_, err = OpenShipper(dir, "orders", opts)
	wantErr(t, "a second shipper", err, ErrLocked, "orders.ship.lock")
	must(t, s.Close())
	_, err = s.ShipOnce()
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("ShipOnce after Close: %v", err)
	}
	must(t, w.Close())
}

func TestShipperRefusesWrongCredentialsAndABadURL(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2})
	must(t, err)
	for i := 0; i < 3; i++ {
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	must(t, w.Close())
	opts := shipOptions(t, "go-"+t.Name())
	opts.SecretAccessKey = "wrong-secret"
	_, err = OpenShipper(dir, "orders", opts)
	wantErr(t, "wrong secret", err, ErrPermissionDenied, "s3://")
	opts.URL = "http://not-s3/x"
	_, err = OpenShipper(dir, "orders", opts)
	wantErr(t, "bad URL", err, ErrInvalidArgument, "s3://bucket/prefix")
	_, err = OpenShipper(dir, "orders", ShipOptions{})
	wantErr(t, "no URL", err, ErrInvalidArgument, "no destination")
}

func TestAnObjectLockIsRefusedWhereTheBucketHasNoneAndClearedLetsTheShipperOpen(t *testing.T) {
	dir := t.TempDir()
	prefix := "go-" + t.Name()
	writeLog(t, dir, "orders", 2, 5) // segments 0..2 sealed
	opts := shipOptions(t, prefix)
	// The test bucket has no Object Lock: a shipper asked to lock does not open.
	opts.ObjectLock, opts.ObjectLockDays = LockGovernance, 30
	_, err := OpenShipper(dir, "orders", opts)
	wantErr(t, "a lock into the test bucket", err, ErrInvalidArgument, "objects cannot be locked in this bucket", "Object Lock")
	opts.ObjectLock, opts.ObjectLockDays = LockCompliance, 0
	_, err = OpenShipper(dir, "orders", opts)
	wantErr(t, "a lock of 0 days", err, ErrInvalidArgument, "object lock of 0 days")
	_, err = OpenShipper(dir, "orders", ShipOptions{URL: opts.URL, ObjectLock: LockMode(3), ObjectLockDays: 30})
	wantErr(t, "an unknown lock mode", err, ErrInvalidArgument, "unknown lock mode 3")
	if got := objects(t, prefix, "orders"); len(got) != 0 {
		t.Fatalf("objects after the refusals: %v", got)
	}
	// Set, then taken back: the shipper locks nothing and ships.
	opts.ObjectLock, opts.ObjectLockDays = LockNone, 30
	s, err := OpenShipper(dir, "orders", opts)
	must(t, err)
	if r, err := s.ShipOnce(); err != nil || r.Uploaded != 3 {
		t.Fatalf("ship with the lock cleared: %+v, %v", r, err)
	}
	must(t, s.Close())
}

// writeLog writes n records to a new log name in dir, perSegment records
// a segment, and closes it.
func writeLog(t *testing.T, dir, name string, perSegment uint64, n int) {
	t.Helper()
	w, err := OpenLog(dir, name, &Options{MaxSegmentRecords: perSegment})
	must(t, err)
	for i := 0; i < n; i++ {
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	must(t, w.Close())
}

func TestShippingAnotherLogToAClaimedPrefixIsRefusedAndUploadsNothing(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	prefix := "go-" + t.Name()
	opts := shipOptions(t, prefix)
	writeLog(t, first, "orders", 2, 5) // segments 0..2 sealed
	s, err := OpenShipper(first, "orders", opts)
	must(t, err)
	if r, err := s.ShipOnce(); err != nil || r.Uploaded != 3 {
		t.Fatalf("first log: %+v, %v", r, err)
	}
	must(t, s.Close())
	before := objects(t, prefix, "orders")

	// Another log of the same name, its segments named otherwise.
	writeLog(t, second, "orders", 1, 6)
	_, err = OpenShipper(second, "orders", opts)
	claim := "s3://" + s3Env(t, "BINLOG_TEST_S3_BUCKET") + "/" + prefix + "/orders/claim"
	wantErr(t, "a second log at the prefix", err, ErrWrongLog, claim, "claimed by another log")
	if after := objects(t, prefix, "orders"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("objects after the refusal: %v, before: %v", after, before)
	}
	// The claim stays the first log's: it ships on.
	writeLog(t, first, "orders", 2, 2)
	s, err = OpenShipper(first, "orders", opts)
	must(t, err)
	if r, err := s.ShipOnce(); err != nil || r.Uploaded == 0 {
		t.Fatalf("first log again: %+v, %v", r, err)
	}
	must(t, s.Close())
}

func TestAShippedLogKeepsItsSegmentsUntilUploadedAndItsHardCapCounts(t *testing.T) {
	dir := t.TempDir()
	keep := Retention{MaxSegments: 1, UntilShipped: true}
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2, Retention: keep})
	must(t, err)
	for i := 0; i < 7; i++ { // segments 0..2 sealed, 3 active
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	if segs, _ := ListSegments(dir, "orders"); len(segs) != 4 {
		t.Fatalf("before shipping: %+v", segs)
	}
	s, err := OpenShipper(dir, "orders", shipOptions(t, "go-"+t.Name()))
	must(t, err)
	if r, err := s.ShipOnce(); err != nil || r.Uploaded != 3 {
		t.Fatalf("ship: %+v, %v", r, err)
	}
	must(t, s.Close())
	for i := 0; i < 2; i++ { // seals 3: 0..2 are uploaded and go
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	if segs, _ := ListSegments(dir, "orders"); len(segs) != 2 || segs[0].SegmentNo != 3 {
		t.Fatalf("after shipping: %+v", segs)
	}
	must(t, w.Close())

	capped := Retention{UntilShipped: true, HardMaxBytes: 1}
	w, err = OpenLog(dir, "capped", &Options{MaxSegmentRecords: 2, Retention: capped})
	must(t, err)
	for i := 0; i < 7; i++ {
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	if n, err := w.DroppedUnshipped(); err != nil || n != 3 {
		t.Fatalf("DroppedUnshipped: %d, %v", n, err)
	}
	must(t, w.Close())
}

// shipSevenRecords writes log "orders" of records "a".."g", two a segment,
// in dir, ships its three sealed segments under prefix and removes them
// locally, and sets the environment a tiered reader takes the bucket's
// endpoint and credentials from. The writer is still open.
func shipSevenRecords(t *testing.T, dir, prefix string) (*Writer, ShipOptions) {
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2})
	must(t, err)
	for i := 0; i < 7; i++ { // segments 0..2 sealed, 3 active
		_, err := w.Write("t", []byte{byte('a' + i)})
		must(t, err)
	}
	must(t, w.Flush())
	opts := shipOptions(t, prefix)
	opts.RemoveLocal, opts.KeepLocal = true, 0
	s, err := OpenShipper(dir, "orders", opts)
	must(t, err)
	if r, err := s.ShipOnce(); err != nil || r.RemovedLocal != 3 {
		t.Fatalf("ship: %+v, %v", r, err)
	}
	must(t, s.Close())
	setAWSEnv(t, opts)
	return w, opts
}

// setAWSEnv puts the server of opts in the environment, where a tiered
// reader finds it, for the test's duration.
func setAWSEnv(t *testing.T, opts ShipOptions) {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":      opts.Endpoint,
		"AWS_REGION":            opts.Region,
		"AWS_ACCESS_KEY_ID":     opts.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": opts.SecretAccessKey,
	} {
		t.Setenv(k, v)
	}
}

// payloads reads r to its end: the records' payloads, one after another.
func payloads(t *testing.T, r *Reader) string {
	var got []byte
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return string(got)
		}
		must(t, err)
		got = append(got, rec.Payload...)
	}
}

func TestATieredReaderReadsShippedSegmentsRemovedLocallyFromTheBucket(t *testing.T) {
	dir := t.TempDir()
	w, opts := shipSevenRecords(t, dir, "go-"+t.Name())
	r, err := OpenLogTieredReader(dir, "orders", opts.URL)
	must(t, err)
	if got := payloads(t, r); got != "abcdefg" {
		t.Fatalf("tiered read: %q", got)
	}
	if n, err := r.GapCount(); err != nil || n != 0 {
		t.Fatalf("gaps: %d, %v", n, err)
	}
	must(t, r.Close())
	// Without the bucket, only the live segment's record is left.
	r, err = OpenLogReader(dir, "orders")
	must(t, err)
	if got := payloads(t, r); got != "g" {
		t.Fatalf("local read: %q, want the live segment's record", got)
	}
	must(t, r.Close())
	must(t, w.Close())
}

// A follower on a host that has the bucket alone (its directory holds
// none of the log) reads the records of each segment shipped after it
// reached the end, and a wait with nothing new ends at its timeout.
func TestATieredFollowerReadsSegmentsShippedAfterItReachedTheEnd(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2})
	must(t, err)
	defer w.Close()
	write := func(payloads string) {
		for _, p := range []byte(payloads) {
			_, err := w.Write("t", []byte{p})
			must(t, err)
		}
		must(t, w.Flush())
	}
	opts := shipOptions(t, "go-"+t.Name())
	ship := func(want uint64) {
		s, err := OpenShipper(dir, "orders", opts)
		must(t, err)
		defer s.Close()
		if r, err := s.ShipOnce(); err != nil || r.Uploaded != want {
			t.Fatalf("ship: %+v, %v; want %d uploaded", r, err, want)
		}
	}
	write("abcde") // segments 0 and 1 sealed, 2 live
	ship(2)
	setAWSEnv(t, opts)
	r, err := OpenLogTieredReader(elsewhere, "orders", opts.URL)
	must(t, err)
	defer r.Close()
	follow := func(n int) (got string) {
		for i := 0; i < n; i++ {
			rec, err := r.NextWait(20 * time.Second) // bounds a hang only
			must(t, err)
			got += string(rec.Payload)
		}
		return got
	}
	if got := follow(4); got != "abcd" {
		t.Fatalf("before the wait: %q", got)
	}
	if rec, err := r.NextWait(500 * time.Millisecond); !errors.Is(err, io.EOF) {
		t.Fatalf("nothing new: %+v, %v; want io.EOF", rec, err)
	}
	write("fg") // seals segment 2 (e, f)
	ship(1)
	if got := follow(2); got != "ef" {
		t.Fatalf("shipped after the end: %q", got)
	}
	if rec, err := r.NextWait(500 * time.Millisecond); !errors.Is(err, io.EOF) {
		t.Fatalf("nothing new again: %+v, %v; want io.EOF (g is not shipped)", rec, err)
	}
}

// An object deleted from the bucket is a gap that names it by its URL and
// says which records are lost and why.
func TestATieredReaderReportsAnObjectDeletedFromTheBucketAsAMissingGap(t *testing.T) {
	dir := t.TempDir()
	prefix := "go-" + t.Name()
	w, opts := shipSevenRecords(t, dir, prefix)
	defer w.Close()
	key := fmt.Sprintf("%020d-%020d.binlog", 1, 2)
	must(t, os.Remove(filepath.Join(s3Env(t, "BINLOG_TEST_S3_ROOT"), s3Env(t, "BINLOG_TEST_S3_BUCKET"), prefix, "orders", key)))
	r, err := OpenLogTieredReader(dir, "orders", opts.URL)
	must(t, err)
	defer r.Close()
	if got := payloads(t, r); got != "abefg" {
		t.Fatalf("tiered read: %q", got)
	}
	gaps, err := r.Gaps()
	must(t, err)
	want := Gap{Reason: GapMissing, Path: opts.URL + "/orders/" + key, HasFromSeq: true, FromSeq: 2, HasToSeq: true, ToSeq: 4}
	if len(gaps) != 1 || gaps[0] != want || gaps[0].Reason.String() != "missing" {
		t.Fatalf("gaps %+v, want %+v", gaps, want)
	}
}

func TestDroppedUnshippedCountsWhatCloseDroppedAndReadsAfterClose(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, "sizes", 2, 3) // segment 0 holds 2 records, as each full one below
	sizes, err := ListSegments(dir, "sizes")
	must(t, err)
	// Room for one full sealed segment: each seal drops the one before.
	capped := Retention{UntilShipped: true, HardMaxBytes: sizes[0].Bytes + 1}
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2, Retention: capped})
	must(t, err)
	for i := 0; i < 7; i++ { // seals 0..2: 0 and 1 dropped
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	if n, err := w.DroppedUnshipped(); err != nil || n != 2 {
		t.Fatalf("before Close: %d, %v", n, err)
	}
	must(t, w.Close()) // seals 3: 2 dropped
	if n, err := w.DroppedUnshipped(); err != nil || n != 3 {
		t.Fatalf("after Close: %d, %v", n, err)
	}
	if segs, _ := ListSegments(dir, "orders"); len(segs) != 1 || segs[0].SegmentNo != 3 {
		t.Fatalf("left after Close: %+v", segs)
	}
	seg, err := OpenWriter(filepath.Join(dir, "one.binlog"), nil)
	must(t, err)
	must(t, seg.Close())
	if _, err := seg.DroppedUnshipped(); !errors.Is(err, ErrClosed) {
		t.Fatalf("a closed segment writer: %v", err)
	}
}

func TestPruneRemoteDeletesTheOldestObjectsAndKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	prefix := "go-" + t.Name()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2})
	must(t, err)
	for i := 0; i < 8; i++ { // segments 0..3, sealed by the close
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	must(t, w.Close())
	opts := shipOptions(t, prefix)
	s, err := OpenShipper(dir, "orders", opts)
	must(t, err)
	_, err = s.ShipOnce()
	must(t, err)
	must(t, s.Close())
	if n := len(objects(t, prefix, "orders")); n != 4 {
		t.Fatalf("%d objects shipped, want 4", n)
	}
	opts.RemoteRetention = RemoteRetention{MaxCount: 1}
	dry, err := PruneRemote("orders", opts, true)
	must(t, err)
	if want := (PruneReport{Deleted: 3, Kept: 1, PrunedThrough: 2, HasPruned: true}); dry != want {
		t.Fatalf("dry run: %+v, want %+v", dry, want)
	}
	if n := len(objects(t, prefix, "orders")); n != 4 {
		t.Fatalf("a dry run deleted: %d objects left", n)
	}
	r, err := PruneRemote("orders", opts, false)
	must(t, err)
	if r != dry {
		t.Fatalf("prune: %+v, want %+v", r, dry)
	}
	if n := len(objects(t, prefix, "orders")); n != 1 {
		t.Fatalf("%d objects left, want 1", n)
	}
	_, err = PruneRemote("", opts, false)
	wantErr(t, "no name", err, ErrInvalidArgument, "")
}

func TestAPruneStoppedByAnObjectLockReportsTheLockedObject(t *testing.T) {
	dir := t.TempDir()
	prefix := "go-" + t.Name()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 2})
	must(t, err)
	for i := 0; i < 4; i++ { // segments 0 and 1, sealed by the close
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	must(t, w.Close())
	opts := shipOptions(t, prefix)
	opts.URL = "s3://" + s3Env(t, "BINLOG_TEST_S3_LOCKED_BUCKET") + "/" + prefix
	opts.ObjectLock, opts.ObjectLockDays = LockGovernance, 1
	s, err := OpenShipper(dir, "orders", opts)
	must(t, err)
	if r, err := s.ShipOnce(); err != nil || r != (ShipReport{Uploaded: 2}) {
		t.Fatalf("a pass without remote retention: %+v, %v", r, err)
	}
	must(t, s.Close())
	// Keeping one object would delete segment 0's, which its lock keeps.
	opts.RemoteRetention = RemoteRetention{MaxCount: 1}
	p, err := PruneRemote("orders", opts, false)
	must(t, err)
	now := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	l := p.Locked
	if p.Deleted != 0 || p.Kept != 2 || l == nil {
		t.Fatalf("prune of locked objects: %+v", p)
	}
	if key := fmt.Sprintf("%s/orders/%020d-%020d.binlog", prefix, 0, 0); l.Key != key || l.Segment != 0 {
		t.Fatalf("locked object %+v, want key %s", *l, key)
	}
	if l.LegalHold || len(l.RetainUntil) < 20 || l.RetainUntil <= now {
		t.Fatalf("locked object %+v: want a retention date after %s", *l, now)
	}
	// The prune of the shipper's remote retention stops at the same object.
	s, err = OpenShipper(dir, "orders", opts)
	must(t, err)
	defer s.Close()
	r, err := s.ShipOnce()
	must(t, err)
	if r.PruneLocked == nil || *r.PruneLocked != *l {
		t.Fatalf("a pass with remote retention: %+v, lock %+v, want %+v", r, r.PruneLocked, *l)
	}
}
