package twonode

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTimingsOf(t *testing.T) {
	for _, c := range []struct {
		name, haCf string
		want       Timings
	}{
		{"fast", "keepalive 200ms\ndeadtime 1\nwarntime 500ms\ninitdead 5\n",
			Timings{200 * time.Millisecond, time.Second, 500 * time.Millisecond, 5 * time.Second}},
		{"defaults", "node a\n", Timings{2 * time.Second, 30 * time.Second, 10 * time.Second, 120 * time.Second}},
		{"fractions and junk", "deadtime 1.5\nkeepalive banana\n",
			Timings{2 * time.Second, 1500 * time.Millisecond, 10 * time.Second, 120 * time.Second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, TimingsOf(c.haCf)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	if got := TimingsOf("deadtime 2\n").Dead(7.5); got != 15*time.Second {
		t.Errorf("Dead(7.5) = %v, want 15s", got)
	}
}
