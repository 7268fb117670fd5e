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

// FuzzReadSavefile feeds arbitrary bytes to SavefileReader: it must never
// panic, never return a frame longer than the limits or its own block, and
// always end in io.EOF or an error.
func FuzzReadSavefile(f *testing.F) {
	for _, b := range synthetic() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sr, err := NewSavefileReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for i := 0; ; i++ {
			rec, err := sr.Next()
			if err != nil {
				break
			}
			if len(rec.Data) > maxRecord || len(rec.Data) > len(b) {
				t.Fatalf("record %d: %d bytes from a %d-byte file", i+1, len(rec.Data), len(b))
			}
			if i > len(b)/12 {
				t.Fatalf("%d records from a %d-byte file", i+1, len(b))
			}
		}
	})
}
