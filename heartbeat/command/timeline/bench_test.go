package timeline

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// BenchmarkTimeline reads, merges, matches a journal and renders both nodes' ucast-sha1 logs (316 lines).
func BenchmarkTimeline(b *testing.B) {
	n1, err1 := os.ReadFile("testdata/ucast-sha1/ha-log.node1")
	n2, err2 := os.ReadFile("testdata/ucast-sha1/ha-log.node2")
	if err1 != nil || err2 != nil {
		b.Fatal(err1, err2)
	}
	at := time.Date(2026, 11, 23, 0, 24, 45, 250e6, time.UTC)
	evs := []hblog.Event{{Time: at, Kind: "node_dead", Node: "node1"}, {Time: at, Kind: "link_dead", Node: "node1", Fields: map[string]string{"link": "eth1"}}}
	b.SetBytes(int64(len(n1) + len(n2)))
	for b.Loop() {
		r1, _ := ReadLog(strings.NewReader(string(n1)), "n1", captureMtime, time.UTC)
		r2, _ := ReadLog(strings.NewReader(string(n2)), "n2", captureMtime, time.UTC)
		recs, _ := AttachJournal(Merge(r1, r2), evs)
		if err := Write(io.Discard, Detect(recs), []string{"n1", "n2"}); err != nil {
			b.Fatal(err)
		}
	}
}
