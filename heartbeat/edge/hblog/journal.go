package hblog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

// DefaultJournalPath is where hbgo keeps its event journal, beside heartbeat's state.
const DefaultJournalPath = "/var/lib/heartbeat/hbgo-journal"

// JournalTimeFormat is the journal's timestamp layout: UTC with microseconds.
const JournalTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Event is one journal record: `{"t":"2026-11-23T03:12:07.123456Z","ev":"node_dead","node":"node1",…}`.
type Event struct {
	Time   time.Time
	Kind   string            // "ev": node_dead, link_up, status, …
	Node   string            // "node", omitted when empty
	Fields map[string]string // further flat string fields
}

// MarshalJSON writes t, ev, node, then Fields in sorted key order.
func (e Event) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"t":`)
	b.WriteString(strconv.Quote(e.Time.UTC().Format(JournalTimeFormat)))
	b.WriteString(`,"ev":`)
	writeJSONString(&b, e.Kind)
	if e.Node != "" {
		b.WriteString(`,"node":`)
		writeJSONString(&b, e.Node)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		if k != "t" && k != "ev" && k != "node" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(',')
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONString(&b, e.Fields[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // strings always marshal
	b.Write(q)
}

// UnmarshalJSON reads a journal record; non-string extra values are kept as their JSON text.
func (e *Event) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	var ts string
	if err := json.Unmarshal(m["t"], &ts); err != nil {
		return fmt.Errorf("journal: bad or missing \"t\": %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return fmt.Errorf("journal: bad \"t\": %w", err)
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		// Found by FuzzReadJournal (seed year-zero-offset): such a time cannot be written back in UTC.
		return fmt.Errorf("journal: \"t\" %q out of range", ts)
	}
	*e = Event{Time: t}
	if err := json.Unmarshal(m["ev"], &e.Kind); err != nil || e.Kind == "" {
		return errors.New(`journal: missing "ev"`)
	}
	if raw, ok := m["node"]; ok {
		if err := json.Unmarshal(raw, &e.Node); err != nil {
			return fmt.Errorf("journal: bad \"node\": %w", err)
		}
	}
	for k, raw := range m {
		if k == "t" || k == "ev" || k == "node" {
			continue
		}
		if e.Fields == nil {
			e.Fields = make(map[string]string)
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		e.Fields[k] = s
	}
	return nil
}

// JournalOptions configure a Journal.
type JournalOptions struct {
	Path     string           // "" = DefaultJournalPath
	MaxBytes int64            // rotate to Path+".1" when a write would pass this; 0 = 4 MiB
	Queue    int              // events buffered before Append drops; 0 = 1024
	Now      func() time.Time // stamps events without a time; nil = time.Now
}

// Journal appends events to a size-bounded JSON-lines file from a background goroutine, so a slow disk never blocks the caller.
type Journal struct {
	opts JournalOptions
	q    *queue[Event]
	done chan struct{}

	mu       sync.Mutex
	dropped  uint64 // total dropped by Append
	reported uint64 // dropped count already written as a journal_dropped event
	err      error  // first write error
	closed   bool
}

// OpenJournal opens (or creates) the journal file and starts its writer.
func OpenJournal(opts JournalOptions) (*Journal, error) {
	if opts.Path == "" {
		opts.Path = DefaultJournalPath
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 4 << 20
	}
	if opts.Queue <= 0 {
		opts.Queue = 1024
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f, size, err := openJournalFile(opts.Path)
	if err != nil {
		return nil, err
	}
	j := &Journal{opts: opts, q: newQueue[Event](opts.Queue), done: make(chan struct{})}
	go j.run(f, size)
	return j, nil
}

// openJournalFile opens path for appending and ends a torn last line (left by a crash) with a newline.
func openJournalFile(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("journal: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("journal: %w", err)
	}
	size := fi.Size()
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err == nil && last[0] != '\n' {
			n, _ := f.Write([]byte{'\n'})
			size += int64(n)
		}
	}
	return f, size, nil
}

// Append queues an event, stamping it with the clock if its Time is zero; when the queue is full the event is dropped and counted.
func (j *Journal) Append(e Event) {
	if e.Time.IsZero() {
		e.Time = j.opts.Now()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		j.dropped++
		return
	}
	if !j.q.put(e, false) {
		j.dropped++
	}
}

// Dropped returns how many events Append had to drop.
func (j *Journal) Dropped() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped
}

// Close writes everything queued, closes the file and returns the first write error.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		<-j.done
		return j.firstErr()
	}
	j.closed = true
	j.q.close()
	j.mu.Unlock()
	<-j.done
	return j.firstErr()
}

func (j *Journal) firstErr() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

func (j *Journal) run(f *os.File, size int64) {
	defer close(j.done)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for {
		b, ok := j.q.take()
		if !ok {
			return
		}
		for _, e := range b {
			j.q.start()
			j.mu.Lock()
			lost := j.dropped - j.reported
			j.reported = j.dropped
			j.mu.Unlock()
			if lost > 0 {
				f, size = j.write(f, size, Event{Time: e.Time, Kind: EvJournalDropped, Fields: map[string]string{"count": strconv.FormatUint(lost, 10)}})
			}
			f, size = j.write(f, size, e)
		}
		j.q.done(b)
	}
}

// write appends one line, rotating first when it would pass MaxBytes.
func (j *Journal) write(f *os.File, size int64, e Event) (*os.File, int64) {
	line, _ := e.MarshalJSON()
	line = append(line, '\n')
	if f != nil && size > 0 && size+int64(len(line)) > j.opts.MaxBytes {
		f.Close()
		f = nil
		if err := os.Rename(j.opts.Path, j.opts.Path+".1"); err != nil {
			j.setErr(fmt.Errorf("journal: rotate: %w", err))
		}
	}
	if f == nil {
		var err error
		f, size, err = openJournalFile(j.opts.Path)
		if err != nil {
			j.setErr(err)
			return nil, 0
		}
	}
	n, err := f.Write(line)
	if err != nil {
		j.setErr(fmt.Errorf("journal: write: %w", err))
	}
	return f, size + int64(n)
}

func (j *Journal) setErr(err error) {
	j.mu.Lock()
	if j.err == nil {
		j.err = err
	}
	j.mu.Unlock()
}

// ParseJournal reads JSON-lines events from r; lines that are not valid events (a torn line left by a crash) are skipped and counted in bad.
func ParseJournal(r io.Reader) (events []Event, bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Event
		if json.Unmarshal(line, &e) != nil {
			bad++
			continue
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		return events, bad, fmt.Errorf("journal: %w", err)
	}
	return events, bad, nil
}

// ReadJournal reads the given journal files (oldest first, e.g. path+".1" then path; missing ones skipped) and returns their events in time order.
func ReadJournal(paths ...string) ([]Event, error) {
	var all []Event
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		ev, _, err := ParseJournal(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, ev...)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Time.Before(all[b].Time) })
	return all, nil
}

// Journal event kinds ("ev") hbgo writes; `heartbeat log` reads them back for ms timelines.
const (
	EvStart          = "start"           // daemon started (fields: version, generation)
	EvStop           = "stop"            // daemon stopped
	EvStatus         = "status"          // peer status changed (node, fields: status)
	EvLinkUp         = "link_up"         // link came up (node, fields: link)
	EvLinkDead       = "link_dead"       // link declared dead (node, fields: link)
	EvLateHeartbeat  = "late_heartbeat"  // warntime passed (node, fields: ms)
	EvNodeDead       = "node_dead"       // deadtime passed (node)
	EvNodeRestart    = "node_restart"    // peer restarted (node)
	EvPartitionHeal  = "partition_heal"  // node returning after partition (node)
	EvGroupStart     = "group_start"     // resource group acquisition began (fields: group)
	EvGroupStarted   = "group_started"   // resource group acquired (fields: group, rc)
	EvGroupStop      = "group_stop"      // resource group release began (fields: group)
	EvGroupStopped   = "group_stopped"   // resource group released (fields: group, rc)
	EvStandby        = "standby"         // standby requested or done (node, fields: which, phase)
	EvPacketDropped  = "packet_dropped"  // bad input dropped (fields: reason, from)
	EvJournalDropped = "journal_dropped" // the journal itself dropped events (fields: count)
)
