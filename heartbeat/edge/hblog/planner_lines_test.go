package hblog

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// plannerLog is a log line in the planner's scenario goldens: `node2: log WARN: text`.
var plannerLog = regexp.MustCompile(`^node[0-9]+: log (debug|info|WARN|ERROR|CRIT): (.*)$`)

// TestPlannerLinesMatchCatalogue reads the log lines the planner wrote in
// its scenario goldens (haresources/planner/testdata/scenarios, which the
// planner's own tests keep equal to its output) and checks that every line
// that begins like a catalogued format matches a catalogued format whole. The
// planner may not import this package (resources sit below the daemon), so
// it spells stock's lines itself; this keeps the two copies one line.
func TestPlannerLinesMatchCatalogue(t *testing.T) {
	files, err := filepath.Glob("../../../haresources/planner/testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no planner scenarios: %v", err)
	}
	res := catalogueRE()
	checked := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := plannerLog.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			text := m[2]
			var like []string
			matched := false
			for i, format := range catalogue {
				if res[i].MatchString(text) {
					checked[format]++
					matched = true
				} else if lead, _, _ := strings.Cut(format, "%"); len(lead) >= 8 && strings.HasPrefix(text, lead) {
					like = append(like, format)
				}
			}
			if !matched && len(like) > 0 {
				t.Errorf("%s: planner line %q begins like catalogued %q but matches no catalogued format", filepath.Base(f), text, like)
			}
		}
	}
	// The standby refusal is the line the planner and the catalogue both
	// spell (the daemon logs the planner's): it must be among those checked.
	if checked[fmtStandbyInProgress] == 0 {
		t.Errorf("no planner scenario logs %q: the check covers nothing", fmtStandbyInProgress)
	}
	t.Logf("%d catalogued formats met in the planner's scenarios", len(checked))
}
