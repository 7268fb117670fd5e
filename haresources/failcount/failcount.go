// Package failcount keeps the monitor's per-resource failure times in a file beside hb_generation, written atomically so a daemon restart does not forget them.
package failcount

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"hbgo/haresources/monitor"
)

// File is the counts' file name under the state directory (/var/lib/heartbeat).
const File = "hbgo-failcounts"

// maxSize bounds what Load reads: a larger file is not ours.
const maxSize = 1 << 20

// maxPerResource bounds the failure times kept per resource.
const maxPerResource = 1000

// Format renders counts: a comment line, then one line per resource,
// sorted: the resource token, a tab, its failure times in Unix
// milliseconds separated by commas, oldest first.
func Format(c monitor.Counts) []byte {
	var b bytes.Buffer
	b.WriteString("# hbgo failure counts: resource<TAB>failure times (unix ms)\n")
	names := make([]string, 0, len(c))
	for r := range c {
		if len(c[r]) > 0 {
			names = append(names, r)
		}
	}
	sort.Strings(names)
	for _, r := range names {
		ts := c[r]
		if len(ts) > maxPerResource {
			ts = ts[len(ts)-maxPerResource:]
		}
		b.WriteString(r)
		b.WriteByte('\t')
		for i, t := range ts {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(t.UnixMilli(), 10))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Parse reads what Format wrote. A malformed line is an error naming it.
func Parse(r io.Reader, name string) (monitor.Counts, error) {
	c := monitor.Counts{}
	sc := bufio.NewScanner(io.LimitReader(r, maxSize+1))
	sc.Buffer(make([]byte, 4096), maxSize+1)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		res, times, ok := strings.Cut(line, "\t")
		if !ok || res == "" || strings.ContainsAny(res, " \x00") {
			return nil, fmt.Errorf("%s:%d: want resource<TAB>times", name, n)
		}
		var ts []time.Time
		for _, f := range strings.Split(times, ",") {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil || v < 0 || v > 1<<53 {
				return nil, fmt.Errorf("%s:%d: %q is not a time in unix milliseconds", name, n, f)
			}
			ts = append(ts, time.UnixMilli(v).UTC())
		}
		if len(ts) > maxPerResource {
			ts = ts[len(ts)-maxPerResource:]
		}
		c[res] = ts
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Load reads dir/File; a missing file is no failures.
func Load(dir string) (monitor.Counts, error) {
	p := filepath.Join(dir, File)
	f, err := os.OpenFile(p, os.O_RDONLY|syscallNonblock, 0)
	if errors.Is(err, os.ErrNotExist) {
		return monitor.Counts{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failure counts: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("failure counts: %s is not a regular file", p)
	}
	return Parse(f, p)
}

// Save writes counts to dir/File atomically: a temporary file in dir,
// fsync, rename over the old one, fsync of dir.
func Save(dir string, c monitor.Counts) error {
	p := filepath.Join(dir, File)
	tmp, err := os.CreateTemp(dir, File+".tmp*")
	if err != nil {
		return fmt.Errorf("failure counts: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(Format(c)); err != nil {
		tmp.Close()
		return fmt.Errorf("failure counts: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("failure counts: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("failure counts: fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failure counts: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("failure counts: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
