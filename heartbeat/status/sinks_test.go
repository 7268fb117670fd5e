package status

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hbgo/heartbeat/hacf"
)

// TestListenMetricsRefusesNonLoopback: the listener opens only on loopback
// unless metrics_listen_any on says otherwise.
func TestListenMetricsRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:9794", "localhost:0"} {
		ln, err := ListenMetrics(addr, false)
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("%s: %v, want ErrNotLoopback", addr, err)
		}
		if ln != nil {
			ln.Close()
		}
	}
	ln, err := ListenMetrics("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	ln, err = ListenMetrics("0.0.0.0:0", true) // told to
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

func TestSinks(t *testing.T) {
	if s, err := NewSinks(hacf.DefaultHbgo(), t.Logf); s != nil || err != nil {
		t.Fatalf("no sink configured: %v %v", s, err)
	}
	dir := t.TempDir()
	c := hacf.DefaultHbgo()
	c.MetricsTextfile = filepath.Join(dir, "hbgo.prom")
	c.MetricsListen = "127.0.0.1:0"
	s, err := NewSinks(c, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url := "http://" + s.Addr().String() + "/metrics"
	if r, err := http.Get(url); err != nil || r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("before the first snapshot: %v %v", r, err)
	}
	snap := cases["peer-dead"]()
	s.Publish(snap)
	deadline := time.Now().Add(5 * time.Second)
	var b []byte
	for time.Now().Before(deadline) {
		if b, err = os.ReadFile(c.MetricsTextfile); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, ok := value(parseMetrics(t, b), "hbgo_node_up", map[string]string{"node": "node1"}); !ok || v != 0 {
		t.Errorf("textfile node_up{node1} = %v %v", v, ok)
	}
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if v, ok := value(parseMetrics(t, body), "hbgo_transitions_total", map[string]string{"cause": "peer-dead"}); !ok || v != 1 {
		t.Errorf("listener transitions{peer-dead} = %v %v", v, ok)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

// TestPublishNeverBlocks: with the writer stuck (a textfile in a directory
// that is gone), Publish returns at once, however often it is called.
func TestPublishNeverBlocks(t *testing.T) {
	c := hacf.DefaultHbgo()
	c.MetricsTextfile = filepath.Join(t.TempDir(), "gone", "hbgo.prom")
	s, err := NewSinks(c, func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	for i := 0; i < 10000; i++ {
		s.Publish(bothUp())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("10000 publishes took %v", d)
	}
}
