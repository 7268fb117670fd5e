package haresources

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stockCase is one "== case" block of testdata/stock/normalise.golden.
type stockCase struct {
	name                          string
	file                          []string
	listkeys, listkeysNode1, rest []string
}

func readNormaliseGolden(t *testing.T) []stockCase {
	t.Helper()
	f, err := os.Open("testdata/stock/normalise.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []stockCase
	var cur *[]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "== case "):
			cases = append(cases, stockCase{name: strings.TrimPrefix(line, "== case ")})
		case line == "file:":
			cur = &cases[len(cases)-1].file
		case line == "listkeys:":
			cur = &cases[len(cases)-1].listkeys
		case line == "listkeys node1:":
			cur = &cases[len(cases)-1].listkeysNode1
		case line == "lines:":
			cur = &cases[len(cases)-1].rest
		default:
			s, err := strconv.Unquote(line)
			if err != nil {
				t.Fatalf("golden line %q: %v", line, err)
			}
			*cur = append(*cur, s)
		}
	}
	if len(cases) == 0 {
		t.Fatal("no cases in normalise.golden")
	}
	return cases
}

// TestStockNormalisation checks Parse against what stock ResourceManager
// printed for the same files (testdata/stock/record.sh). Files stock
// misreads are refused instead; the refusal lines are listed here.
func TestStockNormalisation(t *testing.T) {
	refused := map[string][]int{
		"backslash_eof":            {1},    // stock keeps "\" as a resource
		"comment_before_backslash": {1},    // heartbeat's check would skip line 2, ResourceManager makes it a node-only line
		"comment_on_continuation":  {2, 4}, // stock keeps "#", "note" as resources
		"dup_keys":                 {2, 1}, // stock lists 10.0.0.5 twice; line 1's key is also in line 3
		"node_only":                {1},    // stock lists an empty key
	}
	for _, c := range readNormaliseGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			in := strings.Join(c.file, "\n")
			if c.name != "no_final_newline" {
				in += "\n"
			}
			groups, ps := Parse(strings.NewReader(in), hr)
			if lines, ok := refused[c.name]; ok {
				var got []int
				for _, p := range ps.Errors() {
					got = append(got, p.Line)
				}
				if diff := cmp.Diff(lines, got); diff != "" {
					t.Errorf("refusal lines (-want +got):\n%s\nproblems: %v", diff, ps)
				}
				return
			}
			if len(ps) != 0 {
				t.Fatalf("unexpected problems: %v", ps)
			}
			if diff := cmp.Diff(c.listkeys, Keys(groups)); diff != "" {
				t.Errorf("listkeys '.*' (-stock +ours):\n%s", diff)
			}
			if diff := cmp.Diff(c.listkeysNode1, NodeKeys(groups, "node1"), cmpEmpty); diff != "" {
				t.Errorf("listkeys node1 (-stock +ours):\n%s", diff)
			}
			var rest []string
			for _, g := range Others(groups, "nosuchnode") {
				_, r, _ := strings.Cut(g.Text(), " ")
				rest = append(rest, r+" ")
			}
			if diff := cmp.Diff(c.rest, rest); diff != "" {
				t.Errorf("otherkeys lines (-stock +ours):\n%s", diff)
			}
		})
	}
}

var cmpEmpty = cmp.Transformer("nilEmpty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})
