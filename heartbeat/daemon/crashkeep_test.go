package daemon

import (
	"testing"
	"time"
)

func TestCrashVerdict(t *testing.T) {
	const ka, dt = 200 * time.Millisecond, 2 * time.Second
	for _, tt := range []struct {
		marker string
		now    float64
		keep   bool
		bad    bool
	}{
		{"100.00 drbddisk::r0", 100.3, true, false},   // back in 0.3 s: keep
		{"100.00 drbddisk::r0", 100.85, false, false}, // 0.85 + 0.2 > 1 s: too late
		{"100.00", 130, false, false},
		{"", 100, false, true},
		{"soon x", 100, false, true},
		{"200 x", 100, false, true}, // died after now: another boot
	} {
		keep, _, err := crashVerdict(tt.marker, tt.now, ka, dt)
		if keep != tt.keep || (err != nil) != tt.bad {
			t.Errorf("%q at %v: keep %v err %v, want keep %v bad %v", tt.marker, tt.now, keep, err, tt.keep, tt.bad)
		}
	}
}
