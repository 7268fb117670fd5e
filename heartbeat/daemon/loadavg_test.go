package daemon

import (
	"os"
	"strings"
	"testing"
)

func TestLoadavg(t *testing.T) {
	want, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Skipf("no /proc/loadavg: %v", err)
	}
	load := newLoadavg()
	for i := 0; i < 3; i++ { // re-read from the start each time
		got := string(load([]byte("x"))[1:]) // appended to what is there
		if f := strings.Fields(got); len(f) != 5 || strings.HasSuffix(got, "\n") {
			t.Fatalf("read %d: %q, want 5 fields without newline like %q", i, got, want)
		}
	}
}
