package hblog

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// logcheckRule reads Debian heartbeat's logcheck ignore rule (copied from
// /etc/logcheck/ignore.d.server/heartbeat of heartbeat 1:3.0.6-13+b2) and
// turns its POSIX classes into Go's.
func logcheckRule(t *testing.T) *regexp.Regexp {
	b, err := os.ReadFile("testdata/logcheck/heartbeat")
	if err != nil {
		t.Fatal(err)
	}
	rule := strings.TrimSpace(string(b))
	rule = strings.ReplaceAll(rule, "[:alnum:]", "a-zA-Z0-9")
	return regexp.MustCompile(rule)
}

// TestLogcheckRuleFiltersLikeStock: the rule (COMPAT §8.6) must treat hbgo's
// daemon lines exactly as it treats stock's in the captured logs — it
// ignores the memory-statistics shape and nothing else, so a line hbgo
// writes in that shape is ignored and every normal line is shown.
func TestLogcheckRuleFiltersLikeStock(t *testing.T) {
	rule := logcheckRule(t)
	at := time.Date(2026, 11, 3, 3, 12, 7, 0, time.UTC)
	for _, text := range []string{"Daily informational memory statistics", "These are nothing to worry about.", "MSG stats: 0/0 ms age 0 [pid99/HBREAD]"} {
		line := strings.TrimSuffix(DaemonLine(true, at, "node-1.example", "heartbeat", 99, Info, text), "\n")
		if !rule.MatchString(line) {
			t.Errorf("logcheck does not ignore hbgo's %q", line)
		}
	}
	// The same rule on real logs: what it ignores in stock's ha-log it must
	// ignore in hbgo's formatting of the same messages, line for line.
	files, _ := filepath.Glob("testdata/*.ha-log.node*")
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			e, ok := ParseLine(sc.Text(), 2026)
			if !ok || e.Kind != Daemon || e.Host == "" {
				continue
			}
			ours := strings.TrimSuffix(DaemonLine(true, e.Time, e.Host, e.Entity, e.PID, e.Level, e.Text), "\n")
			if rule.MatchString(ours) != rule.MatchString(sc.Text()) {
				t.Errorf("logcheck treats stock's %q and hbgo's %q differently", sc.Text(), ours)
			}
			n++
		}
		fh.Close()
	}
	if n < 100 {
		t.Fatalf("only %d stock daemon lines compared; the captured logs are missing", n)
	}
	t.Logf("%d stock daemon lines compared", n)
}
