package binlog

// The bad-input matrix through the Go binding: for each kind of bad input,
// every call that meets it returns an *Error whose Code no other kind
// shares (errors.Is works with it), whose message names the file (and the
// offset where the damage has one), and what was written stays. The same
// matrix is checked for Rust (tests/it/bad_input_matrix.rs), C and Java.

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"unsafe"
)

const foreignText = "id,name\n1,alice\n2,bob\n3,carol\n4,dave\n5,eve\n6,frank\n7,grace\n8,heidi\n9,ivan\n"

// readersRefuse: OpenReader, and a glob reader over just this file, fail
// with code, naming the file (and needles).
func readersRefuse(t *testing.T, path string, code Code, needles ...string) {
	t.Helper()
	r, err := OpenReader(path)
	if err == nil {
		r.Close()
	}
	wantErr(t, "OpenReader("+path+")", err, code, append([]string{path}, needles...)...)
	g, err := OpenGlob(filepath.Dir(path), filepath.Base(path))
	if err == nil {
		_, err = g.Next()
		g.Close()
	}
	wantErr(t, "OpenGlob + Next("+path+")", err, code, append([]string{path}, needles...)...)
}

// writerRefuses: OpenWriter fails with code, naming the file, and changes
// none of its bytes.
func writerRefuses(t *testing.T, path string, code Code) {
	t.Helper()
	before, _ := os.ReadFile(path)
	w, err := OpenWriter(path, nil)
	if err == nil {
		w.Close()
	}
	wantErr(t, "OpenWriter("+path+")", err, code, path)
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Fatalf("OpenWriter changed %s", path)
	}
}

func sealedSegment(t *testing.T, path string, n int) []byte {
	t.Helper()
	w := mustWriter(t, path, nil)
	for i := 0; i < n; i++ {
		_, err := w.Write("t", []byte(fmt.Sprint("r", i)))
		must(t, err)
	}
	must(t, w.Close())
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

// withoutDACOverride runs f on an OS thread without CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH, so that file permissions apply to root too
// (capabilities belong to a thread; that thread ends with the goroutine).
func withoutDACOverride(t *testing.T, f func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		type header struct {
			version uint32
			pid     int32
		}
		type data struct{ effective, permitted, inheritable uint32 }
		h := header{version: 0x20080522}
		var d [2]data
		if _, _, e := syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&h)), uintptr(unsafe.Pointer(&d[0])), 0); e != 0 {
			done <- fmt.Errorf("capget: %v", e)
			return
		}
		d[0].effective &^= 1<<1 | 1<<2 // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
		if _, _, e := syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&h)), uintptr(unsafe.Pointer(&d[0])), 0); e != 0 {
			done <- fmt.Errorf("capset: %v", e)
			return
		}
		defer func() { done <- nil }()
		f()
	}()
	must(t, <-done)
}

func TestBadInputMissing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "missing.binlog")
	r, err := OpenReader(p)
	if err == nil {
		r.Close()
	}
	wantErr(t, "OpenReader", err, ErrNotFound, p)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("errors.Is(%v, os.ErrNotExist) is false", err)
	}
	writerRefuses(t, filepath.Join(dir, "no-dir", "seg.binlog"), ErrNotFound)
	noLog := filepath.Join(dir, "no-log")
	_, err = OpenLogReader(noLog, "app")
	wantErr(t, "OpenLogReader", err, ErrNotFound, noLog)
	_, err = OpenGlob(noLog, "*.binlog")
	wantErr(t, "OpenGlob", err, ErrNotFound, noLog)
	if _, err := os.Stat(noLog); err == nil {
		t.Fatalf("a reader created %s", noLog)
	}
	// A log name the directory holds no file of: a misspelled one.
	logDir := filepath.Join(dir, "log")
	makeLog(t, logDir, "app", 2)
	_, err = OpenLogReader(logDir, "ap")
	wantErr(t, "OpenLogReader of a misspelled log", err, ErrNotFound, logDir, "no log 'ap'")
}

func TestBadInputUnreadable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "unreadable.binlog")
	want := sealedSegment(t, p, 3)
	must(t, os.Chmod(p, 0))
	withoutDACOverride(t, func() {
		r, err := OpenReader(p)
		if err == nil {
			r.Close()
		}
		wantErr(t, "OpenReader", err, ErrPermissionDenied, p)
		if !errors.Is(err, os.ErrPermission) {
			t.Errorf("errors.Is(%v, os.ErrPermission) is false", err)
		}
		w, err := OpenWriter(p, nil)
		if err == nil {
			w.Close()
		}
		wantErr(t, "OpenWriter", err, ErrPermissionDenied, p)
	})
	must(t, os.Chmod(p, 0o644))
	got, err := os.ReadFile(p)
	must(t, err)
	if string(got) != string(want) {
		t.Fatal("a refused open changed the file")
	}
}

func TestBadInputForeign(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.csv")
	must(t, os.WriteFile(p, []byte(foreignText), 0o644))
	readersRefuse(t, p, ErrNotABinlog, "offset 0")
	writerRefuses(t, p, ErrNotABinlog)
}

func TestBadInputOtherMajorVersion(t *testing.T) {
	p := filepath.Join(t.TempDir(), "v2.binlog")
	b := sealedSegment(t, p, 3)
	b[8], b[9] = 2, 0 // major version, u16 LE at offset 8
	hl := int(b[12]) | int(b[13])<<8 | int(b[14])<<16 | int(b[15])<<24
	crc := crc32.ChecksumIEEE(b[:hl-4])
	b[hl-4], b[hl-3], b[hl-2], b[hl-1] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	must(t, os.WriteFile(p, b, 0o644))
	readersRefuse(t, p, ErrUnsupportedVersion, "offset 8")
	writerRefuses(t, p, ErrUnsupportedVersion)
}

func TestBadInputEmptyAndShort(t *testing.T) {
	dir := t.TempDir()
	b := sealedSegment(t, filepath.Join(dir, "whole.binlog"), 3)
	for _, n := range []int{0, 1, 8, 20} {
		p := filepath.Join(dir, fmt.Sprintf("cut-%d.binlog", n))
		must(t, os.WriteFile(p, b[:n], 0o644))
		readersRefuse(t, p, ErrTruncated, fmt.Sprintf("offset %d", n))
	}
}

func TestBadInputDirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a-directory.binlog")
	must(t, os.Mkdir(p, 0o755))
	readersRefuse(t, p, ErrInvalidArgument)
	writerRefuses(t, p, ErrInvalidArgument)

	// And a file where a log directory is expected.
	f := filepath.Join(filepath.Dir(p), "not-a-dir")
	sealedSegment(t, f, 1)
	_, err := OpenLogReader(f, "app")
	wantErr(t, "OpenLogReader on a file", err, ErrInvalidArgument, f)
	_, err = OpenGlob(f, "*")
	wantErr(t, "OpenGlob on a file", err, ErrInvalidArgument, f)
	_, err = OpenLog(f, "app", nil)
	wantErr(t, "OpenLog on a file", err, ErrInvalidArgument, f)
}

func TestBadInputBitFlip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "flip.binlog")
	sealedSegment(t, p, 6)
	r := mustReader(t, p)
	var third uint64
	for i := 0; i < 4; i++ {
		rec, err := r.Next()
		must(t, err)
		third = rec.Offset
	}
	must(t, r.Close())
	b, err := os.ReadFile(p)
	must(t, err)
	b[third+12] ^= 0x04
	must(t, os.WriteFile(p, b, 0o644))
	r = mustReader(t, p)
	for i := 0; i < 3; i++ {
		rec, err := r.Next()
		must(t, err)
		if rec.Seq != uint64(i) || string(rec.Payload) != fmt.Sprint("r", i) {
			t.Fatalf("record %d before the damage: seq %d %q", i, rec.Seq, rec.Payload)
		}
	}
	_, err = r.Next()
	wantErr(t, "Next at the flipped record", err, ErrCorrupt, p, fmt.Sprintf("offset %d", third))
}

func TestBadInputOversized(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.binlog")
	w := mustWriter(t, p, &Options{MaxRecordSize: 256})
	_, err := w.Write("t", []byte("before"))
	must(t, err)
	_, err = w.Write("t", make([]byte, 300))
	wantErr(t, "Write of 300 bytes", err, ErrRecordTooLarge, p)
	seq, err := w.Write("t", []byte("after"))
	must(t, err)
	if seq != 1 {
		t.Fatalf("seq after a refused record: %d, want 1", seq)
	}
	must(t, w.Close())
	recs := readAll(t, mustReader(t, p))
	if len(recs) != 2 || string(recs[0].Payload) != "before" || string(recs[1].Payload) != "after" {
		t.Fatalf("records after a refused one: %v", recs)
	}
}

// A nil *Writer or *Reader (Go's NULL handle) is an error, not a panic,
// as with a nil *os.File.
func TestBadInputNilHandles(t *testing.T) {
	var w *Writer
	var r *Reader
	call := func(what string, f func() error) {
		t.Helper()
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			err = f()
		}()
		wantErr(t, what, err, ErrNullPointer)
	}
	call("nil Writer.Write", func() error { _, err := w.Write("t", nil); return err })
	call("nil Writer.Flush", w.Flush)
	call("nil Writer.Close", w.Close)
	call("nil Reader.Next", func() error { _, err := r.Next(); return err })
	call("nil Reader.SeekSeq", func() error { return r.SeekSeq(0) })
	call("nil Reader.Close", r.Close)
}

func TestBadInputAfterClose(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "closed.binlog")
	w := mustWriter(t, p, nil)
	_, err := w.Write("t", []byte("kept"))
	must(t, err)
	must(t, w.Close())
	_, err = w.Write("t", []byte("x"))
	wantErr(t, "Write after Close", err, ErrClosed, p)
	wantErr(t, "Flush after Close", w.Flush(), ErrClosed, p)
	wantErr(t, "Sync after Close", w.Sync(), ErrClosed, p)

	r, err := OpenReader(p)
	must(t, err)
	must(t, r.Close())
	_, err = r.Next()
	wantErr(t, "Next after Close", err, ErrClosed, p)
	wantErr(t, "SeekSeq after Close", r.SeekSeq(0), ErrClosed, p)

	logDir := filepath.Join(dir, "log")
	lw, err := OpenLog(logDir, "app", nil)
	must(t, err)
	must(t, lw.Close())
	_, err = lw.Write("t", nil)
	wantErr(t, "log Write after Close", err, ErrClosed, logDir)
	wantErr(t, "log Roll after Close", lw.Roll(), ErrClosed, logDir)

	lr, err := OpenLogReader(logDir, "app")
	must(t, err)
	must(t, lr.Close())
	_, err = lr.Next()
	wantErr(t, "log reader Next after Close", err, ErrClosed, logDir)

	recs := readAll(t, mustReader(t, p))
	if len(recs) != 1 || string(recs[0].Payload) != "kept" {
		t.Fatalf("after the refused calls: %v", recs)
	}
}

// makeLog writes log name in dir: n records "<name>-<i>" in segments of 3;
// returns its segment files in order.
func makeLog(t *testing.T, dir, name string, n int) []string {
	t.Helper()
	w, err := OpenLog(dir, name, &Options{MaxSegmentRecords: 3})
	must(t, err)
	for i := 0; i < n; i++ {
		_, err := w.Write("t", []byte(fmt.Sprintf("%s-%d", name, i)))
		must(t, err)
	}
	must(t, w.Close())
	segs, err := filepath.Glob(filepath.Join(dir, name+"-*.binlog"))
	must(t, err)
	sort.Strings(segs)
	return segs
}

// badLogSegment: log "app" with segment 1 replaced by spoil; the log reader
// stops there with code naming it, after records 0..2, and OpenLog refuses
// the log with code, leaving the segment as it is.
func badLogSegment(t *testing.T, code Code, spoil func(seg string)) {
	t.Helper()
	dir := t.TempDir()
	segs := makeLog(t, dir, "app", 9)
	if len(segs) != 3 {
		t.Fatalf("segments %v", segs)
	}
	spoil(segs[1])
	before, _ := os.ReadFile(segs[1])
	r, err := OpenLogReader(dir, "app")
	must(t, err)
	defer r.Close()
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			t.Fatalf("the log reader read past %s (%d records)", segs[1], i)
		}
		if err != nil {
			if i != 3 {
				t.Fatalf("stopped after %d records, want 3: %v", i, err)
			}
			wantErr(t, "log reader", err, code, segs[1])
			break
		}
		if want := fmt.Sprint("app-", i); string(rec.Payload) != want {
			t.Fatalf("record %d: %q, want %q", i, rec.Payload, want)
		}
	}
	w, err := OpenLog(dir, "app", nil)
	if err == nil {
		w.Close()
	}
	wantErr(t, "OpenLog", err, code, segs[1])
	after, _ := os.ReadFile(segs[1])
	if string(after) != string(before) {
		t.Fatalf("a refused OpenLog changed %s", segs[1])
	}
}

func TestBadInputLogSegments(t *testing.T) {
	t.Run("other log", func(t *testing.T) {
		badLogSegment(t, ErrWrongLog, func(seg string) {
			o := makeLog(t, t.TempDir(), "other", 9)
			b, err := os.ReadFile(o[1])
			must(t, err)
			must(t, os.WriteFile(seg, b, 0o644))
		})
	})
	t.Run("foreign file", func(t *testing.T) {
		badLogSegment(t, ErrNotABinlog, func(seg string) {
			must(t, os.WriteFile(seg, []byte(foreignText), 0o644))
		})
	})
	t.Run("directory", func(t *testing.T) {
		badLogSegment(t, ErrInvalidArgument, func(seg string) {
			must(t, os.Remove(seg))
			must(t, os.Mkdir(seg, 0o755))
		})
	})
}

// A full disk: a 256 KiB tmpfs mounted for the test (it needs root, as
// tests/it/disk_full.rs does, and fails rather than skips without it).
// Unbuffered writes go on until one fails with ErrDiskFull naming the
// file; every write acknowledged before it is read back.
func TestBadInputDiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		t.Fatalf("mount a tmpfs at %s (needs root): %v", dir, err)
	}
	defer func() { must(t, syscall.Unmount(dir, syscall.MNT_DETACH)) }()
	p := filepath.Join(dir, "full.binlog")
	w := mustWriter(t, p, &Options{BufferSize: Unbuffered})
	payload := make([]byte, 3000)
	acked := 0
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		payload[0], payload[len(payload)-1] = byte(i), byte(i)
		if _, err = w.Write("t", payload); err == nil {
			acked++
		}
	}
	wantErr(t, "Write on a full disk", err, ErrDiskFull, p)
	w.Close() // may fail: the seal does not fit either
	recs := readAll(t, mustReader(t, p))
	if len(recs) != acked || acked < 10 {
		t.Fatalf("%d records read back, %d acknowledged", len(recs), acked)
	}
	for i, r := range recs {
		if r.Seq != uint64(i) || len(r.Payload) != len(payload) || r.Payload[0] != byte(i) || r.Payload[len(payload)-1] != byte(i) {
			t.Fatalf("record %d read back wrong: seq %d, %d bytes", i, r.Seq, len(r.Payload))
		}
	}
}

// A path or name with a NUL byte inside (C would cut it there) is refused
// before the library is called, and the message names it.
func TestBadInputNulInPath(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "a\x00b.binlog")
	_, err := OpenWriter(bad, nil)
	wantErr(t, "OpenWriter", err, ErrInvalidArgument, "path", dir, "contains a NUL byte")
	_, err = OpenReader(bad)
	wantErr(t, "OpenReader", err, ErrInvalidArgument, "path", dir)
	_, err = OpenLog(dir, "x\x00y", nil)
	wantErr(t, "OpenLog", err, ErrInvalidArgument, "name", `x\x00y`)
}
