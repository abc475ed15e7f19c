package binlog

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The child process of TestSealInBackgroundTellsTheModesApart, run by the
// test binary itself with these variables set.
const (
	sealChildDir = "BINLOG_GO_SEAL_CHILD_DIR"
	sealChildBg  = "BINLOG_GO_SEAL_CHILD_BG"
)

// TestSealInBackgroundTellsTheModesApart makes a roll's seal fail (a file
// size limit just past the old segment's records plus its 17-byte
// SEAL_BEGIN, in a child process) and checks where the failure shows: with
// SealInBackground the writes go on and the log's background thread counts
// the failed seal and its retry, each leaving SEAL_BEGIN; without it the
// write that rolled returns the error. Either mode fails this test if the
// option were not passed to the library.
func TestSealInBackgroundTellsTheModesApart(t *testing.T) {
	if dir := os.Getenv(sealChildDir); dir != "" {
		failASeal(dir, os.Getenv(sealChildBg) == "1")
		return
	}
	for _, bg := range []bool{true, false} {
		t.Run(fmt.Sprintf("background=%v", bg), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestSealInBackgroundTellsTheModesApart$")
			flag := "0"
			if bg {
				flag = "1"
			}
			cmd.Env = append(os.Environ(), sealChildDir+"="+dir, sealChildBg+"="+flag)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			report := map[string]string{}
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(sc.Text(), "SEAL-CHILD "); ok {
					k, v, _ := strings.Cut(rest, " ")
					report[k] = v
				}
			}
			if bg {
				if report["write-error"] != "none" || report["failures"] != "2" {
					t.Fatalf("background: writes must go on and the seal failure be counted; child said %v\n%s",
						report, out)
				}
				// Segment 0 was cut back to its records and SEAL_BEGIN.
				var end int64
				fmt.Sscan(report["records-end"], &end)
				segs, _ := filepath.Glob(filepath.Join(dir, "s-*.binlog"))
				if len(segs) != 2 {
					t.Fatalf("segments %v, want 2", segs)
				}
				st, err := os.Stat(segs[0])
				must(t, err)
				if st.Size() != end+17 {
					t.Fatalf("segment 0 is %d bytes, want %d (records) + 17 (SEAL_BEGIN)", st.Size(), end)
				}
			} else if e := report["write-error"]; e == "" || e == "none" {
				t.Fatalf("in the write path: the write that rolled must return the seal's error; child said %v\n%s",
					report, out)
			}
		})
	}
}

// failASeal, in the child: 1000 records of a log rolling every 1000, a file
// size limit just past where the roll's SEAL_BEGIN ends, then 10 more
// records (the roll comes first). Exits without closing (a close would
// retry the seal).
func failASeal(dir string, bg bool) {
	say := func(k string, v any) { fmt.Printf("SEAL-CHILD %s %v\n", k, v) }
	fail := func(err error) {
		say("error", err)
		os.Exit(1)
	}
	w, err := OpenLog(dir, "s", &Options{MaxSegmentRecords: 1000, SealInBackground: bg})
	if err != nil {
		fail(err)
	}
	payload := bytes.Repeat([]byte{7}, 100)
	for i := 0; i < 1000; i++ {
		if _, err := w.Write("t", payload); err != nil {
			fail(err)
		}
	}
	if err := w.Flush(); err != nil {
		fail(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "s-*.binlog"))
	if len(segs) != 1 {
		fail(fmt.Errorf("segments %v, want 1", segs))
	}
	st, err := os.Stat(segs[0])
	if err != nil {
		fail(err)
	}
	say("records-end", st.Size())
	// A write past the limit then fails with EFBIG instead of killing us.
	signal.Ignore(syscall.SIGXFSZ)
	lim := syscall.Rlimit{Cur: uint64(st.Size()) + 17, Max: ^uint64(0)}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fail(err)
	}
	var writeErr error
	for i := 0; i < 10 && writeErr == nil; i++ {
		_, writeErr = w.Write("t", payload)
	}
	if writeErr == nil {
		writeErr = w.Flush()
	}
	if writeErr != nil {
		say("write-error", strings.ReplaceAll(writeErr.Error(), "\n", " "))
	} else {
		say("write-error", "none")
	}
	// Two failures: the first seal and its retry (which reopens the
	// segment and must keep SEAL_BEGIN as well).
	var failures uint64
	for deadline := time.Now().Add(20 * time.Second); bg && failures < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		if failures, err = w.CallbackFailures(); err != nil {
			fail(err)
		}
	}
	say("failures", failures)
	os.Exit(0)
}
