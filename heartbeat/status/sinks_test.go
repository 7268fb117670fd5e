package status

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/heartbeat/config/hacf"
	"hbgo/internal/harness/budget"
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
	if s, err := NewSinks(hacf.DefaultHbgo(), t.Logf, nil); s != nil || err != nil {
		t.Fatalf("no sink configured: %v %v", s, err)
	}
	dir := t.TempDir()
	c := hacf.DefaultHbgo()
	c.MetricsTextfile = filepath.Join(dir, "hbgo.prom")
	c.MetricsListen = "127.0.0.1:0"
	s, err := NewSinks(c, t.Logf, nil)
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
	var b []byte
	budget.Poll(t, func() bool { b, err = os.ReadFile(c.MetricsTextfile); return err == nil })
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
	s, err := NewSinks(c, func(string, ...any) {}, nil)
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

// TestMetricsEndpointAnswers: only GET /metrics is served; other paths,
// methods and garbage get their error, and the listener keeps serving.
func TestMetricsEndpointAnswers(t *testing.T) {
	c := hacf.DefaultHbgo()
	c.MetricsListen = "127.0.0.1:0"
	s, err := NewSinks(c, t.Logf, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Publish(bothUp())
	addr := s.Addr().String()
	for _, tc := range []struct{ req, want string }{
		{"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET /metrics?name[]=x HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404"},
		{"POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405"},
		{"hello\r\n\r\n", "HTTP/1.1 400"},
		{"GET /metrics HTTP/1.1\r\nX: " + strings.Repeat("a", 10000) + "\r\n\r\n", "HTTP/1.1 400"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(tc.req))
		b, _ := io.ReadAll(conn)
		conn.Close()
		if !strings.HasPrefix(string(b), tc.want) {
			t.Errorf("%.40q: got %.60q, want %q", tc.req, b, tc.want)
		}
	}
}

// TestDaemonLinksNoHTTPStack: the binary stays free of net/http (and of
// the metrics libraries that import it), which cost every hbgo process
// RSS at idle (bench/results/metrics-lib-2026-12-06.md).
func TestDaemonLinksNoHTTPStack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "hbgo/cmd/heartbeat").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "net/http" || strings.HasPrefix(p, "github.com/prometheus/") || strings.HasPrefix(p, "github.com/VictoriaMetrics/") {
			t.Errorf("cmd/heartbeat depends on %s", p)
		}
	}
}

// TestTextfileSkipsAgeOnlyChanges: a snapshot that differs from the file
// only in the heartbeat ages is written once the file is TextfileRefresh
// old, not before; any other change is written at once.
func TestTextfileSkipsAgeOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hbgo.prom")
	var st textfileState
	t0 := time.Unix(1700000000, 0)
	snap := bothUp()
	if err := st.write(path, snap, t0); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if !strings.Contains(string(first), "hbgo_link_last_heartbeat_seconds{") {
		t.Fatalf("the case has no age lines:\n%s", first)
	}
	older := bothUp()
	for i := range older.Nodes {
		for j := range older.Nodes[i].Links {
			if a := older.Nodes[i].Links[j].LastHeartbeatAge; a != nil {
				v := *a + 0.15
				older.Nodes[i].Links[j].LastHeartbeatAge = &v
			}
		}
	}
	if err := st.write(path, older, t0.Add(TextfileRefresh/2)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(first) {
		t.Errorf("an age-only change was written before TextfileRefresh")
	}
	if err := st.write(path, older, t0.Add(TextfileRefresh)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) == string(first) {
		t.Errorf("ages not refreshed after TextfileRefresh")
	}
	dead := cases["peer-dead"]()
	if err := st.write(path, dead, t0.Add(TextfileRefresh+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if v, ok := value(parseMetrics(t, mustRead(t, path)), "hbgo_node_up", map[string]string{"node": "node1"}); !ok || v != 0 {
		t.Errorf("a state change was not written at once: node_up{node1} = %v %v", v, ok)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScrapeAsksForFresh: the daemon publishes only on a change and every
// TextfileRefresh, so a scrape asks Fresh for a current snapshot when the
// newest it has is older than PublishEvery, and serves one younger without
// asking (a scraper cannot make the loop build a snapshot more than once
// a PublishEvery, but for the four at once maxScrapes allows).
func TestScrapeAsksForFresh(t *testing.T) {
	c := hacf.DefaultHbgo()
	c.MetricsListen = "127.0.0.1:0"
	calls := 0
	fresh := func(<-chan struct{}) *Snapshot {
		calls++ // scrapes below run one at a time
		s := cases["peer-dead"]()
		s.Time = time.Now().Add(time.Hour) // young for the rest of the test
		return s
	}
	s, err := NewSinks(c, t.Logf, fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := bothUp()
	old.Time = time.Now().Add(-TextfileRefresh)
	s.Publish(old)
	scrape := func() map[string]float64 {
		r, err := http.Get("http://" + s.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		v, _ := value(parseMetrics(t, b), "hbgo_node_up", map[string]string{"node": "node1"})
		return map[string]float64{"node1": v}
	}
	if got := scrape(); got["node1"] != 0 || calls != 1 {
		t.Errorf("first scrape: node_up{node1} = %v after %d Fresh calls, want the fresh snapshot's 0 after 1", got["node1"], calls)
	}
	scrape()
	if calls != 1 {
		t.Errorf("a scrape with a snapshot younger than PublishEvery asked Fresh again (%d calls)", calls)
	}
	s.Publish(old) // older than the scraped one: the scraped one is served, no new call
	scrape()
	if calls != 1 {
		t.Errorf("%d Fresh calls after an older publish", calls)
	}
}

// TestScrapeWithoutFresh: when the daemon does not answer (Fresh returns
// nil), the newest published snapshot is served.
func TestScrapeWithoutFresh(t *testing.T) {
	c := hacf.DefaultHbgo()
	c.MetricsListen = "127.0.0.1:0"
	s, err := NewSinks(c, t.Logf, func(<-chan struct{}) *Snapshot { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url := "http://" + s.Addr().String() + "/metrics"
	if r, err := http.Get(url); err != nil || r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("no snapshot at all: %v %v", r, err)
	}
	old := cases["peer-dead"]()
	old.Time = time.Now().Add(-TextfileRefresh)
	s.Publish(old)
	r, err := http.Get(url)
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("with an old snapshot: %v %v", r, err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if v, ok := value(parseMetrics(t, b), "hbgo_node_up", map[string]string{"node": "node1"}); !ok || v != 0 {
		t.Errorf("node_up{node1} = %v %v, want the published 0", v, ok)
	}
}
