package binlog

/*
#include <binlog.h>
*/
import "C"

import (
	"io/fs"
	"strconv"
)

// Code is a libbinlog result code (binlog_result). The error codes are
// exported as constants that are themselves errors, so that
//
//	errors.Is(err, binlog.ErrLocked)
//
// holds for an *Error with that code. Codes are never reused by libbinlog.
type Code uint32

// Error codes, mirroring binlog_result in include/binlog.h.
const (
	ErrInvalidArgument    Code = C.BINLOG_ERR_INVALID_ARGUMENT
	ErrNullPointer        Code = C.BINLOG_ERR_NULL_POINTER
	ErrNotFound           Code = C.BINLOG_ERR_NOT_FOUND
	ErrPermissionDenied   Code = C.BINLOG_ERR_PERMISSION_DENIED
	ErrIO                 Code = C.BINLOG_ERR_IO
	ErrNotABinlog         Code = C.BINLOG_ERR_NOT_A_BINLOG
	ErrUnsupportedVersion Code = C.BINLOG_ERR_UNSUPPORTED_VERSION
	ErrCorruptHeader      Code = C.BINLOG_ERR_CORRUPT_HEADER
	ErrCorrupt            Code = C.BINLOG_ERR_CORRUPT
	ErrTruncated          Code = C.BINLOG_ERR_TRUNCATED
	ErrRecordTooLarge     Code = C.BINLOG_ERR_RECORD_TOO_LARGE
	ErrLocked             Code = C.BINLOG_ERR_LOCKED
	ErrClosed             Code = C.BINLOG_ERR_CLOSED
	ErrDiskFull           Code = C.BINLOG_ERR_DISK_FULL
	ErrPanic              Code = C.BINLOG_ERR_PANIC
	ErrInvalidUTF8        Code = C.BINLOG_ERR_INVALID_UTF8
	ErrPoisoned           Code = C.BINLOG_ERR_POISONED
	ErrAlreadyExists      Code = C.BINLOG_ERR_ALREADY_EXISTS
	ErrCorruptSeal        Code = C.BINLOG_ERR_CORRUPT_SEAL
	ErrBufferTooSmall     Code = C.BINLOG_ERR_BUFFER_TOO_SMALL
	// A file named as a segment of a log whose header names another log,
	// or a bucket prefix another log claimed (a shipper's open).
	ErrWrongLog Code = C.BINLOG_ERR_WRONG_LOG
	// A sealed (or ending) segment of a log opened to append: it never
	// changes again; open the log instead.
	ErrSealed Code = C.BINLOG_ERR_SEALED

	// A compressed segment (.binlog.zst) that ends before its seek table.
	ErrCompressedTruncated Code = C.BINLOG_ERR_COMPRESSED_TRUNCATED
	// A frame of a compressed segment that fails to decompress or its checksum.
	ErrCorruptFrame Code = C.BINLOG_ERR_CORRUPT_FRAME
	// A compressed segment's seek table that is malformed or disagrees
	// with its frames.
	ErrCorruptSeekTable Code = C.BINLOG_ERR_CORRUPT_SEEK_TABLE
	// A frame of a compressed segment of another size than its seek table says.
	ErrFrameSizeMismatch Code = C.BINLOG_ERR_FRAME_SIZE_MISMATCH

	// An object in the bucket differs from the local segment it would be
	// the copy of: shipping stops and never overwrites it.
	ErrRemoteConflict Code = C.BINLOG_ERR_REMOTE_CONFLICT
	// A request to an object store failed after its retries.
	ErrRemote Code = C.BINLOG_ERR_REMOTE
)

var codeNames = map[Code]string{
	C.BINLOG_OK:           "ok",
	C.BINLOG_END:          "end",
	ErrInvalidArgument:    "invalid argument",
	ErrNullPointer:        "null pointer",
	ErrNotFound:           "not found",
	ErrPermissionDenied:   "permission denied",
	ErrIO:                 "I/O error",
	ErrNotABinlog:         "not a binlog",
	ErrUnsupportedVersion: "unsupported version",
	ErrCorruptHeader:      "corrupt header",
	ErrCorrupt:            "corrupt",
	ErrTruncated:          "truncated",
	ErrRecordTooLarge:     "record too large",
	ErrLocked:             "locked",
	ErrClosed:             "closed",
	ErrDiskFull:           "disk full",
	ErrPanic:              "internal error (panic)",
	ErrInvalidUTF8:        "invalid UTF-8",
	ErrPoisoned:           "poisoned",
	ErrAlreadyExists:      "already exists",
	ErrCorruptSeal:        "corrupt seal",
	ErrBufferTooSmall:     "buffer too small",
	ErrWrongLog:           "segment or bucket prefix of another log",
	ErrSealed:             "sealed segment of a log",

	ErrCompressedTruncated: "truncated compressed segment",
	ErrCorruptFrame:        "corrupt compressed frame",
	ErrCorruptSeekTable:    "corrupt seek table",
	ErrFrameSizeMismatch:   "compressed frame of the wrong size",

	ErrRemoteConflict: "object in the bucket differs",
	ErrRemote:         "object store request failed",
}

// String names the code ("locked", "not found", ...).
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "result " + strconv.FormatUint(uint64(c), 10)
}

// Error makes a Code usable as a sentinel error.
func (c Code) Error() string { return "binlog: " + c.String() }

// Is lets the codes that have an io/fs equivalent match it too:
// errors.Is(err, fs.ErrNotExist) holds for ErrNotFound.
func (c Code) Is(target error) bool {
	switch target {
	case fs.ErrNotExist:
		return c == ErrNotFound
	case fs.ErrPermission:
		return c == ErrPermissionDenied
	case fs.ErrExist:
		return c == ErrAlreadyExists
	case fs.ErrClosed:
		return c == ErrClosed
	}
	return false
}

// Error is a failed libbinlog call: its result code, the operation, and
// the library's message (binlog_last_error(), which names the file and
// byte offset where there is one).
type Error struct {
	Code    Code
	Op      string // e.g. "open writer", "write batch"
	Message string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.String()
	}
	if e.Op == "" {
		return "binlog: " + msg
	}
	return "binlog: " + e.Op + ": " + msg
}

// Unwrap returns the Code, so errors.Is(err, ErrCorrupt) and
// errors.As(err, &code) work.
func (e *Error) Unwrap() error { return e.Code }

// closedError is ErrClosed for a call on a closed handle; desc (its file,
// or a log's directory and name) is named first, as in the C library's
// messages.
func closedError(op, what, desc string) error {
	return &Error{Code: ErrClosed, Op: op, Message: desc + ": " + what + " is closed"}
}

// nilError is ErrNullPointer for a call on a nil *Writer or *Reader: an
// error, as a nil *os.File's methods return, rather than a panic.
func nilError(op, what string) error {
	return &Error{Code: ErrNullPointer, Op: op, Message: what + " is nil"}
}

func invalid(op, msg string) error {
	return &Error{Code: ErrInvalidArgument, Op: op, Message: msg}
}
