package archtest

import (
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// A layer may import its own layer and the layers below it, never above.
const (
	leaf = iota // authkeys and internal/ leaves: import nothing of the module but leaves
	agents
	resources
	daemon
	commands
	tests // end-to-end suites, harnesses, demo, bench, docs: may import anything
)

var layerNames = []string{"leaf", "agents", "resources", "daemon", "commands", "tests"}

// layers maps import-path prefixes (below the module path) to their layer;
// the longest matching prefix wins. A package no prefix names fails the
// test, so a new package must be placed on purpose.
var layers = map[string]int{
	"authkeys":                          leaf,
	"internal/":                         leaf,
	"internal/archtest":                 tests,
	"internal/doctest":                  tests,
	"internal/harness/":                 tests,
	"resource.d/":                       agents,
	"haresources":                       resources,
	"heartbeat/":                        daemon,
	"heartbeat/command/":                commands,
	"heartbeat/command/timeline/logrec": tests,
	"heartbeat/e2e/":                    tests,
	"cmd/":                              commands,
	"cmd/hbgo-demo":                     tests,
	"bench/":                            tests,
	"docs":                              tests,
}

// known are today's arrows against the rule (issue 14 item 4); each is to
// be removed, and the test fails when one is gone but still listed, so the
// list only shrinks.
var known = map[string]bool{}

type pkg struct {
	ImportPath string
	Imports    []string
}

func TestImportsPointDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "-e", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "hbgo/"
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := map[string]bool{}
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		from := strings.TrimPrefix(p.ImportPath, mod)
		lf, ok := layerOf(from)
		if !ok {
			t.Errorf("%s is in no layer: add it to archtest's table (and docs/DESIGN.md's)", from)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			to := strings.TrimPrefix(imp, mod)
			lt, ok := layerOf(to)
			if !ok || lt <= lf && (lf != leaf || lt == leaf) {
				continue
			}
			arrow := from + " -> " + to
			seen[arrow] = true
			if !known[arrow] {
				t.Errorf("%s: a %s package imports a %s package; arrows go commands → daemon → resources → agents → leaves", arrow, layerNames[lf], layerNames[lt])
			}
		}
	}
	var gone []string
	for a := range known {
		if !seen[a] {
			gone = append(gone, a)
		}
	}
	sort.Strings(gone)
	for _, a := range gone {
		t.Errorf("%s no longer exists: remove it from archtest's known list", a)
	}
}

func layerOf(path string) (int, bool) {
	best, layer := -1, 0
	for prefix, l := range layers {
		if (path == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(path, prefix)) && len(prefix) > best {
			best, layer = len(prefix), l
		}
	}
	return layer, best >= 0
}
