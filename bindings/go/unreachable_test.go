package binlog

import (
	"net"
	"strings"
	"testing"
	"time"
)

// retryTimeout is the retry timeout of the unreachable-server tests; a
// call must return within bound (far from tight: it only tells a wait
// bounded by the retry timeout from one of the 60 s request timeout).
const (
	retryTimeout = 1500 * time.Millisecond
	bound        = 45 * time.Second
)

// deadEndpoint is an http:// URL where nothing listens (a port bound,
// then closed).
func deadEndpoint(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	must(t, l.Close())
	return "http://" + addr
}

// silentEndpoint is an http:// URL of a listener that accepts
// connections and never answers; closed when the test ends.
func silentEndpoint(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // kept open, never read or answered
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// wantUnreachable checks that err is ErrRemote naming endpoint and a
// cause, and that the call took less than bound.
func wantUnreachable(t *testing.T, what string, err error, took time.Duration, endpoint string, causes ...string) {
	t.Helper()
	wantCode(t, err, ErrRemote)
	msg := err.Error()
	if !strings.Contains(msg, endpoint) {
		t.Errorf("%s: %q does not name the endpoint %s", what, msg, endpoint)
	}
	named := false
	for _, c := range causes {
		named = named || strings.Contains(msg, c)
	}
	if !named {
		t.Errorf("%s: %q names none of the causes %q", what, msg, causes)
	}
	if took > bound {
		t.Errorf("%s: returned after %v, retry timeout %v", what, took, retryTimeout)
	}
}

func TestAShipperAndATieredReaderFailWithinTheRetryTimeoutNamingTheEndpointAndCause(t *testing.T) {
	for _, c := range []struct {
		name     string
		endpoint string
		causes   []string
	}{
		{"nothing listening", deadEndpoint(t), []string{"Connection refused", "connection refused"}},
		{"never answering", silentEndpoint(t), []string{"timed out", "timeout"}},
	} {
		dir := t.TempDir()
		writeLog(t, dir, "orders", 2, 5)
		opts := ShipOptions{
			URL: "s3://logs/unreachable", Endpoint: c.endpoint, Region: "us-east-1",
			AccessKeyID: "id", SecretAccessKey: "secret", RetryTimeout: retryTimeout,
		}
		start := time.Now()
		s, err := OpenShipper(dir, "orders", opts)
		if err == nil {
			_, err = s.ShipOnce()
			s.Close()
		}
		wantUnreachable(t, c.name+": shipper", err, time.Since(start), c.endpoint, c.causes...)

		t.Setenv("AWS_ENDPOINT_URL", c.endpoint)
		t.Setenv("AWS_REGION", "us-east-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "id")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		start = time.Now()
		r, err := OpenLogTieredReaderTimeout(dir, "orders", "s3://logs/unreachable", retryTimeout)
		if err == nil {
			_, err = r.Next()
			r.Close()
		}
		wantUnreachable(t, c.name+": tiered reader", err, time.Since(start), c.endpoint, c.causes...)
	}
}
