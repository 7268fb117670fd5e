package hblog

import (
	"io"

	"github.com/sirupsen/logrus"
)

// sinkHook is one destination of a Log (the logfile, the debugfile, syslog,
// stderr) as a logrus hook. It takes the lines its route accepts (COMPAT
// §8.1), renders them with its formatter in the caller, and hands the bytes
// to the destination: through the destination's queue when there is one, so
// Fire never waits for a disk, a syslog daemon or a pipe (a full queue
// drops and counts the line), else in the caller. It never logs, and Fire
// never fails: logrus stops firing hooks at the first error, and one
// destination must not cost another its line.
type sinkHook struct {
	route func(r *Record) bool
	f     logrus.Formatter
	w     io.Writer
	q     *sinkQueue    // nil: write in the caller
	file  *ReopenWriter // queued files: checked for rotation before each write
}

func (*sinkHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *sinkHook) Fire(e *logrus.Entry) error {
	if !h.route(recordOf(e)) {
		return nil
	}
	b, err := h.f.Format(e)
	if err != nil || len(b) == 0 {
		return nil
	}
	if h.q == nil {
		h.w.Write(b)
		return nil
	}
	h.q.put(sinkItem{h: h, b: b})
	return nil
}

// deliver runs on the queue's goroutine; the rotation check comes first
// there, and Log.emit writes the notice after the next line (see emit).
func (h *sinkHook) deliver(b []byte) {
	if h.file != nil {
		if ok, _ := h.file.CheckRotated(); ok {
			h.file.rotated.Store(true)
		}
	}
	h.w.Write(b)
}

// hooks returns the destinations opened by New, each with its route and formatter.
func (l *Log) hooks() []logrus.Hook {
	o := &l.opts
	lf := LineFormat{SyslogMsgFmt: o.SyslogMsgFmt, Nodename: o.Nodename, Entity: o.Entity}
	var logF, debugF, errF logrus.Formatter = &HALogFormatter{lf}, &HADebugFormatter{lf}, &HALogFormatter{lf}
	if o.Format == FormatJSON {
		j := &JSONFormatter{Nodename: o.Nodename, Entity: o.Entity}
		logF, debugF, errF = j, j, j
	}
	same := l.same
	var hs []logrus.Hook
	file := func(w *ReopenWriter, q *sinkQueue, f logrus.Formatter, route func(r *Record) bool) {
		h := &sinkHook{route: route, f: f, w: w, q: q}
		if q != nil {
			h.file = w
		}
		hs = append(hs, h)
	}
	if l.log != nil {
		// The logfile: daemon lines but debug, ha_log script lines. With
		// debugfile = logfile, daemon lines come through the debugfile's hook.
		file(l.log, l.qLog, logF, func(r *Record) bool {
			if r.dst&dstFiles == 0 {
				return false
			}
			return r.Kind == RecScript || (r.Kind == RecDaemon && r.Level != Debug && !same)
		})
	}
	if l.debug != nil {
		// The debugfile: every daemon line, raw script output, and script
		// lines unless it is the logfile too ("unless D = F", COMPAT §8.1).
		file(l.debug, l.qDebug, debugF, func(r *Record) bool {
			if r.dst&dstFiles == 0 {
				return false
			}
			return r.Kind == RecDaemon || r.Kind == RecOutput || !same
		})
	}
	if l.sysl != nil {
		// Syslog: daemon lines and ha_log script lines (never ha_debug's or raw output).
		hs = append(hs, &sinkHook{route: func(r *Record) bool {
			return r.dst&dstSyslog != 0 && (r.Kind == RecDaemon || r.Kind == RecScript)
		}, f: &SyslogFormatter{Facility: l.fac, Entity: o.Entity}, w: l.sysl, q: l.qSys})
	}
	if o.Stderr != nil {
		// Stderr (heartbeat -f, -r): non-debug daemon lines in the file format in effect.
		hs = append(hs, &sinkHook{route: func(r *Record) bool {
			return r.dst&dstFiles != 0 && r.Kind == RecDaemon && r.Level != Debug
		}, f: errF, w: o.Stderr, q: l.qErr})
	}
	return hs
}
