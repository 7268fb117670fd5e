package haresources

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: Parse never panics, reports lines inside the file, and a file
// it accepts formats back to text that parses to the same groups.
func FuzzParse(f *testing.F) {
	f.Add([]byte("node1 10.0.0.5 httpd\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		groups, ps := Parse(strings.NewReader(string(data)), hr)
		nlines := strings.Count(string(data), "\n") + 1
		for _, p := range ps {
			if p.File != hr || p.Line < 0 || p.Line > nlines || p.What == "" || p.Hint == "" {
				t.Fatalf("bad problem %#v", p)
			}
		}
		if ps.HasErrors() {
			return
		}
		keys := map[string]bool{}
		for _, g := range groups {
			if g.Node == "" || g.Node != asciiLower(g.Node) || strings.ContainsAny(g.Node, " \t\n#") || len(g.Resources) == 0 {
				t.Fatalf("bad group %#v", g)
			}
			for _, r := range g.Resources {
				if r.Token == "" || r.Name == "" || strings.ContainsAny(r.Token, " \t\n#\r") {
					t.Fatalf("bad resource %#v", r)
				}
			}
			if keys[g.Key()] {
				t.Fatalf("duplicate key %q accepted", g.Key())
			}
			keys[g.Key()] = true
		}
		text := Format(groups)
		back, ps2 := Parse(strings.NewReader(text), hr)
		if ps2.HasErrors() {
			t.Fatalf("Format output %q refused: %v", text, ps2)
		}
		if diff := cmp.Diff(withoutLines(groups), withoutLines(back)); diff != "" {
			t.Fatalf("format-back of %q (-want +got):\n%s", text, diff)
		}
	})
}

// FuzzKeyPattern compares the fast key matchers with the regular expression
// ResourceManager's egrep uses, on ASCII text.
func FuzzKeyPattern(f *testing.F) {
	f.Add("10.0.0.5", "node2 b 10x0x0x5 ")
	f.Add("a", "node1 b a ")
	f.Fuzz(func(t *testing.T, key, line string) {
		for _, s := range []string{key, line} {
			for i := 0; i < len(s); i++ {
				if s[i] >= 0x80 || s[i] == '\n' {
					return
				}
			}
		}
		re, err := regexp.Compile(" " + key + " ")
		if err != nil {
			return
		}
		if got, want := keyPattern(key)(line), re.MatchString(line); got != want {
			t.Fatalf("keyPattern(%q)(%q) = %v, regexp says %v", key, line, got, want)
		}
	})
}
