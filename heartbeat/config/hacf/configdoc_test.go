package hacf

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// configDoc is the admin's reference for every hbgo.cf directive.
const configDoc = "../../../docs/CONFIG.md"

// TestConfigDocCoversHbgoDirectives: docs/CONFIG.md documents each hbgo.cf
// directive in a table row and shows it in an example (issues 15 and 16,
// "Done when"), and every example parses as hbgo.cf without a problem, so
// an admin who copies one gets a file the daemon takes. An example line
// left commented out (`# vip_watch off`) counts, and parses too once
// uncommented.
func TestConfigDocCoversHbgoDirectives(t *testing.T) {
	b, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	// The examples: fenced blocks whose first line is "# /etc/ha.d/hbgo.cf".
	blocks := regexp.MustCompile("(?s)```\\n# /etc/ha.d/hbgo.cf\\n(.*?)```").FindAllStringSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("no hbgo.cf example in docs/CONFIG.md")
	}
	shown := map[string]bool{}
	for _, m := range blocks {
		body := m[1]
		if _, ps := ParseHbgo(strings.NewReader(body), "CONFIG.md example"); len(ps) != 0 {
			t.Errorf("an hbgo.cf example in docs/CONFIG.md does not parse cleanly: %v\n%s", ps, body)
		}
		for _, line := range strings.Split(body, "\n") {
			commented := strings.HasPrefix(line, "# ")
			line = strings.TrimPrefix(line, "# ")
			f := strings.Fields(line)
			if len(f) < 2 || !isHbgoDirective(f[0]) {
				continue
			}
			shown[f[0]] = true
			if commented {
				if _, ps := ParseHbgo(strings.NewReader(line+"\n"), "CONFIG.md example"); len(ps) != 0 {
					t.Errorf("commented example %q does not parse once uncommented: %v", line, ps)
				}
			}
		}
	}
	for _, d := range allHbgoDirectives() {
		if !regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(d) + "[ `]").MatchString(doc) {
			t.Errorf("docs/CONFIG.md has no table row for hbgo.cf's %s", d)
		}
		if !shown[d] {
			t.Errorf("docs/CONFIG.md shows hbgo.cf's %s in no example (a fenced block starting \"# /etc/ha.d/hbgo.cf\")", d)
		}
	}
}

func isHbgoDirective(name string) bool {
	for _, d := range allHbgoDirectives() {
		if d == name {
			return true
		}
	}
	return false
}
