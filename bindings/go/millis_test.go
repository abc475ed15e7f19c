package binlog

import (
	"math"
	"testing"
	"time"
)

// ceilMillis feeds every millisecond argument of the C ABI (retention age,
// sync interval, next-wait timeouts): rounded up, never negative, and not
// wrapped near the largest Duration (where d + 999999 overflowed to a
// negative count).
func TestCeilMillisRoundsUpWithoutWrapping(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want int64
	}{
		{-time.Second, 0},
		{0, 0},
		{1, 1},
		{time.Millisecond, 1},
		{time.Millisecond + 1, 2},
		{1500 * time.Microsecond, 2},
		{time.Duration(math.MaxInt64), math.MaxInt64/int64(time.Millisecond) + 1},
		{time.Duration(math.MaxInt64 - 500), math.MaxInt64/int64(time.Millisecond) + 1},
	}
	for _, c := range cases {
		if got := ceilMillis(c.d); got != c.want {
			t.Errorf("ceilMillis(%d) = %d, want %d", int64(c.d), got, c.want)
		}
	}
}
