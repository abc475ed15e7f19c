// Package binlog is a thin cgo binding of libbinlog, a crash-safe binary
// record log. It links the static C library the module carries for the
// platform (libbinlog_<GOOS>_<GOARCH>.a, with binlog.h); with the build tag
// binlog_use_pkgconfig, the installed one through pkg-config (binlog.pc,
// installed by libbinlog's `make install`); with binlog_buildtree, the
// build tree of a checkout (cgo.go). See the README.
//
// A Writer appends records to one segment (OpenWriter) or to a rolling log
// of segments (OpenLog); it is safe for concurrent use by any number of
// goroutines. A Reader reads one segment (OpenReader), a whole log across
// its segments (OpenLogReader) or a set of segment files (OpenGlob); it is
// safe for concurrent use too, but its calls are serialized (the C reader is
// single-threaded), so give each goroutine its own Reader for parallelism.
//
// Every handle has an idempotent Close that may be called from several
// goroutines; calls after Close return an error matching ErrClosed. A
// finalizer closes a handle the program forgot to close, but do not rely on
// it: a writer holds a lock on its segment until it is closed.
//
// Errors are *Error values carrying the libbinlog result code and message;
// test them with errors.Is(err, binlog.ErrLocked) and so on.
//
// Memory: payloads passed to Write are read by the C library in place, with
// no copy. WriteBatch, WriteEntry and WriteV build the C array of entries in
// C memory; payload parts of at least copyThreshold bytes are pinned
// (runtime.Pinner) and passed in place, smaller ones are copied into the
// same C allocation (one memcpy is cheaper than pinning). Reader.Next copies
// each record into Go memory; Reader.NextView and Reader.ForEach hand the
// callback a View over the reader's mapping of the segment (or its own copy
// of an unsealed segment's records), valid only during the callback.
// Reader.NextBatch copies many records per cgo call into a caller's []byte
// and describes them by offsets (no pointers), so Go memory is passed to C
// directly.
package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Version of the C header this package was built against, and of the
// segment format it reads and writes.
const (
	HeaderVersionMajor = C.BINLOG_VERSION_MAJOR
	HeaderVersionMinor = C.BINLOG_VERSION_MINOR
	HeaderVersionPatch = C.BINLOG_VERSION_PATCH
	FormatMajor        = C.BINLOG_FORMAT_MAJOR
)

// Version returns the version of the loaded libbinlog, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.binlog_version())
}

// result turns a libbinlog result into nil (BINLOG_OK), errEnd
// (BINLOG_END) or an *Error carrying binlog_last_error(). It must run on
// the OS thread that made the call, right after it: callers hold
// runtime.LockOSThread around the call and this function.
func result(op string, rc C.binlog_result) error {
	switch rc {
	case C.BINLOG_OK:
		return nil
	case C.BINLOG_END:
		return errEnd
	}
	return &Error{Code: Code(rc), Op: op, Message: C.GoString(C.binlog_last_error())}
}

// errEnd is BINLOG_END inside the package; it never reaches the caller.
var errEnd = &Error{Code: Code(C.BINLOG_END), Message: "end"}

// cString copies s into C memory (free it with C.free); a NUL byte inside s
// is refused, as C would silently cut the string there.
func cString(op, what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Code: ErrInvalidArgument, Op: op, Message: fmt.Sprintf("%s %q contains a NUL byte", what, s)}
	}
	return C.CString(s), nil
}

// cStrings copies the (what, s) pairs' s into C memory for one C call, as
// cString; a what ending in "?" makes an empty s NULL (and is named without
// the "?"). free releases them all; on error nothing is left to free.
func cStrings(op string, pairs ...string) (cs []*C.char, free func(), err error) {
	free = func() {
		for _, c := range cs {
			C.free(unsafe.Pointer(c))
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		var c *C.char
		if what, s := pairs[i], pairs[i+1]; s != "" || !strings.HasSuffix(what, "?") {
			if c, err = cString(op, strings.TrimSuffix(what, "?"), s); err != nil {
				free()
				return nil, nil, err
			}
		}
		cs = append(cs, c)
	}
	return cs, free, nil
}

// call makes the C call f and turns its result into an error (result) on
// the same OS thread.
func call(op string, f func() C.binlog_result) error {
	lockThread()
	defer unlockThread()
	return result(op, f())
}

// freeOnce is the Close of a handle with nothing to flush: under mu, free
// gets *h unless it is nil already (closed), *h becomes nil and obj's
// finalizer goes. Closing again returns nil.
func freeOnce[P comparable](mu *sync.Mutex, h *P, obj any, free func(P)) error {
	mu.Lock()
	defer mu.Unlock()
	var closed P
	if *h != closed {
		runtime.SetFinalizer(obj, nil)
		free(*h)
		*h = closed
	}
	return nil
}

// onOpen is a call on a handle under mu: ErrClosed (op's, naming what and
// desc) once *h is nil (closed), else the C call f on *h, its result made
// on the same OS thread (call). f may copy out what the call returned: no
// other call runs on the handle until mu is released.
func onOpen[P comparable](mu *sync.Mutex, h *P, op, what, desc string, f func(P) C.binlog_result) error {
	mu.Lock()
	defer mu.Unlock()
	var closed P
	if *h == closed {
		return closedError(op, what, desc)
	}
	return call(op, func() C.binlog_result { return f(*h) })
}

// bytesPtr is the address of b's first byte, or NULL for an empty b (the
// library accepts NULL with a zero length). Passing it as a direct argument
// of a C call pins b for the duration of the call.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// strPtr is the address of s's bytes, or NULL for "" (see bytesPtr).
func strPtr(s string) *C.uint8_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s)))
}

// lockThread and unlockThread bracket a C call and its result(): the last
// error is thread-local in libbinlog, and the goroutine must not move to
// another OS thread between the call and binlog_last_error().
func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }

// The range of time.Time that int64 nanoseconds since the Unix epoch hold
// (time.Time.UnixNano wraps silently outside it).
var (
	minUnixNano = time.Unix(0, math.MinInt64)
	maxUnixNano = time.Unix(0, math.MaxInt64)
)

// unixNano is t.UnixNano() as a record or header timestamp: an error
// matching ErrInvalidArgument when t is outside what int64 nanoseconds
// hold (before 1677-09-21 or after 2262-04-11), or is the instant
// math.MinInt64, which the library reads as BINLOG_TIME_NOW.
func unixNano(op, what string, t time.Time) (int64, error) {
	if !t.After(minUnixNano) || t.After(maxUnixNano) {
		return 0, invalid(op, fmt.Sprintf("%s %v is outside the range of int64 nanoseconds since the Unix epoch (%v to %v)",
			what, t, minUnixNano.Add(1).UTC(), maxUnixNano.UTC()))
	}
	return t.UnixNano(), nil
}
