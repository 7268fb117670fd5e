package hblog

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// facilities maps ha.cf logfacility names (glibc's facilitynames, COMPAT §2.3) to syslog facility codes (already shifted: code<<3).
var facilities = map[string]int{
	"kern": 0 << 3, "user": 1 << 3, "mail": 2 << 3, "daemon": 3 << 3,
	"auth": 4 << 3, "security": 4 << 3, "syslog": 5 << 3, "lpr": 6 << 3,
	"news": 7 << 3, "uucp": 8 << 3, "cron": 9 << 3, "authpriv": 10 << 3,
	"ftp":    11 << 3,
	"local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3, "local3": 19 << 3,
	"local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3, "local7": 23 << 3,
}

// Facility returns the syslog facility code (shifted, e.g. local0 = 128) for an ha.cf logfacility name; ok is false for unknown names and "none".
func Facility(name string) (code int, ok bool) {
	code, ok = facilities[name]
	return code, ok
}

// DefaultSyslogAddr is the local syslog socket glibc's syslog(3) writes to.
const DefaultSyslogAddr = "/dev/log"

// syslogWriteTimeout bounds how long one datagram may block the logging caller (a stuck syslogd must not stall membership).
const syslogWriteTimeout = 250 * time.Millisecond

// SyslogWriter sends syslog datagrams shaped like glibc syslog(3) without LOG_PID: `<PRI>Mmm dd hh:mm:ss ident: msg`.
//
// Not the stdlib log/syslog Writer: that one always inserts its own `ident[pid]:`, and heartbeat's
// syslog lines are `heartbeat: [pid]: LEVEL: text` (COMPAT §8.2, §8.6; logcheck rules match it).
type SyslogWriter struct {
	network, addr string
	facility      int

	mu      sync.Mutex
	conn    net.Conn
	dropped int
}

// DialSyslog connects to a syslog socket (network "unixgram" and DefaultSyslogAddr for the local daemon).
func DialSyslog(network, addr string, facility int) (*SyslogWriter, error) {
	w := &SyslogWriter{network: network, addr: addr, facility: facility}
	if err := w.connect(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *SyslogWriter) connect() error {
	c, err := net.Dial(w.network, w.addr)
	if err != nil {
		return fmt.Errorf("hblog: syslog %s %s: %w", w.network, w.addr, err)
	}
	w.conn = c
	return nil
}

// Datagram returns the bytes glibc's syslog(3) would send for ident and msg at time t, with facility|severity as PRI.
func Datagram(facility int, level Level, t time.Time, ident, msg string) []byte {
	b := appendDatagramHead(make([]byte, 0, 24+len(ident)+len(msg)), facility, level, t, ident)
	return append(b, strings.TrimRight(msg, "\n")...)
}

// appendDatagramHead appends what precedes the message: glibc __vsyslog's
// "<%d>", strftime "%h %e %T ", then "ident: ".
func appendDatagramHead(b []byte, facility int, level Level, t time.Time, ident string) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(facility|level.Severity()), 10)
	b = append(b, '>')
	b = append(b, months[t.Month()-1]...)
	b = append(b, ' ')
	if d := t.Day(); d < 10 {
		b = append(b, ' ', byte('0'+d))
	} else {
		b = append2(b, d)
	}
	b = append(b, ' ')
	b = appendClock(b, t)
	b = append(b, ' ')
	b = append(b, ident...)
	return append(b, ": "...)
}

// Send writes one datagram, reconnecting once if the socket went away; a datagram that cannot be sent within 250 ms is dropped and counted.
func (w *SyslogWriter) Send(level Level, t time.Time, ident, msg string) error {
	_, err := w.Write(Datagram(w.facility, level, t, ident, msg))
	return err
}

// Write sends b, one whole datagram (SyslogFormatter's), as Send does.
func (w *SyslogWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		if err := w.connect(); err != nil {
			w.dropped++
			return 0, err
		}
	}
	err := w.write(b)
	if err != nil && !isTimeout(err) {
		// syslogd restarted: its socket is new, dial again once.
		w.conn.Close()
		w.conn = nil
		if err = w.connect(); err == nil {
			err = w.write(b)
		}
	}
	if err != nil {
		w.dropped++
		return 0, err
	}
	return len(b), nil
}

func (w *SyslogWriter) write(b []byte) error {
	w.conn.SetWriteDeadline(time.Now().Add(syslogWriteTimeout))
	_, err := w.conn.Write(b)
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Dropped returns how many datagrams could not be sent.
func (w *SyslogWriter) Dropped() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Close closes the socket.
func (w *SyslogWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		return nil
	}
	err := w.conn.Close()
	w.conn = nil
	return err
}
