package hblog

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Options configure a Log; the caller applies ha.cf defaults (syslogmsgfmt defaults to true there).
//
// With no logfile, no debugfile and no logfacility, stock implies use_logd and, with no ha_logd
// running, loses every line (COMPAT §8.1); Log does the same: it writes nothing.
type Options struct {
	Logfile      string           // ha.cf logfile; "" or "/dev/null" = none
	Debugfile    string           // ha.cf debugfile; "" or "/dev/null" = none
	Facility     string           // ha.cf logfacility name; "" or "none" = no syslog
	SyslogMsgFmt bool             // ha.cf syslogmsgfmt: file lines in syslog shape (true) or `heartbeat[pid]: date` shape
	UseLogd      bool             // ha.cf use_logd: accepted; hbgo has no ha_logd and always logs directly (stock's fallback when logd is unreachable)
	Debug        int              // ha.cf debug level (0–255); see DebugLevel
	Nodename     string           // kernel nodename (uname -n) written in syslog-shaped file lines
	Entity       string           // program name in lines; "" = "heartbeat"
	PID          int              // pid written in daemon lines
	Now          func() time.Time // clock for timestamps and the once-a-minute rotation check; nil = time.Now
	Location     *time.Location   // time zone of the timestamps; nil = time.Local
	Stderr       io.Writer        // if set, gets every non-debug daemon line in the file format in effect

	// Owner, if set, is given both files at start, as stock chowns them to hacluster:haclient
	// (COMPAT §8.1); files re-created after a rotation are left as created (stock-run-oldfmt shows root:root).
	Owner *Owner

	SyslogNetwork string // "" = "unixgram"
	SyslogAddr    string // "" = DefaultSyslogAddr

	// Queue, when > 0, gives each destination a goroutine and a queue of
	// that many lines: logging never waits for a destination, and a full
	// queue drops lines (Dropped counts them). 0 writes in the caller, in
	// order with its other output (commands, tests).
	Queue int

	// Format is hbgo.cf logformat: "" or FormatText writes heartbeat's
	// lines; FormatJSON writes logfile, debugfile and stderr lines as
	// JSONFormatter objects. Syslog keeps heartbeat's shape either way.
	Format string
}

// Log formats (hbgo.cf logformat).
const (
	FormatText = "text"
	FormatJSON = "json"
)

// FormatError reports an unknown Options.Format.
type FormatError struct{ Name string }

func (e *FormatError) Error() string {
	return "hblog: log format " + e.Name + " is not " + FormatText + " or " + FormatJSON
}

// Owner is a numeric user and group.
type Owner struct{ UID, GID int }

// FacilityError reports an unknown ha.cf logfacility name; its text is heartbeat's (COMPAT §2.3).
type FacilityError struct{ Name string }

func (e *FacilityError) Error() string { return "Log facility(" + e.Name + ") not valid" }

// Log is the real Logger: logfile, debugfile, syslog and stderr routed as stock's cl_log does (COMPAT §8.1).
//
// Every line goes through a logrus.Logger: each destination is a logrus
// hook (sinkHook) with its own formatter (HALogFormatter, HADebugFormatter,
// SyslogFormatter, or JSONFormatter with hbgo.cf `logformat json`) and, in
// the daemon, its own queue. logrus's single Out is not used: the
// destinations differ in shape and in which lines they take (ha-log takes
// no debug lines, ha-debug takes raw script output), which one output and
// one formatter cannot express.
type Log struct {
	opts   Options
	lr     *logrus.Logger
	entry  *logrus.Entry // reused for every line (under mu); logrus copies it before the hooks see it
	rec    Record        // the Record of the line being logged (under mu; the hooks run in the caller)
	log    *ReopenWriter
	debug  *ReopenWriter // == log when debugfile and logfile name the same file
	same   bool
	sysl   *SyslogWriter
	fac    int
	mu     sync.Mutex // serialises rotation checks with writes so the rotate line lands first
	dlevel int

	// With Options.Queue: one queue per destination (nil: write in the caller).
	qLog, qDebug, qSys, qErr *sinkQueue
	closed                   bool
}

// New opens the configured destinations; a log file that cannot be opened is an error (stock would only complain to syslog).
func New(opts Options) (*Log, error) {
	if opts.Entity == "" {
		opts.Entity = "heartbeat"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Format != "" && opts.Format != FormatText && opts.Format != FormatJSON {
		return nil, &FormatError{opts.Format}
	}
	l := &Log{opts: opts, dlevel: opts.Debug}
	if isFile(opts.Logfile) {
		w, err := OpenReopenWriter(opts.Logfile, opts.Now)
		if err != nil {
			return nil, err
		}
		l.log = w
	}
	if isFile(opts.Debugfile) && opts.Debugfile == opts.Logfile {
		// One file for both: every daemon line once, script lines in the logfile shape only
		// (COMPAT §8.1 "unless D = F"; stock would write non-debug daemon lines twice).
		l.debug, l.same = l.log, true
	} else if isFile(opts.Debugfile) {
		w, err := OpenReopenWriter(opts.Debugfile, opts.Now)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.debug = w
	}
	if opts.Owner != nil {
		for _, w := range []*ReopenWriter{l.log, l.debug} {
			if w == nil {
				continue
			}
			if err := os.Chown(w.Path(), opts.Owner.UID, opts.Owner.GID); err != nil {
				l.Close()
				return nil, fmt.Errorf("hblog: %w", err)
			}
		}
	}
	if opts.Facility != "" && opts.Facility != "none" {
		fac, ok := Facility(opts.Facility)
		if !ok {
			l.Close()
			return nil, &FacilityError{opts.Facility}
		}
		l.fac = fac
		network, addr := opts.SyslogNetwork, opts.SyslogAddr
		if network == "" {
			network = "unixgram"
		}
		if addr == "" {
			addr = DefaultSyslogAddr
		}
		w, err := DialSyslog(network, addr, fac)
		if err != nil {
			// glibc syslog(3) also logs nothing when /dev/log is absent; keep going, Send redials.
			w = &SyslogWriter{network: network, addr: addr, facility: fac}
		}
		l.sysl = w
	}
	if opts.Queue > 0 {
		if l.log != nil {
			l.qLog = newSinkQueue("logfile", opts.Queue)
		}
		if l.debug != nil && l.same {
			l.qDebug = l.qLog // one file: one queue keeps its lines in order
		} else if l.debug != nil {
			l.qDebug = newSinkQueue("debugfile", opts.Queue)
		}
		if l.sysl != nil {
			l.qSys = newSinkQueue("syslog", opts.Queue)
		}
		if opts.Stderr != nil {
			l.qErr = newSinkQueue("stderr", opts.Queue)
		}
	}
	lr := logrus.New()
	lr.Out = io.Discard
	lr.Formatter = unusedFormatter{}
	lr.Level = logrus.TraceLevel
	lr.ExitFunc = func(int) {} // never exit from a log call
	lr.SetNoLock()             // Log.mu serialises every call
	for _, h := range l.hooks() {
		lr.AddHook(h)
	}
	l.lr = lr
	l.entry = logrus.NewEntry(lr)
	return l, nil
}

func isFile(p string) bool { return p != "" && p != "/dev/null" }

// DebugLevel returns the current debug level (ha.cf debug, -d, SIGUSR1/SIGUSR2); callers gate detailed debug output on it.
func (l *Log) DebugLevel() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dlevel
}

// SetDebugLevel changes the debug level (SIGUSR1 raises it, SIGUSR2 lowers it).
func (l *Log) SetDebugLevel(n int) {
	l.mu.Lock()
	l.dlevel = n
	l.mu.Unlock()
}

// Log writes a daemon line with the configured pid.
func (l *Log) Log(level Level, format string, args ...any) {
	l.emit(Record{PID: l.opts.PID, Level: level}, sprintf(format, args))
}

// LogPID writes a daemon line as if process pid had logged it (stock logs resource work from forked children, COMPAT §8.2).
func (l *Log) LogPID(pid int, level Level, format string, args ...any) {
	l.emit(Record{PID: pid, Level: level}, sprintf(format, args))
}

// LogAs writes a daemon line under another program's name, as a heartbeat
// client logging through heartbeat's logging does (`ipfail: [pid]: info: …`).
func (l *Log) LogAs(entity string, pid int, level Level, format string, args ...any) {
	l.emit(Record{PID: pid, Level: level, Entity: entity}, sprintf(format, args))
}

// Script writes an ha_log-style script line to logfile, debugfile and syslog (ident = tag).
func (l *Log) Script(tag, text string) {
	l.emit(Record{Kind: RecScript, Level: ScriptLevel(text), Tag: tag}, text)
}

// ScriptDebug writes an ha_debug-style script line: debugfile only.
func (l *Log) ScriptDebug(tag, text string) {
	l.emit(Record{Kind: RecScriptDebug, Level: Debug, Tag: tag}, text)
}

// Output writes raw resource-script stdout/stderr to the debugfile, as stock does (COMPAT §8.1).
func (l *Log) Output(p []byte) {
	if len(p) == 0 {
		return
	}
	l.emit(Record{Kind: RecOutput, Level: Debug}, string(p))
}

// Infof logs at info.
func (l *Log) Infof(format string, args ...any) { l.Log(Info, format, args...) }

// Warnf logs at WARN.
func (l *Log) Warnf(format string, args ...any) { l.Log(Warn, format, args...) }

// Errorf logs at ERROR.
func (l *Log) Errorf(format string, args ...any) { l.Log(Error, format, args...) }

// Critf logs at CRIT.
func (l *Log) Critf(format string, args ...any) { l.Log(Crit, format, args...) }

// Debugf logs at debug.
func (l *Log) Debugf(format string, args ...any) { l.Log(Debug, format, args...) }

// emit checks for log rotation first (logging the rotate notice as its own line, never from inside a hook) and then hands the line to logrus.
//
// Order as stock (glue cl_log.c cl_direct_log; testdata/stock-run-oldfmt): the triggering
// message goes to syslog first, then the rotate notice everywhere, then the message to the files.
func (l *Log) emit(r Record, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	t := l.opts.Now().In(l.opts.Location)
	var rotated []string
	for _, w := range []*ReopenWriter{l.log, l.debug} {
		if w == nil || (l.same && w == l.debug) {
			continue
		}
		if l.qLog != nil || l.qDebug != nil {
			// Queued: the file's own goroutine stats and reopens (a
			// stat on a hung /var/log must not hold the caller); the
			// notice follows the first line it wrote to the new file.
			if w.rotated.Swap(false) {
				rotated = append(rotated, w.Path())
			}
		} else if ok, _ := w.CheckRotated(); ok {
			rotated = append(rotated, w.Path())
		}
	}
	if len(rotated) == 0 {
		l.fire(r, t, text, dstAll)
		return
	}
	l.fire(r, t, text, dstSyslog)
	pid := r.PID
	if r.Kind != RecDaemon {
		pid = l.opts.PID
	}
	for _, p := range rotated {
		// glue cl_log.c maybe_close_log_file: logged at info by the process that was logging.
		l.fire(Record{PID: pid, Level: Info}, t, LogRotate(p).Text, dstAll)
	}
	l.fire(r, t, text, dstFiles)
}

// Destinations of one fire.
const (
	dstFiles  = 1 << iota // logfile, debugfile, stderr
	dstSyslog             // syslog
	dstAll    = dstFiles | dstSyslog
)

// fire logs one line through logrus to the hooks that take it (dst); l.mu is held.
func (l *Log) fire(r Record, t time.Time, text string, dst int) {
	r.dst = dst
	l.rec = r
	e := l.entry
	e.Time = t
	e.Data[FieldKey] = &l.rec
	e.Log(logrusLevel(r.Level), truncate(text))
}

// unusedFormatter formats for logrus's own Out, which Log does not use (see Log).
type unusedFormatter struct{}

func (unusedFormatter) Format(*logrus.Entry) ([]byte, error) { return nil, nil }

// Close writes what is queued (waiting 2 s at most) and closes files and
// the syslog socket; a destination that still hangs is left open.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	var first error
	debug := l.debug
	if l.same {
		debug = nil
	}
	log, sysl := l.log, l.sysl
	deadline := time.Now().Add(sinkCloseWait)
	if l.qLog != nil && !l.qLog.stop(deadline) {
		log = nil
		if l.same {
			debug = nil
		}
	}
	if l.qDebug != nil && l.qDebug != l.qLog && !l.qDebug.stop(deadline) {
		debug = nil
	}
	if l.qSys != nil && !l.qSys.stop(deadline) {
		sysl = nil
	}
	if l.qErr != nil {
		l.qErr.stop(deadline)
	}
	for _, c := range []io.Closer{log, debug, sysl} {
		switch v := c.(type) {
		case *ReopenWriter:
			if v == nil {
				continue
			}
		case *SyslogWriter:
			if v == nil {
				continue
			}
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
