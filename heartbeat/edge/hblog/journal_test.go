package hblog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEventJSON(t *testing.T) {
	e := Event{Time: time.Date(2026, 11, 23, 3, 12, 7, 123456789, time.UTC), Kind: "node_dead", Node: "node1",
		Fields: map[string]string{"link": "eth1", "deadtime_ms": "10000"}}
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"t":"2026-11-23T03:12:07.123456Z","ev":"node_dead","node":"node1","deadtime_ms":"10000","link":"eth1"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Event
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	e.Time = e.Time.Truncate(time.Microsecond)
	if diff := cmp.Diff(e, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Other zones are written in UTC.
	b, _ = Event{Time: time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("X", 3600)), Kind: "x"}.MarshalJSON()
	if string(b) != `{"t":"2026-01-01T00:00:00.000000Z","ev":"x"}` {
		t.Errorf("zone: %s", b)
	}
}

func TestParseJournalTorn(t *testing.T) {
	in := `{"t":"2026-11-23T03:12:07.1Z","ev":"a"}
{"t":"2026-11-23T03:12:08Z","ev":"b","n":5}
not json
{"t":"2026-11-23T03:12:09Z"}
{"t":"2026-11-23T03:12:09Z","ev":"c","node":"node2"}
{"t":"2026-11-23T03:12:1`
	ev, bad, err := ParseJournal(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range ev {
		kinds = append(kinds, e.Kind+"/"+e.Node+"/"+e.Fields["n"])
	}
	if diff := cmp.Diff([]string{"a//", "b//5", "c/node2/"}, kinds); diff != "" || bad != 3 {
		t.Errorf("events (-want +got):\n%s\nbad = %d, want 3", diff, bad)
	}
}

func TestJournalWriteRotateRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hbgo-journal")
	clk := newClock()
	// A torn line left by a crash must not swallow the next event.
	if err := os.WriteFile(p, []byte(`{"t":"2026-11-02T23:00:00Z","ev":"old"}`+"\n"+`{"t":"2026-11-02T23:0`), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(JournalOptions{Path: p, MaxBytes: 300, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		clk.Add(time.Millisecond)
		j.Append(Event{Kind: "link_up", Node: "node2", Fields: map[string]string{"i": itoa(i)}})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j.Append(Event{Kind: "after_close"}) // dropped, not a panic
	ev, err := ReadJournal(p+".1", p, filepath.Join(dir, "missing"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ev {
		got = append(got, e.Kind+e.Fields["i"]+" "+e.Time.Format("15:04:05.000"))
	}
	// Old file: "old" + events until 300 bytes; only one old file is kept, so early ones may go.
	cur, _ := os.ReadFile(p)
	if int64(len(cur)) > 300 {
		t.Errorf("journal is %d bytes, bound 300", len(cur))
	}
	if len(got) == 0 || got[len(got)-1] != "link_up5 23:15:09.006" {
		t.Errorf("events: %q", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] && !strings.HasPrefix(got[i-1], "old") {
			t.Errorf("events out of order: %q", got)
		}
	}
	if _, err := os.Stat(p + ".1"); err != nil {
		t.Errorf("no rotated file: %v", err)
	}
}

func TestJournalDropsWhenFull(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "j")
	j := &Journal{opts: JournalOptions{Path: p, MaxBytes: 1 << 20, Queue: 2, Now: newClock().Now}, q: newQueue[Event](2), done: make(chan struct{})}
	// Writer not started yet: the queue fills and the rest are dropped without blocking.
	for i := 0; i < 5; i++ {
		j.Append(Event{Kind: "x"})
	}
	if j.Dropped() != 3 {
		t.Fatalf("Dropped = %d, want 3", j.Dropped())
	}
	f, size, err := openJournalFile(p)
	if err != nil {
		t.Fatal(err)
	}
	go j.run(f, size)
	j.Append(Event{Kind: "y"}) // may or may not fit; either way Close flushes what was queued
	j.Close()
	b, _ := os.ReadFile(p)
	if !bytes.Contains(b, []byte(`"ev":"journal_dropped"`)) || !(bytes.Contains(b, []byte(`"count":"3"`)) || bytes.Contains(b, []byte(`"count":"4"`))) {
		t.Errorf("no drop record in %s", b)
	}
}

func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"t":"2026-11-23T03:12:07.123456Z","ev":"node_dead","node":"node1"}` + "\n"))
	f.Add([]byte(`{"t":"2026-11-23T03:12:07Z","ev":"a","x":{"y":1}}` + "\n" + `{"t":"2026-11-23T`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, _, err := ParseJournal(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, e := range ev {
			if e.Kind == "" {
				t.Fatal("event without ev")
			}
			b, err := e.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Event
			if err := back.UnmarshalJSON(b); err != nil {
				t.Fatalf("re-reading %s: %v", b, err)
			}
		}
	})
}
