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
	"time"
)

// Durability says when records are forced to stable storage.
type Durability uint32

const (
	// DurabilityNone leaves it to the OS (default): buffers go to the OS
	// when full and on Flush, Sync and Close.
	DurabilityNone Durability = C.BINLOG_DURABILITY_NONE
	// DurabilityEveryRecord makes every write call return after fdatasync;
	// concurrent writers share one (group commit).
	DurabilityEveryRecord Durability = C.BINLOG_DURABILITY_EVERY_RECORD
	// DurabilityEveryN syncs every Options.SyncEveryN records.
	DurabilityEveryN Durability = C.BINLOG_DURABILITY_EVERY_N
	// DurabilityInterval syncs every Options.SyncInterval from a
	// background thread.
	DurabilityInterval Durability = C.BINLOG_DURABILITY_INTERVAL_MS
)

// Period is how often a rolling log starts a new segment regardless of
// size: when a new UTC period starts, even while idle.
//
// The values mirror binlog_period in src/ffi/options.rs; include/binlog.h
// does not declare that enum (cbindgen does not export it), so they are
// written out here.
type Period uint32

const (
	PeriodNever       Period = 0
	PeriodMinute      Period = 1
	PeriodFiveMinutes Period = 2
	PeriodTenMinutes  Period = 3
	PeriodQuarterHour Period = 4
	PeriodHalfHour    Period = 5
	PeriodHour        Period = 6
	PeriodDay         Period = 7
)

// KeyValue is one metadata entry of a record, or one header parameter of a
// segment. Keys and values must be UTF-8.
type KeyValue struct {
	Key, Value string
}

// Retention limits which sealed segments a rolling log keeps; zero fields
// are no limit. The oldest go first; the segment being written never goes.
type Retention struct {
	MaxSegments uint64        // keep at most this many sealed segments
	MaxBytes    uint64        // keep at most this many bytes of them
	MaxAge      time.Duration // delete those sealed longer ago (ms precision)
	// UntilShipped keeps every sealed segment a Shipper has not uploaded
	// yet (as its journal says), whatever the limits above say.
	UntilShipped bool
	// HardMaxBytes deletes sealed segments past this many bytes even
	// before they are uploaded; Writer.DroppedUnshipped counts those.
	HardMaxBytes uint64
}

// Options configure OpenWriter and OpenLog. The zero value (or a nil
// *Options) means the library's defaults: 64 MiB maximum record size,
// 1 MiB buffer, DurabilityNone.
type Options struct {
	// Recorded in a new segment's header. OpenLog sets LogName itself (to
	// the log's name) and refuses a different one.
	LogName     string
	ContentType string
	Params      []KeyValue

	// MaxRecordSize is the largest encoded record accepted (0 = default
	// 64 MiB; 64 bytes to 4 GiB + 7). Larger writes fail with
	// ErrRecordTooLarge.
	MaxRecordSize uint64
	// BufferSize is how many bytes are buffered before records are handed
	// to the OS: 0 = default (1 MiB), Unbuffered = hand every write
	// call's records to the OS at once.
	BufferSize int

	Durability   Durability
	SyncEveryN   uint32        // N for DurabilityEveryN
	SyncInterval time.Duration // period of DurabilityInterval (ms precision)
	// SyncWaitSpin, with DurabilityEveryRecord, is how long a write waiting
	// for another goroutine's fdatasync (group commit) stays runnable,
	// yielding its CPU, before it sleeps: 0 = sleep at once, using no CPU
	// while waiting. About one fdatasync's duration trades CPU time for
	// throughput, as every waiter sees the sync end without a wakeup. At
	// most 10 ms (the library refuses more; negative is refused too);
	// microsecond precision, rounded up.
	SyncWaitSpin time.Duration
	// FlushDelay is how long a record may wait in the buffer, after the
	// write call that buffered it, before it is handed to the OS (where
	// readers in other processes see it, and a crash of this process
	// cannot lose it): 0 = default (10 ms), FlushAtOnce = every write call
	// hands its records over, FlushWhenFull = only when the buffer fills
	// (and on Flush, Sync and Close). Microsecond precision, rounded up.
	FlushDelay time.Duration

	// FirstSeq is the sequence number of a new segment's first record, or
	// of a new log's (OpenLog: an existing log continues its sequence).
	FirstSeq uint64
	// Segment writers only: OpenLog refuses SegmentNo and Created (a log
	// numbers and dates its segments itself).
	SegmentNo uint64    // segment number in a new segment's header
	Created   time.Time // creation time in the header (zero = now; 1677-09-21 to 2262-04-11, else ErrInvalidArgument)

	// SparseInterval is the number of bytes of records between entries of
	// the sealed segment's sparse seq/time index (0 = default 65536).
	SparseInterval uint32

	// Rolling logs only (OpenLog; OpenWriter refuses them). Zero = no
	// limit.
	MaxSegmentBytes   uint64 // roll before a record would pass this (at least 4096)
	MaxSegmentRecords uint64 // roll after this many records
	Period            Period // roll when a new UTC period starts
	Retention         Retention
	// SealInBackground makes the write that rolls only end the old
	// segment's records and open the next segment; the log's background
	// thread then seals the old segment and applies retention, and only
	// then does PollSealed return it. So a roll's seal, retention and
	// PollSealed entry come shortly after the write that rolled returns,
	// not before (the write does not wait the ~1 ms a 64 MiB segment's
	// seal takes). Roll and Close still return with every segment sealed
	// and pollable. Default false: all of it happens before the write that
	// rolled returns.
	SealInBackground bool
	// Compression, if set, compresses each sealed segment into
	// <segment>.binlog.zst (read by every reader as the segment) on a
	// low-priority thread of the log, never on the write path (Close
	// compresses those still due, its last segment too); retention counts
	// its compressed size. nil = never.
	Compression *Compression
}

// Compression says when and how a rolling log compresses its sealed
// segments (Options.Compression).
type Compression struct {
	// AfterSegments: compress a sealed segment once this many newer
	// sealed segments exist (0 = as soon as it is sealed).
	AfterSegments uint64
	// Level is zstd's (0 = its default, 3; up to 22; negative = faster).
	Level int32
	// FrameSize is the original bytes per frame (0 = 1 MiB; at most 1 GiB).
	FrameSize uint64
	// TypeCopies is the share of a segment's record bytes, in
	// thousandths, that second copies of its rare types may take, so that
	// a filter over one of them reads only its copy (docs/FORMAT.md 17.5):
	// 0 = the default (50, 5%), NoTypeCopies = none; at most 1000.
	TypeCopies int32
}

// NoTypeCopies as Compression.TypeCopies makes no type copies.
const NoTypeCopies = -1

// Unbuffered as Options.BufferSize hands every write call's records to the
// OS at once.
const Unbuffered = -1

// FlushAtOnce as Options.FlushDelay hands every write call's records to the
// OS before the call returns; FlushWhenFull only when the buffer fills.
const (
	FlushAtOnce   time.Duration = -1
	FlushWhenFull time.Duration = math.MaxInt64
)

func (o *Options) hasLogOnly() bool {
	return o.MaxSegmentBytes != 0 || o.MaxSegmentRecords != 0 || o.Period != PeriodNever ||
		o.Retention != (Retention{}) || o.SealInBackground || o.Compression != nil
}

// build makes a binlog_options from o (nil: defaults, returns nil). Free
// the result with C.binlog_options_free.
func (o *Options) build(op string, log bool, logName string) (*C.binlog_options, error) {
	if o == nil {
		return nil, nil
	}
	if !o.Created.IsZero() {
		if _, err := unixNano(op, "Created", o.Created); err != nil {
			return nil, err
		}
	}
	if !log && o.hasLogOnly() {
		return nil, invalid(op, "MaxSegmentBytes, MaxSegmentRecords, Period, Retention, SealInBackground and Compression are for rolling logs (OpenLog)")
	}
	if log {
		switch {
		case o.SegmentNo != 0:
			return nil, invalid(op, "SegmentNo is set by a rolling log itself")
		case !o.Created.IsZero():
			return nil, invalid(op, "Created is set by a rolling log itself (each segment records its own creation time)")
		case o.LogName != "" && o.LogName != logName:
			return nil, invalid(op, "LogName of a rolling log is its name")
		}
	}
	// Negative values would reach C as 0 (a default or no limit) or wrap:
	// refused, naming the field.
	switch {
	case o.FlushDelay < FlushAtOnce:
		return nil, invalid(op, "FlushDelay "+o.FlushDelay.String()+" is negative (0 = default, FlushAtOnce = -1)")
	case o.BufferSize < Unbuffered:
		return nil, invalid(op, fmt.Sprintf("BufferSize %d is negative (0 = default, Unbuffered = -1)", o.BufferSize))
	case o.Durability == DurabilityInterval && o.SyncInterval < 0:
		return nil, invalid(op, "SyncInterval "+o.SyncInterval.String()+" is negative")
	case o.Retention.MaxAge < 0:
		return nil, invalid(op, "Retention.MaxAge "+o.Retention.MaxAge.String()+" is negative (0 = no age limit)")
	}

	lockThread()
	defer unlockThread()
	var opts *C.binlog_options
	if err := result(op, C.binlog_options_new(&opts)); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			C.binlog_options_free(opts)
		}
	}()
	set := func(what string, rc C.binlog_result) error {
		return result(op+": "+what, rc)
	}
	if o.LogName != "" {
		if err := set("log name", C.binlog_options_set_log_name(opts, strPtr(o.LogName), C.size_t(len(o.LogName)))); err != nil {
			return nil, err
		}
	}
	if o.ContentType != "" {
		if err := set("content type", C.binlog_options_set_content_type(opts, strPtr(o.ContentType), C.size_t(len(o.ContentType)))); err != nil {
			return nil, err
		}
	}
	for _, p := range o.Params {
		if err := set("param", C.binlog_options_add_param(opts, strPtr(p.Key), C.size_t(len(p.Key)),
			strPtr(p.Value), C.size_t(len(p.Value)))); err != nil {
			return nil, err
		}
	}
	if o.MaxRecordSize != 0 {
		if err := set("max record size", C.binlog_options_set_max_record_size(opts, C.uint64_t(o.MaxRecordSize))); err != nil {
			return nil, err
		}
	}
	if o.BufferSize != 0 {
		n := o.BufferSize
		if n < 0 {
			n = 0
		}
		if err := set("buffer size", C.binlog_options_set_buffer_size(opts, C.size_t(n))); err != nil {
			return nil, err
		}
	}
	if o.Durability != DurabilityNone {
		var param uint64
		switch o.Durability {
		case DurabilityEveryN:
			param = uint64(o.SyncEveryN)
		case DurabilityInterval:
			param = uint64(ceilMillis(o.SyncInterval))
		}
		if err := set("durability", C.binlog_options_set_durability(opts, C.uint32_t(o.Durability), C.uint64_t(param))); err != nil {
			return nil, err
		}
	}
	if o.SyncWaitSpin != 0 {
		us, err := spinMicros(op, o.SyncWaitSpin)
		if err != nil {
			return nil, err
		}
		if err := set("sync wait spin", C.binlog_options_set_sync_wait_spin_us(opts, C.uint32_t(us))); err != nil {
			return nil, err
		}
	}
	if o.FlushDelay != 0 {
		us := uint64(math.MaxUint64) // FlushWhenFull
		switch o.FlushDelay {
		case FlushAtOnce:
			us = 0
		case FlushWhenFull:
		default:
			us = uint64((o.FlushDelay + time.Microsecond - 1) / time.Microsecond)
		}
		if err := set("flush delay", C.binlog_options_set_flush_delay_us(opts, C.uint64_t(us))); err != nil {
			return nil, err
		}
	}
	if o.FirstSeq != 0 {
		if err := set("first seq", C.binlog_options_set_first_seq(opts, C.uint64_t(o.FirstSeq))); err != nil {
			return nil, err
		}
	}
	if o.SegmentNo != 0 {
		if err := set("segment no", C.binlog_options_set_segment_no(opts, C.uint64_t(o.SegmentNo))); err != nil {
			return nil, err
		}
	}
	if !o.Created.IsZero() {
		if err := set("created", C.binlog_options_set_created_ns(opts, C.int64_t(o.Created.UnixNano()))); err != nil {
			return nil, err
		}
	}
	if o.SparseInterval != 0 {
		if err := set("sparse interval", C.binlog_options_set_sparse_interval(opts, C.uint32_t(o.SparseInterval))); err != nil {
			return nil, err
		}
	}
	if o.MaxSegmentBytes != 0 {
		if err := set("max segment bytes", C.binlog_options_set_max_segment_bytes(opts, C.uint64_t(o.MaxSegmentBytes))); err != nil {
			return nil, err
		}
	}
	if o.MaxSegmentRecords != 0 {
		if err := set("max segment records", C.binlog_options_set_max_segment_records(opts, C.uint64_t(o.MaxSegmentRecords))); err != nil {
			return nil, err
		}
	}
	if o.Period != PeriodNever {
		if err := set("period", C.binlog_options_set_period(opts, C.uint32_t(o.Period))); err != nil {
			return nil, err
		}
	}
	if o.Retention != (Retention{}) {
		r := o.Retention
		if err := set("retention", C.binlog_options_set_retention(opts, C.uint64_t(r.MaxSegments),
			C.uint64_t(r.MaxBytes), C.uint64_t(ceilMillis(r.MaxAge)))); err != nil {
			return nil, err
		}
		if err := set("retention until shipped", C.binlog_options_set_retention_until_shipped(opts, C.bool(r.UntilShipped))); err != nil {
			return nil, err
		}
		if err := set("retention hard max bytes", C.binlog_options_set_retention_hard_max_bytes(opts, C.uint64_t(r.HardMaxBytes))); err != nil {
			return nil, err
		}
	}
	if o.SealInBackground {
		if err := set("seal in background", C.binlog_options_set_seal_in_background(opts, C.bool(true))); err != nil {
			return nil, err
		}
	}
	if c := o.Compression; c != nil {
		if err := set("compression", C.binlog_options_set_compression(opts, C.bool(true),
			C.uint64_t(c.AfterSegments), C.int32_t(c.Level), C.uint64_t(c.FrameSize))); err != nil {
			return nil, err
		}
		if err := setTypeCopies(op, opts, c.TypeCopies, set); err != nil {
			return nil, err
		}
	}
	runtime.KeepAlive(o)
	ok = true
	return opts, nil
}

// ceilMillis rounds d up to whole milliseconds (negative: 0).
func ceilMillis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	// Not (d + 999999) / 1e6: that wraps negative within 1 ms of the
	// largest Duration.
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// spinMicros is SyncWaitSpin in whole microseconds, rounded up, for the
// C ABI's uint32_t: negative values are refused, and so are values past
// 2^32-1 us rather than wrapped into an accepted one. The 10 ms limit is
// the library's to check (its message names sync_wait_spin).
func spinMicros(op string, d time.Duration) (uint32, error) {
	if d < 0 {
		return 0, invalid(op, "SyncWaitSpin must not be negative: "+d.String())
	}
	us := d / time.Microsecond
	if d%time.Microsecond != 0 {
		us++
	}
	if us > math.MaxUint32 {
		return 0, invalid(op, "SyncWaitSpin "+d.String()+" above 2^32-1 us")
	}
	return uint32(us), nil
}

// setTypeCopies sets Compression.TypeCopies on opts (0 leaves the
// library's default).
func setTypeCopies(op string, opts *C.binlog_options, perMille int32, set func(string, C.binlog_result) error) error {
	switch {
	case perMille == 0:
		return nil
	case perMille == NoTypeCopies:
		perMille = 0
	case perMille < 0:
		return invalid(op, "Compression.TypeCopies below NoTypeCopies")
	}
	return set("compression type copies", C.binlog_options_set_compression_type_copies(opts, C.uint32_t(perMille)))
}
