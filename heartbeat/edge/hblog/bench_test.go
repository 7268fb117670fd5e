package hblog

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLogFiles measures one daemon line to ha-log and ha-debug (the hot path during a failover).
func BenchmarkLogFiles(b *testing.B) {
	dir := b.TempDir()
	l, err := New(Options{Logfile: filepath.Join(dir, "ha-log"), Debugfile: filepath.Join(dir, "ha-debug"),
		SyslogMsgFmt: true, Nodename: "node1", PID: 100, Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		l.Warnf("node %s: is dead", "node2")
	}
}

// BenchmarkJournalAppend measures queuing one event (the caller's cost; the disk write is off the caller's path).
func BenchmarkJournalAppend(b *testing.B) {
	j, err := OpenJournal(JournalOptions{Path: filepath.Join(b.TempDir(), "j"), Queue: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ReportAllocs()
	for b.Loop() {
		j.Append(Event{Kind: EvNodeDead, Node: "node2"})
	}
}

// BenchmarkLogQueued measures one daemon line as the daemon logs it: ha-log,
// ha-debug and syslog, each behind its queue (the caller's cost; the writes
// run on the sinks' goroutines, and a full queue drops).
func BenchmarkLogQueued(b *testing.B) {
	dir := b.TempDir()
	sock := filepath.Join(dir, "log")
	pc, err := net.ListenPacket("unixgram", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 8192)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	l, err := New(Options{Logfile: filepath.Join(dir, "ha-log"), Debugfile: filepath.Join(dir, "ha-debug"),
		Facility: "local0", SyslogAddr: sock, SyslogMsgFmt: true, Nodename: "node1", PID: 100,
		Location: time.UTC, Queue: 1024})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		l.Warnf("node %s: is dead", "node2")
	}
}

// BenchmarkLogScript measures one ha_log-style script line to ha-log and ha-debug.
func BenchmarkLogScript(b *testing.B) {
	dir := b.TempDir()
	l, err := New(Options{Logfile: filepath.Join(dir, "ha-log"), Debugfile: filepath.Join(dir, "ha-debug"),
		SyslogMsgFmt: true, Nodename: "node1", PID: 100, Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		l.Script("IPaddr(IPaddr_10.0.0.5)[7]", "INFO: Success")
	}
}

// BenchmarkLogJSON is BenchmarkLogFiles with hbgo.cf logformat json.
func BenchmarkLogJSON(b *testing.B) {
	dir := b.TempDir()
	l, err := New(Options{Logfile: filepath.Join(dir, "ha-log"), Debugfile: filepath.Join(dir, "ha-debug"),
		SyslogMsgFmt: true, Nodename: "node1", PID: 100, Location: time.UTC, Format: FormatJSON})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		l.Warnf("node %s: is dead", "node2")
	}
}
