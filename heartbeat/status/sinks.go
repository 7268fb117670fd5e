package status

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"hbgo/heartbeat/hacf"
)

// ErrNotLoopback is returned for a metrics listener on a non-loopback
// address without metrics_listen_any on.
var ErrNotLoopback = errors.New("metrics_listen: not a loopback address (metrics_listen_any on allows it)")

// Sinks publish snapshots off the daemon loop: to the node_exporter
// textfile and to the HTTP endpoint. Publish never blocks; the writer
// goroutine takes the newest snapshot, so a slow disk skips snapshots
// instead of queueing them.
type Sinks struct {
	textfile string
	logf     func(format string, args ...any)
	latest   atomic.Pointer[Snapshot]
	kick     chan struct{}
	done     chan struct{}
	ln       net.Listener
	srv      *http.Server
	wg       sync.WaitGroup
}

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
func NewSinks(c *hacf.HbgoConfig, logf func(format string, args ...any)) (*Sinks, error) {
	if c.MetricsTextfile == "" && c.MetricsListen == "" {
		return nil, nil
	}
	s := &Sinks{textfile: c.MetricsTextfile, logf: logf, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if c.MetricsListen != "" {
		ln, err := ListenMetrics(c.MetricsListen, c.MetricsListenAny)
		if err != nil {
			return nil, err
		}
		s.ln = ln
		mux := http.NewServeMux()
		mux.HandleFunc("/metrics", s.serveMetrics)
		s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = s.srv.Serve(ln)
		}()
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

func (s *Sinks) serveMetrics(w http.ResponseWriter, r *http.Request) {
	snap := s.latest.Load()
	if snap == nil {
		http.Error(w, "no snapshot yet", http.StatusServiceUnavailable)
		return
	}
	var b bytes.Buffer
	if err := WriteMetrics(&b, snap); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func (s *Sinks) writer() {
	defer s.wg.Done()
	failing := false
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
		}
		err := WriteTextfile(s.textfile, s.latest.Load())
		if err != nil && !failing {
			s.logf("hbgo: metrics_textfile %s: %v", s.textfile, err)
		} else if err == nil && failing {
			s.logf("hbgo: metrics_textfile %s written again", s.textfile)
		}
		failing = err != nil
	}
}

// WriteTextfile writes the snapshot's metrics to path atomically: a
// temporary file in the same directory renamed over path, so node_exporter
// never reads half a file. No fsync: it runs every keepalive, and after a
// crash a lost or empty file is rewritten by the next daemon.
func WriteTextfile(path string, snap *Snapshot) error {
	if snap == nil {
		return nil
	}
	var b bytes.Buffer
	if err := WriteMetrics(&b, snap); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b.Bytes())
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
	if s.srv != nil {
		_ = s.srv.Close()
	}
	s.wg.Wait()
}
