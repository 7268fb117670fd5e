package timeline

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"hbgo/heartbeat/edge/hblog"
)

// Record is one parsed log line (or journal event) attributed to a host.
type Record struct {
	Time    time.Time
	Precise bool // Time comes from hbgo's journal (µs), not a whole-second log stamp
	Approx  bool // a whole-second line placed at the journal time just before it in its file (it was written at or after that)
	Host    string
	File    string
	Line    int
	Entry   hblog.Entry
}

// ReadLog parses an ha-log read from r; syslog-shaped lines take their year from mtime (the file's modification time) and script lines their host from the file's daemon lines.
func ReadLog(r io.Reader, name string, mtime time.Time, loc *time.Location) ([]Record, error) {
	if loc == nil {
		loc = time.Local
	}
	mtime = mtime.In(loc)
	var recs []Record
	br := bufio.NewReaderSize(r, 64*1024)
	n := 0
	host := ""
	for {
		line, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return recs, fmt.Errorf("%s:%d: %w", name, n+1, err)
		}
		n++
		e, ok := hblog.ParseLineIn(line, mtime.Year(), loc)
		if !ok {
			continue
		}
		if e.Host != "" {
			e.Time = fixYear(e.Time, mtime)
			if host == "" {
				host = e.Host
			}
		}
		recs = append(recs, Record{Time: e.Time, Host: e.Host, File: name, Line: n, Entry: e})
	}
	// Script lines (and hbgo's `heartbeat[pid]: date` lines) carry no host:
	// they belong to the node whose daemon wrote the rest of the file.
	if host == "" {
		host = fileLabel(name)
	}
	for i := range recs {
		if recs[i].Host == "" {
			recs[i].Host = host
		}
	}
	return recs, nil
}

// maxLine is how much of a line is kept; stock truncates messages at 5120 bytes (COMPAT §8.2), so longer lines are damage.
const maxLine = 16 * 1024

// readLine returns the next line (without its newline, cut at maxLine) however long it is; io.EOF only when nothing is left.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b) < maxLine {
			b = append(b, chunk[:min(len(chunk), maxLine-len(b))]...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(b) > 0:
			return string(b), nil
		case err != nil:
			return "", err
		}
		return string(b), nil
	}
}

// fixYear moves a syslog-shaped stamp (which has no year) that would lie after the file was last written back into the previous year: a log crossing New Year.
func fixYear(t, mtime time.Time) time.Time {
	if mtime.IsZero() {
		return t
	}
	if t.After(mtime.Add(48 * time.Hour)) {
		return t.AddDate(-1, 0, 0)
	}
	return t
}

// fileLabel names a file's node when its lines carry no host: `ha-log.node1.gz` → `ha-log.node1`.
func fileLabel(name string) string {
	b := filepath.Base(name)
	return strings.TrimSuffix(b, ".gz")
}

// Merge interleaves per-file record lists by time, keeping each file's own order for lines stamped the same second.
func Merge(files ...[]Record) []Record {
	var all []Record
	type key struct{ file, idx int }
	var keys []key
	for f, recs := range files {
		for i := range recs {
			all = append(all, recs[i])
			keys = append(keys, key{f, i})
		}
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ta, tb := all[idx[a]].Time, all[idx[b]].Time
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		return keys[idx[a]].file < keys[idx[b]].file
	})
	out := make([]Record, len(all))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}
