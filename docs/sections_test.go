package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// docFiles maps the name a citation uses to the file in docs/ it means.
// "README" is the account of stock ipfail's captured runs that the ipfail
// packages cite as "README §…"; docs/IPFAIL.md is that account.
var docFiles = map[string]string{
	"PROTOCOL":  "PROTOCOL.md",
	"COMPAT":    "COMPAT.md",
	"DESIGN":    "DESIGN.md",
	"CONFIG":    "CONFIG.md",
	"MIGRATION": "MIGRATION.md",
	"README":    "IPFAIL.md",
}

// A citation is one section number a file cites.
type citation struct {
	file string // relative to the repository root
	line int
	doc  string // a key of docFiles, or "" when the text names no document
	sec  string // "4.6", "11.10", "2"
	text string // the citation as written, for the failure message
}

var (
	// docName is a document name that may precede "§": COMPAT, COMPAT.md.
	// Other names (draft-ietf-…, RFC) are outside docs/ and end the search.
	docName = regexp.MustCompile(`\b(PROTOCOL|COMPAT|DESIGN|CONFIG|MIGRATION|README|draft-[a-z0-9-]+|RFC ?[0-9]+)(\.md)?\b`)
	// secRef is one "§N.N" with an optional range end: "§4.7–4.8", "§5.6-5.8".
	secRef = regexp.MustCompile(`§\s?([0-9]+(?:\.[0-9]+)*)(?:\s?[–-]\s?§?([0-9]+(?:\.[0-9]+)*))?`)
	// heading is a Markdown heading that opens a section: "## 4. Authentication",
	// "### 4.6 Receiver quirk", "### §4.6 …".
	heading = regexp.MustCompile(`^#{1,6}\s+§?([0-9]+(?:\.[0-9]+)*)\.?(\s|$)`)
)

// docWindow is how far back (in bytes) a bare "§4.8" looks for the document
// an earlier citation in the same run named ("COMPAT §4.6, §4.8", or a name
// and its number split by a comment's line break). Further back, a name more
// likely belongs to another sentence.
const docWindow = 60

// repoRoot is the repository's top directory (this package is docs/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// cites reports whether a file's citations are checked: Go source and tests,
// shell scripts, the Makefile, the files dist/ installs, Markdown, and the
// datadriven scenario files. Recorded results (bench/results) and copies of
// stock's texts kept as test data are left alone.
func cites(rel string) bool {
	base := filepath.Base(rel)
	switch {
	case strings.HasPrefix(rel, "bench/results/"), rel == "docs/sections_test.go":
		// Recorded output; this file's own examples.
		return false
	case strings.HasSuffix(base, ".go"), strings.HasSuffix(base, ".sh"), base == "Makefile":
		return true
	case strings.HasPrefix(rel, "dist/"):
		return true
	case strings.HasSuffix(base, ".md"):
		return !strings.Contains(rel, "/testdata/")
	case strings.HasSuffix(base, ".txt"):
		return strings.Contains(rel, "/testdata/scenarios/")
	}
	return false
}

// scanCitations finds every section citation in the repository.
func scanCitations(t *testing.T, root string) []citation {
	t.Helper()
	var out []citation
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "bin" || rel == "out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !cites(filepath.ToSlash(rel)) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, citationsIn(filepath.ToSlash(rel), b)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// citationsIn finds the citations in one file's text. A "§" takes the
// document named closest before it within docWindow bytes; in docs/X.md a
// bare "§" with no name before it means X itself.
func citationsIn(rel string, b []byte) []citation {
	self := ""
	if dir, base := filepath.Split(rel); dir == "docs/" {
		for k, v := range docFiles {
			if v == base {
				self = k
			}
		}
	}
	var out []citation
	for _, m := range secRef.FindAllSubmatchIndex(b, -1) {
		start := m[0]
		from := max(0, start-docWindow)
		doc, external := self, false
		if names := docName.FindAllSubmatchIndex(b[from:start], -1); len(names) > 0 {
			last := names[len(names)-1]
			name := string(b[from+last[2] : from+last[3]])
			if _, ok := docFiles[name]; ok {
				doc = name
			} else {
				external = true
			}
		}
		if external {
			continue
		}
		line := 1 + bytes.Count(b[:start], []byte("\n"))
		text := string(b[m[0]:m[1]])
		out = append(out, citation{rel, line, doc, string(b[m[2]:m[3]]), text})
		if m[4] >= 0 {
			out = append(out, citation{rel, line, doc, string(b[m[4]:m[5]]), text})
		}
	}
	return out
}

// A section is one numbered heading and whether text follows it.
type section struct {
	line int
	body bool // a non-blank, non-heading line before the next heading of any level
}

// sectionsOf reads the numbered headings of one Markdown file. Headings
// inside fenced code blocks do not count.
func sectionsOf(path string) (map[string]*section, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	secs := map[string]*section{}
	var cur *section
	fenced := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(l, "#") {
			cur = nil
			if m := heading.FindStringSubmatch(l); m != nil {
				if _, dup := secs[m[1]]; dup {
					return nil, fmt.Errorf("%s:%d: section %s is a heading twice", path, n, m[1])
				}
				cur = &section{line: n}
				secs[m[1]] = cur
			}
			continue
		}
		if cur != nil && strings.TrimSpace(l) != "" {
			cur.body = true
		}
	}
	return secs, sc.Err()
}

// TestCitedSectionsExist checks that every "PROTOCOL §…", "COMPAT §…" (and
// DESIGN, CONFIG, MIGRATION, ipfail's README) cited anywhere in the code,
// scripts or docs is a numbered heading of that document with text under
// it. A bare "§" that no document name precedes must exist in PROTOCOL.md or
// COMPAT.md.
func TestCitedSectionsExist(t *testing.T) {
	root := repoRoot(t)
	docs := map[string]map[string]*section{}
	for name, file := range docFiles {
		secs, err := sectionsOf(filepath.Join(root, "docs", file))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		docs[name] = secs
	}
	cs := scanCitations(t, root)
	if len(cs) < 300 {
		t.Fatalf("found only %d citations; the scan is broken", len(cs))
	}
	has := func(doc, sec string) bool {
		s := docs[doc][sec]
		return s != nil && s.body
	}
	// A section whose text is all in its subsections also has substance.
	sub := func(doc, sec string) bool {
		for k := range docs[doc] {
			if strings.HasPrefix(k, sec+".") && has(doc, k) {
				return true
			}
		}
		return false
	}
	var missing []string
	for _, c := range cs {
		var ok bool
		want := "docs/" + docFiles[c.doc]
		if c.doc == "" {
			ok = has("PROTOCOL", c.sec) || has("COMPAT", c.sec) || sub("PROTOCOL", c.sec) || sub("COMPAT", c.sec)
			want = "docs/PROTOCOL.md or docs/COMPAT.md"
		} else {
			ok = has(c.doc, c.sec) || sub(c.doc, c.sec)
		}
		if !ok {
			name := strings.TrimSpace(c.doc + " §" + c.sec)
			missing = append(missing, fmt.Sprintf("%s:%d: cites %s (written %q), which is not a numbered heading with text in %s",
				c.file, c.line, name, c.text, want))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error(m)
	}
	if len(missing) > 0 {
		t.Logf("%d of %d citations name a missing section; add the section (a heading such as \"### 4.6 …\" with text under it) or fix the citation", len(missing), len(cs))
	}
}

// TestCitationParse pins the citation forms in use.
func TestCitationParse(t *testing.T) {
	src := "// COMPAT §4.6, §4.8: x\n// (PROTOCOL\n// §12.7) and §4.7–4.8; PROTOCOL §9.3/§11.8, §11.10 chart C\n" +
		"// README §5.1. pcapng (draft-ietf-opsawg-pcapng §4).\n"
	var got []string
	for _, c := range citationsIn("x.go", []byte(src)) {
		got = append(got, fmt.Sprintf("%d %s %s", c.line, c.doc, c.sec))
	}
	want := []string{
		"1 COMPAT 4.6", "1 COMPAT 4.8",
		"3 PROTOCOL 12.7", "3 PROTOCOL 4.7", "3 PROTOCOL 4.8",
		"3 PROTOCOL 9.3", "3 PROTOCOL 11.8", "3 PROTOCOL 11.10",
		"4 README 5.1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("citations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// No name before it: PROTOCOL or COMPAT; in docs/COMPAT.md, COMPAT.
	for file, doc := range map[string]string{"x.go": "", "docs/COMPAT.md": "COMPAT"} {
		cs := citationsIn(file, []byte("the rule of §3.3.\n"))
		if len(cs) != 1 || cs[0].doc != doc || cs[0].sec != "3.3" {
			t.Errorf("%s: bare §3.3: got %+v, want doc %q section 3.3", file, cs, doc)
		}
	}
}

// TestPackageTable checks that docs/DESIGN.md's package table names every
// package `go list ./...` reports, and no package that is gone.
func TestPackageTable(t *testing.T) {
	root := repoRoot(t)
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go") // the go that runs this test
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "list", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	design, err := os.ReadFile(filepath.Join(root, "docs", "DESIGN.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := tablePackages(string(design))
	mod := "hbgo/"
	pkgs := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		p = strings.TrimPrefix(p, mod)
		pkgs[p] = true
		if !listed[p] {
			t.Errorf("docs/DESIGN.md: package %s is not in the package table (a row `| `%s` | what it holds |`)", p, p)
		}
	}
	for p := range listed {
		if !pkgs[p] {
			t.Errorf("docs/DESIGN.md: the package table lists %s, which `go list ./...` does not report", p)
		}
	}
}

// tablePackages returns the package paths named in backquotes in the first
// column of DESIGN.md's table under "## Packages".
func tablePackages(design string) map[string]bool {
	listed := map[string]bool{}
	in := false
	for _, l := range strings.Split(design, "\n") {
		if strings.HasPrefix(l, "## ") {
			in = strings.TrimSpace(l) == "## Packages"
			continue
		}
		if !in || !strings.HasPrefix(l, "|") {
			continue
		}
		cells := strings.Split(l, "|")
		if len(cells) < 3 {
			continue
		}
		// The names in backquotes; a cell without any (a heading row such
		// as "**agents**") lists none.
		parts := strings.Split(cells[1], "`")
		for i := 1; i < len(parts); i += 2 {
			listed[strings.TrimSpace(parts[i])] = true
		}
	}
	return listed
}
