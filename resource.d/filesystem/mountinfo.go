package filesystem

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Mount is one line of /proc/self/mountinfo.
type Mount struct {
	Major, Minor int
	Root         string
	Point        string // mount point, unescaped
	FSType       string
	Source       string
}

// ParseMountinfo reads proc(5) mountinfo lines; name is used in errors.
func ParseMountinfo(r io.Reader, name string) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	ln := 0
	for sc.Scan() {
		ln++
		line := sc.Text()
		if line == "" {
			continue
		}
		pre, post, ok := strings.Cut(line, " - ")
		f := strings.Fields(pre)
		g := strings.Fields(post)
		if !ok || len(f) < 6 || len(g) < 2 {
			return nil, fmt.Errorf("%s:%d: malformed mountinfo line %q", name, ln, line)
		}
		maj, min, ok := strings.Cut(f[2], ":")
		ma, err1 := strconv.Atoi(maj)
		mi, err2 := strconv.Atoi(min)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: bad device %q", name, ln, f[2])
		}
		out = append(out, Mount{Major: ma, Minor: mi, Root: unescape(f[3]), Point: unescape(f[4]), FSType: g[0], Source: unescape(g[1])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// unescape undoes the kernel's octal escapes (\040 for a blank, \011, \012, \134).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// MountedAt returns the last (topmost) mount on point, or nil.
func MountedAt(ms []Mount, point string) *Mount {
	var m *Mount
	for i := range ms {
		if ms[i].Point == point {
			m = &ms[i]
		}
	}
	return m
}

// Below returns the mount points strictly below point, deepest first (the
// unmount order).
func Below(ms []Mount, point string) []string {
	prefix := strings.TrimSuffix(point, "/") + "/"
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		if strings.HasPrefix(m.Point, prefix) && !seen[m.Point] {
			seen[m.Point] = true
			out = append(out, m.Point)
		}
	}
	// Later lines are mounted later, so deeper or on top: reverse order is a
	// valid unmount order; sort by depth to be sure.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && depth(out[j]) > depth(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func depth(p string) int { return strings.Count(p, "/") }
