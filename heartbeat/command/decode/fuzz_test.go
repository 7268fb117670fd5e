package decode

import (
	"io"
	"testing"

	"hbgo/authkeys"
	"hbgo/heartbeat/edge/capture"
)

// FuzzDecodePayload prints arbitrary payloads, verified and unverified: it
// must never panic.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte("###\n11:(0)t=status,%%%\n"))
	f.Add([]byte(">>>\nt=status\n(1)srcuuid=AAEC\nauth=1 ffffffff\n<<<\n"))
	keys, err := authkeys.New(1, authkeys.SHA1, "testkey-sha1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, k := range []*authkeys.Keys{nil, keys} {
			d := &decoder{out: io.Discard, keys: k, verbose: true, tally: map[string]*tally{}}
			d.packet(capture.Packet{File: "fuzz", Payload: b})
			d.hints(io.Discard)
		}
	})
}
