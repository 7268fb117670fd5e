package hblog

import (
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
