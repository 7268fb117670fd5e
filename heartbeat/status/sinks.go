package status

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hbgo/heartbeat/config/hacf"
)

// ErrNotLoopback is returned for a metrics listener on a non-loopback
// address without metrics_listen_any on.
var ErrNotLoopback = errors.New("metrics_listen: not a loopback address (metrics_listen_any on allows it)")

// Sinks publish snapshots off the daemon loop: to the node_exporter
// textfile and to the HTTP endpoint. Publish never blocks; the writer
// goroutine takes the newest snapshot, so a slow disk skips snapshots
// instead of queueing them. The endpoint asks Fresh for a current
// snapshot when scraped, and serves the newest it has if none comes.
type Sinks struct {
	textfile string
	logf     func(format string, args ...any)
	fresh    Fresh
	latest   atomic.Pointer[Snapshot]
	scraped  atomic.Pointer[Snapshot] // the last snapshot Fresh gave a scrape
	kick     chan struct{}
	done     chan struct{}
	ln       net.Listener
	conns    chan struct{} // one token per scrape being served
	wg       sync.WaitGroup
}

// PublishEvery is the shortest interval between two snapshots handed to
// the sinks; the daemon also waits for its next keepalive. A scrape
// served a snapshot younger than this does not ask for a new one.
const PublishEvery = time.Second

// Fresh returns a snapshot of the daemon's state now, or nil when it
// cannot (the daemon busy or stopping, or stop closed).
type Fresh func(stop <-chan struct{}) *Snapshot

// HTTP endpoint limits: a scraper sends a short GET; anything slower or
// larger is cut off, and at most maxScrapes are served at once.
const (
	scrapeTimeout = 5 * time.Second
	maxRequest    = 8 << 10
	maxScrapes    = 4
)

// ListenMetrics opens the metrics listener, refusing a non-loopback
// address unless anyAddr (metrics_listen_any on).
func ListenMetrics(addr string, anyAddr bool) (net.Listener, error) {
	if !anyAddr && !hacf.LoopbackAddr(addr) {
		return nil, fmt.Errorf("%w: %s", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics_listen: %w", err)
	}
	return ln, nil
}

// NewSinks starts the sinks hbgo.cf asks for; it returns nil, nil when
// none is configured (nothing runs, nothing is built per keepalive).
// logf reports write failures (at most one line per failure streak).
// fresh (nil: none) gives the endpoint a current snapshot per scrape.
func NewSinks(c *hacf.HbgoConfig, logf func(format string, args ...any), fresh Fresh) (*Sinks, error) {
	if c.MetricsTextfile == "" && c.MetricsListen == "" {
		return nil, nil
	}
	s := &Sinks{textfile: c.MetricsTextfile, logf: logf, fresh: fresh, kick: make(chan struct{}, 1), done: make(chan struct{}),
		conns: make(chan struct{}, maxScrapes)}
	if c.MetricsListen != "" {
		ln, err := ListenMetrics(c.MetricsListen, c.MetricsListenAny)
		if err != nil {
			return nil, err
		}
		s.ln = ln
		s.wg.Add(1)
		go s.accept()
	}
	if s.textfile != "" {
		s.wg.Add(1)
		go s.writer()
	}
	return s, nil
}

// Addr returns the listener's address, nil without one.
func (s *Sinks) Addr() net.Addr {
	if s == nil || s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Publish hands the sinks a snapshot the caller no longer touches. It
// never blocks.
func (s *Sinks) Publish(snap *Snapshot) {
	if s == nil {
		return
	}
	s.latest.Store(snap)
	select {
	case s.kick <- struct{}{}:
	default: // the writer has a kick pending; it will read the newest snapshot
	}
}

// accept serves the metrics endpoint: HTTP/1.x GET /metrics, one request
// per connection. A small server of its own rather than net/http, which
// would add 1.8 MB to every hbgo process's RSS (bench/results/metrics-lib-2026-12-06.md).
func (s *Sinks) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		select {
		case s.conns <- struct{}{}:
		default: // maxScrapes already being served
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.conns }()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(scrapeTimeout))
			status, body := s.answer(c)
			hdr := "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n" +
				"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n"
			_, _ = c.Write(append([]byte(hdr), body...))
		}()
	}
}

// answer reads one request from r and returns the status line's code and
// text and the body.
func (s *Sinks) answer(r net.Conn) (string, []byte) {
	br := bufio.NewReaderSize(&io.LimitedReader{R: r, N: maxRequest}, 1024)
	line, err := br.ReadString('\n')
	if err != nil {
		return "400 Bad Request", []byte("bad request\n")
	}
	for { // the headers, up to the empty line
		h, err := br.ReadString('\n')
		if err != nil {
			return "400 Bad Request", []byte("bad request\n")
		}
		if h == "\r\n" || h == "\n" {
			break
		}
	}
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/1.") {
		return "400 Bad Request", []byte("bad request\n")
	}
	if path, _, _ := strings.Cut(f[1], "?"); path != "/metrics" {
		return "404 Not Found", []byte("hbgo serves /metrics only\n")
	}
	if f[0] != "GET" {
		return "405 Method Not Allowed", []byte("GET only\n")
	}
	snap := s.current()
	if snap == nil {
		return "503 Service Unavailable", []byte("no snapshot yet\n")
	}
	var b bytes.Buffer
	if err := WriteMetrics(&b, snap); err != nil {
		return "500 Internal Server Error", []byte(err.Error() + "\n")
	}
	return "200 OK", b.Bytes()
}

// current is the snapshot a scrape is served: the newest published or
// scraped one when it is younger than PublishEvery, else a fresh one (the
// daemon publishes only on a change and every TextfileRefresh, so the
// published snapshot's ages can be that old), else the newest there is.
func (s *Sinks) current() *Snapshot {
	snap := s.latest.Load()
	if sc := s.scraped.Load(); sc != nil && (snap == nil || sc.Time.After(snap.Time)) {
		snap = sc
	}
	if s.fresh == nil || snap != nil && time.Since(snap.Time) < PublishEvery {
		return snap
	}
	if f := s.fresh(s.done); f != nil {
		s.scraped.Store(f)
		return f
	}
	return snap
}

// TextfileRefresh is how long the textfile may keep showing the same
// state: a snapshot that differs from the last one written only in the
// heartbeat ages (hbgo_link_last_heartbeat_seconds) and the not-to-us
// drops (idleLines) is written when the file is this old, not before. Any
// other change is written at once.
// At idle only the ages change, and the rewrite (create, write, chmod,
// close, rename) was a sixth of an idle node's CPU at one per second
// (bench/results/idle-2026-12-06.md); node_exporter's
// node_textfile_mtime_seconds tells a reader how old the ages are.
const TextfileRefresh = 10 * time.Second

func (s *Sinks) writer() {
	defer s.wg.Done()
	failing := false
	var last textfileState
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
		}
		snap := s.latest.Load()
		if snap == nil {
			continue
		}
		// The snapshot's own time, the daemon's clock: the daemon publishes
		// an age-only change TextfileRefresh after the last by that clock.
		err := last.write(s.textfile, snap, snap.Time)
		if err != nil && !failing {
			s.logf("hbgo: metrics_textfile %s: %v", s.textfile, err)
		} else if err == nil && failing {
			s.logf("hbgo: metrics_textfile %s written again", s.textfile)
		}
		failing = err != nil
	}
}

// textfileState is what the writer last put into the textfile.
type textfileState struct {
	body, key []byte // the metrics, and the same without the age lines
	spare     []byte // the key before last, reused for the next key
	written   time.Time
}

// write renders snap and writes it to path unless only its ages differ
// from the last file written, less than TextfileRefresh ago.
func (t *textfileState) write(path string, snap *Snapshot, now time.Time) error {
	if snap == nil {
		return nil
	}
	var b bytes.Buffer
	if err := WriteMetrics(&b, snap); err != nil {
		return err
	}
	key := WithoutIdle(b.Bytes(), t.spare[:0])
	same := t.body != nil && bytes.Equal(key, t.key)
	t.key, t.spare = key, t.key
	if same && now.Sub(t.written) < TextfileRefresh {
		return nil
	}
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		t.body = nil // try again at the next snapshot
		return err
	}
	t.body, t.written = b.Bytes(), now
	return nil
}

// idleLines start the samples that change on an idle cluster. The
// heartbeat ages change with every packet, and each peer's self-acknowledgements
// (NS_ackmsg dest=itself, about one per ten of its packets, which stock
// sends too: PROTOCOL §9.3) are counted as not-to-us drops here, every two
// seconds at keepalive 200 ms.
var idleLines = [][]byte{
	[]byte("hbgo_link_last_heartbeat_seconds{"),
	[]byte(`hbgo_dropped_datagrams_total{reason="` + DropNotToUs + `"}`),
}

// DropNotToUs is the drop reason of packets addressed to another node.
const DropNotToUs = "not-to-us"

// WithoutIdle appends to dst the exposition text b without the samples
// that change on an idle cluster (idleLines): what the textfile writes at
// once when it changes.
func WithoutIdle(b, dst []byte) []byte {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			b = nil
		}
		idle := false
		for _, p := range idleLines {
			idle = idle || bytes.HasPrefix(line, p)
		}
		if !idle {
			dst = append(dst, line...)
		}
	}
	return dst
}

// writeFileAtomic puts b at path through a temporary file renamed over it.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// Close stops the writer and the listener.
func (s *Sinks) Close() {
	if s == nil {
		return
	}
	close(s.done)
	if s.ln != nil {
		_ = s.ln.Close()
	}
	s.wg.Wait()
}
