package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// ShipOptions say where and how a Shipper ships a log
// (binlog_ship_options). Empty fields take the library's defaults: the
// endpoint, region and credentials of the environment (AWS_ENDPOINT_URL,
// AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...), path-style
// addressing, no local segment removed, multipart uploads above 64 MiB.
type ShipOptions struct {
	// URL is where the log goes: s3://bucket[/prefix] (required). Its
	// objects are named <prefix>/<log name>/...
	URL string
	// Endpoint is the server's URL, for S3-compatible servers
	// (http://host:port).
	Endpoint string
	Region   string
	// AccessKeyID and SecretAccessKey: both, or neither (the environment's).
	AccessKeyID     string
	SecretAccessKey string
	// VirtualHostedStyle addresses bucket.host/key instead of host/bucket/key.
	VirtualHostedStyle bool
	// RemoveLocal removes a local segment once its verified copy is in
	// the bucket, keeping the newest KeepLocal sealed segments.
	RemoveLocal bool
	KeepLocal   uint64
	// MultipartThreshold: segments larger than this go up as multipart
	// uploads (0 = 64 MiB).
	MultipartThreshold uint64
	// RetryTimeout is how long failed requests are retried before a call
	// gives up (0 = 3 minutes; whole milliseconds): a server that is
	// down, refuses connections or stops answering fails OpenShipper or
	// ShipOnce in about this long with ErrRemote, the message naming
	// the server's URL and the cause.
	RetryTimeout time.Duration
	// RemoteRetention: how much of the log the bucket keeps; with a limit
	// set, each ShipOnce ends with a prune, and PruneRemote applies it.
	RemoteRetention RemoteRetention
}

// RemoteRetention limits a log's objects in the bucket
// (binlog_ship_options_set_remote_retention): the oldest go first, never
// the newest. A zero field sets no limit.
type RemoteRetention struct {
	MaxCount uint64        // at most this many segment objects
	MaxBytes uint64        // at most this many bytes of them
	MaxAge   time.Duration // objects whose last record is older go
}

// PruneReport is what one PruneRemote did (or, dry, would do).
type PruneReport struct {
	Deleted  uint64 // objects deleted (those a killed prune left included)
	Finished uint64 // of Deleted, those a prune killed before left
	Kept     uint64 // objects kept
	// PrunedThrough: every segment up to it is pruned; HasPruned false
	// if none is.
	PrunedThrough uint64
	HasPruned     bool
}

// ShipReport is what one ShipOnce did, in segments.
type ShipReport struct {
	Uploaded        uint64 // uploaded (and verified) by this pass
	AlreadyUploaded uint64 // found in the bucket with the same bytes
	RemovedLocal    uint64 // local copies removed, their copies verified
}

// Shipper ships a log's sealed segments to an S3-compatible bucket
// (binlog_shipper): each with a create-only PUT checked by a HEAD, never
// overwriting an object, removing a local copy only once its copy is
// verified. It is safe for concurrent use (calls take turns); Close
// releases the log's ship lock, and later calls return ErrClosed.
type Shipper struct {
	mu   sync.Mutex
	h    *C.binlog_shipper // nil once closed
	desc string
}

// OpenShipper starts shipping log name of directory dir as opts say:
// takes the log's ship lock (ErrLocked if another shipper holds it),
// claims the prefix for the log (ErrWrongLog if another log holds
// it), and compares the local segments with the journal and the bucket.
// Nothing is uploaded yet.
func OpenShipper(dir, name string, opts ShipOptions) (*Shipper, error) {
	const op = "open shipper"
	cs, free, err := cStrings(op, "dir", dir, "name", name)
	if err != nil {
		return nil, err
	}
	defer free()
	var h *C.binlog_shipper
	if err := opts.with(op, func(o *C.binlog_ship_options) C.binlog_result {
		return C.binlog_shipper_open(cs[0], cs[1], o, &h)
	}); err != nil {
		return nil, err
	}
	s := &Shipper{h: h, desc: dir + ": log " + name}
	runtime.SetFinalizer(s, (*Shipper).Close)
	return s, nil
}

// with calls the C call f with a binlog_ship_options of o (freed after
// it), on a locked thread: the first failure, of a setting or of f, is
// the error.
func (o *ShipOptions) with(op string, f func(*C.binlog_ship_options) C.binlog_result) error {
	lockThread()
	defer unlockThread()
	var opts *C.binlog_ship_options
	if err := result(op, C.binlog_ship_options_new(&opts)); err != nil {
		return err
	}
	defer C.binlog_ship_options_free(opts)
	str := func(what, s string, set func(*C.char) C.binlog_result) error {
		if s == "" {
			return nil
		}
		c, err := cString(op, what, s)
		if err != nil {
			return err
		}
		defer C.free(unsafe.Pointer(c))
		return result(op+": "+what, set(c))
	}
	creds := func() error {
		if o.AccessKeyID == "" && o.SecretAccessKey == "" {
			return nil
		}
		cs, free, err := cStrings(op, "access key id", o.AccessKeyID, "secret access key", o.SecretAccessKey)
		if err != nil {
			return err
		}
		defer free()
		return result(op+": credentials", C.binlog_ship_options_set_credentials(opts, cs[0], cs[1]))
	}
	set := func(on bool, f func() C.binlog_result) error {
		if !on {
			return nil
		}
		return result(op, f())
	}
	none := func(v uint64) C.uint64_t {
		if v == 0 {
			return C.uint64_t(^uint64(0))
		}
		return C.uint64_t(v)
	}
	rr, age := o.RemoteRetention, uint64(0)
	if rr.MaxAge > 0 {
		age = uint64(rr.MaxAge)
	}
	// Each step in order; the first failure is the error.
	for _, err := range []error{
		str("url", o.URL, func(c *C.char) C.binlog_result { return C.binlog_ship_options_set_url(opts, c) }),
		str("endpoint", o.Endpoint, func(c *C.char) C.binlog_result { return C.binlog_ship_options_set_endpoint(opts, c) }),
		str("region", o.Region, func(c *C.char) C.binlog_result { return C.binlog_ship_options_set_region(opts, c) }),
		creds(),
		set(o.VirtualHostedStyle, func() C.binlog_result { return C.binlog_ship_options_set_path_style(opts, false) }),
		set(o.RemoveLocal, func() C.binlog_result { return C.binlog_ship_options_set_keep_local(opts, C.uint64_t(o.KeepLocal)) }),
		set(rr != (RemoteRetention{}), func() C.binlog_result {
			return C.binlog_ship_options_set_remote_retention(opts, none(rr.MaxCount), none(rr.MaxBytes), none(age))
		}),
		set(o.MultipartThreshold != 0, func() C.binlog_result {
			return C.binlog_ship_options_set_multipart_threshold(opts, C.uint64_t(o.MultipartThreshold))
		}),
		set(o.RetryTimeout > 0, func() C.binlog_result {
			return C.binlog_ship_options_set_retry_timeout(opts, retryTimeoutMs(o.RetryTimeout))
		}),
	} {
		if err != nil {
			return err
		}
	}
	return result(op, f(opts))
}

// ShipOnce uploads every sealed segment not yet in the bucket, in order,
// then removes the local copies ShipOptions allow. An object holding other
// bytes than its segment is ErrRemoteConflict (never overwritten); a
// failure leaves the journal where the pass stopped.
func (s *Shipper) ShipOnce() (ShipReport, error) {
	const op = "ship"
	if s == nil {
		return ShipReport{}, nilError(op, "shipper")
	}
	var r C.binlog_ship_report
	if err := onOpen(&s.mu, &s.h, op, "shipper", s.desc, func(h *C.binlog_shipper) C.binlog_result {
		return C.binlog_shipper_ship_once(h, &r)
	}); err != nil {
		return ShipReport{}, err
	}
	return ShipReport{
		Uploaded:        uint64(r.uploaded),
		AlreadyUploaded: uint64(r.already_uploaded),
		RemovedLocal:    uint64(r.removed_local),
	}, nil
}

// Close frees the shipper and releases the log's ship lock. Closing again
// returns nil.
func (s *Shipper) Close() error {
	if s == nil {
		return nilError("close", "shipper")
	}
	return freeOnce(&s.mu, &s.h, s, func(h *C.binlog_shipper) { C.binlog_shipper_free(h) })
}

// PruneRemote deletes the oldest segment objects of log name at opts.URL
// beyond opts.RemoteRetention (binlog_remote_prune): oldest first, never
// the newest, a prune killed before finished first. With dryRun it only
// says what would go. Another pruner holding the claim is ErrLocked;
// credentials that may not delete stop it with a permission error naming
// the object. Readers report pruned records as retention gaps.
func PruneRemote(name string, opts ShipOptions, dryRun bool) (PruneReport, error) {
	const op = "prune"
	cname, err := cString(op, "name", name)
	if err != nil {
		return PruneReport{}, err
	}
	defer C.free(unsafe.Pointer(cname))
	var r C.binlog_prune_report
	if err := opts.with(op, func(o *C.binlog_ship_options) C.binlog_result {
		return C.binlog_remote_prune(o, cname, C.bool(dryRun), &r)
	}); err != nil {
		return PruneReport{}, err
	}
	through := uint64(r.pruned_through)
	return PruneReport{
		Deleted:       uint64(r.deleted),
		Finished:      uint64(r.finished),
		Kept:          uint64(r.kept),
		PrunedThrough: through,
		HasPruned:     through != ^uint64(0),
	}, nil
}

// retryTimeoutMs is a positive retry timeout as the C API takes it:
// whole milliseconds, at least one (0 would mean no retries at all).
func retryTimeoutMs(d time.Duration) C.uint64_t {
	return C.uint64_t(max(1, d.Milliseconds()))
}
