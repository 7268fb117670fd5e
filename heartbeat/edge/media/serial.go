package media

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.bug.st/serial"

	"hbgo/heartbeat/core/wire"
)

// SerialSpec is one `serial <device>` link with the baud in effect (PROTOCOL §12.5).
type SerialSpec struct {
	Device  string
	Baud    int    // default 19200
	LockDir string // UUCP lock directory; default /run/lock
}

// serialMedium is a null-modem link: classic frames, written in paced
// 512-byte chunks by its own writer goroutine, read frame by frame, and
// reopened with backoff when the tty fails (peer unplugged, socat gone).
type serialMedium struct {
	spec    SerialSpec
	now     func() time.Time
	c       counters
	out     chan []byte
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	port    serial.Port
	lock    string
	onEvent func(string) // log sink for reopen / write-timeout lines
}

// serialQueue bounds the messages waiting for the (slow) line; the oldest
// are dropped beyond it, since a stale status is worth less than a new one.
const serialQueue = 64

// OpenSerial opens a serial link; received frames go to rx. events receives
// the ha-log lines the medium wants written (write timeouts, reopen), never
// blocking; it may be nil.
func OpenSerial(s SerialSpec, rx *Queue, events func(string)) (Medium, error) {
	if s.Baud == 0 {
		s.Baud = 19200
	}
	if s.LockDir == "" {
		s.LockDir = "/run/lock"
	}
	if events == nil {
		events = func(string) {}
	}
	if !filepath.IsAbs(s.Device) {
		return nil, Explain("serial", s.Device, 0, errors.New("device must be an absolute path"))
	}
	lock, err := uucpLock(s.LockDir, s.Device)
	if err != nil {
		return nil, Explain("serial", s.Device, 0, err)
	}
	m := &serialMedium{spec: s, now: time.Now, out: make(chan []byte, serialQueue), done: make(chan struct{}), lock: lock, onEvent: events}
	p, err := m.open()
	if err != nil {
		os.Remove(lock)
		return nil, Explain("serial", s.Device, 0, err)
	}
	m.port = p
	m.wg.Add(2)
	go m.reader(rx)
	go m.writer()
	return m, nil
}

func (m *serialMedium) open() (serial.Port, error) {
	p, err := serial.Open(m.spec.Device, &serial.Mode{BaudRate: m.spec.Baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, err
	}
	// Stock sends a break after opening so the other side flushes; a pty has
	// no line to break, so the error is ignored.
	_ = p.Break(10 * time.Millisecond)
	return p, nil
}

func (m *serialMedium) Link() string { return m.spec.Device }
func (m *serialMedium) Kind() string { return "serial" }
func (m *serialMedium) Started() string {
	return fmt.Sprintf("glib: Starting serial heartbeat on tty %s (%d baud)", m.spec.Device, m.spec.Baud)
}
func (m *serialMedium) Stats() Stats { return m.c.snapshot() }

func (m *serialMedium) Send(out Outgoing) error {
	select {
	case <-m.done:
		return ErrClosed
	default:
	}
	for {
		select {
		case m.out <- out.Classic:
			return nil
		default:
			select { // full: drop the oldest queued message
			case <-m.out:
				m.c.sendFailed(errors.New("serial queue full: oldest message dropped"), m.now())
			default:
			}
		}
	}
}

func (m *serialMedium) current() serial.Port {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.port
}

// reopen replaces a failed port, backing off 1 s, 2 s, … up to 30 s.
func (m *serialMedium) reopen(failed serial.Port) bool {
	m.mu.Lock()
	if m.port != failed {
		m.mu.Unlock()
		return true // the other goroutine already reopened it
	}
	if failed != nil {
		failed.Close()
	}
	m.port = nil
	m.mu.Unlock()
	backoff := time.Second
	m.onEvent(fmt.Sprintf("WARN: serial link %s failed; reopening", m.spec.Device))
	for {
		select {
		case <-m.done:
			return false
		case <-time.After(backoff):
		}
		p, err := m.open()
		if err == nil {
			m.mu.Lock()
			m.port = p
			m.mu.Unlock()
			m.onEvent(fmt.Sprintf("info: serial link %s reopened", m.spec.Device))
			return true
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}

// portReader adapts a port to io.Reader: go.bug.st/serial returns (0, nil)
// on a read timeout, which bufio would treat as no progress.
type portReader struct{ m *serialMedium }

func (r portReader) Read(b []byte) (int, error) {
	for {
		p := r.m.current()
		if p == nil {
			if !r.m.reopen(nil) {
				return 0, io.EOF
			}
			continue
		}
		n, err := p.Read(b)
		if n > 0 {
			return n, nil
		}
		select {
		case <-r.m.done:
			return 0, io.EOF
		default:
		}
		if err != nil {
			if !r.m.reopen(p) {
				return 0, io.EOF
			}
		}
	}
}

func (m *serialMedium) reader(rx *Queue) {
	defer m.wg.Done()
	sr := wire.NewSerialReader(portReader{m})
	for {
		frame, _, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		at := m.now()
		if err != nil {
			// A damaged frame still reaches the daemon, which counts it as
			// malformed; the reader goes on with the next frame.
			var fe *wire.FrameError
			if errors.As(err, &fe) {
				m.c.deliver(rx, Packet{Link: m.spec.Device, At: at, From: m.spec.Device, Err: fe})
			}
			continue
		}
		m.c.deliver(rx, Packet{Data: frame, Link: m.spec.Device, At: at, From: m.spec.Device})
	}
}

func (m *serialMedium) writer() {
	defer m.wg.Done()
	var lastTimeoutLog time.Time
	for {
		var msg []byte
		select {
		case <-m.done:
			return
		case msg = <-m.out:
		}
		chunks, pause := wire.SerialChunks(msg, m.spec.Baud)
		for i, ch := range chunks {
			p := m.current()
			if p == nil {
				break
			}
			if err := m.writeGuarded(p, ch); err != nil {
				m.c.sendFailed(err, m.now())
				// Stock logs this at most once an hour (PROTOCOL §12.5).
				if now := m.now(); now.Sub(lastTimeoutLog) > time.Hour {
					lastTimeoutLog = now
					m.onEvent(fmt.Sprintf("WARN: TTY write timeout on [%s] (no connection or bad cable? [see documentation])", m.spec.Device))
				}
				_ = p.ResetOutputBuffer()
				break
			}
			if i+1 < len(chunks) {
				select {
				case <-m.done:
					return
				case <-time.After(pause):
				}
			}
		}
		m.c.sent.Add(1)
	}
}

// writeGuarded writes one chunk, giving up after 500 ms as stock's alarm does.
func (m *serialMedium) writeGuarded(p serial.Port, b []byte) error {
	res := make(chan error, 1)
	go func() { _, err := p.Write(b); res <- err }()
	select {
	case err := <-res:
		return err
	case <-time.After(500 * time.Millisecond):
		return fmt.Errorf("serial %s: write timed out", m.spec.Device)
	}
}

func (m *serialMedium) Close() error {
	select {
	case <-m.done:
		return nil
	default:
	}
	close(m.done)
	m.mu.Lock()
	if m.port != nil {
		m.port.Close()
	}
	m.mu.Unlock()
	m.wg.Wait()
	os.Remove(m.lock)
	return nil
}

// uucpLock takes the UUCP-style lock stock takes before using a tty:
// LCK..<name> holding the pid in 10 columns. A lock whose pid is gone is stale
// and replaced; a live one (say, a stock heartbeat still using the line) refuses.
// olderThanUs reports whether the file at path was last written before
// this process started (btime + starttime from /proc).
func olderThanUs(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	st, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
	if len(f) < 20 {
		return false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22: starttime, in clock ticks since boot
	if err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return false
	}
	var btime int64
	for _, l := range strings.Split(string(stat), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			btime, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if btime == 0 {
		return false
	}
	const hz = 100 // USER_HZ, fixed at 100 on Linux
	start := time.Unix(btime, 0).Add(time.Duration(ticks) * time.Second / hz)
	// btime has whole seconds: only a lock clearly older than us is stale.
	return fi.ModTime().Before(start.Add(-time.Second))
}

// alive reports whether pid is a running process: a zombie (a crashed
// daemon nobody reaped yet) holds no lock.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) == 0 || f[0] != "Z"
}

func uucpLock(dir, dev string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "LCK.."+strings.ReplaceAll(strings.TrimPrefix(dev, "/dev/"), "/", "_"))
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = fmt.Fprintf(f, "%10d\n", os.Getpid())
			f.Close()
			return path, err
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
		b, _ := os.ReadFile(path)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		// A lock holding our own pid but older than this process is stale
		// too: in a fresh pid namespace a restarted daemon gets its
		// predecessor's pid back. One written since we started is ours: a
		// second open of the same device.
		if perr == nil && pid > 0 && alive(pid) && (pid != os.Getpid() || !olderThanUs(path)) {
			return "", &errLocked{pid: pid, path: path}
		}
		os.Remove(path) // stale
	}
	return "", fmt.Errorf("cannot lock %s", dev)
}
