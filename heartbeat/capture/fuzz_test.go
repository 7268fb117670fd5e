package capture

import (
	"bytes"
	"testing"
)

// FuzzReadCapture feeds arbitrary files to Read: it must never panic, and
// every packet it returns must carry a payload or an error.
func FuzzReadCapture(f *testing.F) {
	f.Add([]byte("###\n11:(0)t=status,%%%\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, _ := Read(bytes.NewReader(b), "fuzz", DefaultPort)
		for _, p := range pkts {
			if p.Payload == nil && p.Err == nil {
				t.Fatalf("packet with neither payload nor error: %+v", p)
			}
		}
	})
}
