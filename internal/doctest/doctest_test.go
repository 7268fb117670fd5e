package doctest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/command/check"
	"hbgo/heartbeat/command/clstatus"
	"hbgo/heartbeat/command/decode"
	"hbgo/heartbeat/command/timeline"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/edge/hblog"
)

// A golden block in a doc is a code block right after a marker:
//
//	<!-- golden DOCPATH=REPOPATH … -->
//
// followed by a fenced or indented block in which every line starting
// with "# " is a command (a root prompt) and the lines after it, up to the
// next command, are exactly what it prints on stdout. DOCPATH=REPOPATH
// makes the command see the committed REPOPATH (a file or directory,
// copied to a temp dir) where the doc says DOCPATH, and prints DOCPATH
// back; "status=FILE" gives cl_status a daemon snapshot (JSON).
//
//	<!-- golden-quote REPOPATH -->
//
// marks quoted log lines: each must occur in the recorded REPOPATH, with
// `[N]` standing for any pid and `…` for any text.
//
//	<!-- golden-file REPOPATH -->
//
// marks a sample that must be exactly the committed REPOPATH, a fixture
// another package's test keeps true (heartbeat/status TestRecordedReadme
// renders a recorded `heartbeat status --json` into one).
//
//	<!-- golden-hbgo-only -->  and  <!-- golden-omitted -->
//
// mark log lines that only hbgo writes (hblog.HbgoOnly) and stock's lines
// hbgo deliberately does not write (hblog.Omitted).
var marker = regexp.MustCompile(`^\s*<!-- (golden|golden-quote|golden-file|golden-hbgo-only|golden-omitted)((?:\s+\S+)*)\s*-->\s*$`)

// docs are the documents whose samples are checked.
var docs = []string{"README.md", "docs/MIGRATION.md", "docs/CONFIG.md", "docs/DESIGN.md"}

// fixedMtime is the modification time given to copied fixtures: syslog
// lines have no year, and heartbeat log takes it from the file's mtime.
var fixedMtime = time.Date(2026, 12, 31, 0, 0, 0, 0, time.Local) // after every fixture's lines

type block struct {
	doc        string
	line       int // of the marker
	kind       string
	args       []string
	lines      []string // the block's lines, dedented
	start, end int      // the block's content lines in the file, [start, end), 0-based
	indent     string
}

var update = flag.Bool("update", false, "write the commands' real output into the docs' golden blocks")

func repoRoot(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// blocks returns every marked block of doc.
func blocks(t *testing.T, root, doc string) []block {
	b, err := os.ReadFile(filepath.Join(root, doc))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []block
	for i := 0; i < len(lines); i++ {
		m := marker.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.Contains(lines[i], "<!-- golden") {
				t.Errorf("%s:%d: malformed golden marker %q", doc, i+1, lines[i])
			}
			continue
		}
		bl := block{doc: doc, line: i + 1, kind: m[1], args: strings.Fields(m[2])}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j == len(lines) {
			t.Errorf("%s:%d: marker without a block", doc, i+1)
			break
		}
		indent := lines[j][:len(lines[j])-len(strings.TrimLeft(lines[j], " \t"))]
		bl.indent = indent
		if strings.HasPrefix(strings.TrimSpace(lines[j]), "```") {
			bl.start = j + 1
			for j++; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
				bl.lines = append(bl.lines, strings.TrimPrefix(lines[j], indent))
			}
			bl.end = j
		} else {
			bl.start = j
			for ; j < len(lines) && (strings.HasPrefix(lines[j], indent) || strings.TrimSpace(lines[j]) == ""); j++ {
				bl.lines = append(bl.lines, strings.TrimPrefix(lines[j], indent))
			}
			for len(bl.lines) > 0 && strings.TrimSpace(bl.lines[len(bl.lines)-1]) == "" {
				bl.lines = bl.lines[:len(bl.lines)-1]
			}
			bl.end = bl.start + len(bl.lines)
		}
		out = append(out, bl)
		i = j
	}
	return out
}

// TestDocSamples runs every command of every golden block and compares its
// output with the doc's; a golden-quote block's lines must occur in the
// recording it names.
func TestDocSamples(t *testing.T) {
	root := repoRoot(t)
	n := 0
	for _, doc := range docs {
		bls := blocks(t, root, doc)
		var updated [][]string
		for _, bl := range bls {
			n++
			var real []string
			t.Run(fmt.Sprintf("%s:%d", doc, bl.line), func(t *testing.T) {
				switch bl.kind {
				case "golden-quote":
					checkQuote(t, root, bl)
					real = bl.lines
					return
				case "golden-file":
					real = checkFile(t, root, bl)
					return
				case "golden-hbgo-only", "golden-omitted":
					checkLines(t, bl)
					real = bl.lines
					return
				}
				real = checkTranscript(t, root, bl)
			})
			updated = append(updated, real)
		}
		if *update && len(bls) > 0 {
			writeBack(t, filepath.Join(root, doc), bls, updated)
		}
	}
	if n < 4 {
		t.Errorf("only %d golden blocks in the docs", n)
	}
}

func checkQuote(t *testing.T, root string, bl block) {
	if len(bl.args) != 1 {
		t.Fatalf("golden-quote takes one recording, got %q", bl.args)
	}
	rec, err := os.ReadFile(filepath.Join(root, bl.args[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bl.lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		q := regexp.QuoteMeta(strings.TrimSpace(l))
		q = strings.ReplaceAll(q, `\[N\]`, `\[[0-9]+\]`)
		q = strings.ReplaceAll(q, "…", ".*")
		if !regexp.MustCompile(q).Match(rec) {
			t.Errorf("%q does not occur in %s", l, bl.args[0])
		}
	}
}

// checkFile compares a golden-file block with its fixture and returns the
// fixture's lines (what -update writes into the doc).
func checkFile(t *testing.T, root string, bl block) []string {
	if len(bl.args) != 1 {
		t.Fatalf("golden-file takes one fixture, got %q", bl.args)
	}
	b, err := os.ReadFile(filepath.Join(root, bl.args[0]))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if d := cmp.Diff(want, bl.lines); d != "" && !*update {
		t.Errorf("%s:%d: the sample is not %s (-fixture +doc):\n%s", bl.doc, bl.line, bl.args[0], d)
	}
	return want
}

// checkLines checks each line of a golden-hbgo-only or golden-omitted block.
func checkLines(t *testing.T, bl block) {
	n := 0
	for _, l := range bl.lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n++
		if bl.kind == "golden-hbgo-only" && !hblog.HbgoOnly(l) {
			t.Errorf("%q is not one of hbgo's own lines (hblog.HbgoOnly)", l)
		}
		if bl.kind == "golden-omitted" && !hblog.Omitted(l) {
			t.Errorf("%q is not a stock line hbgo omits (hblog.Omitted)", l)
		}
	}
	if n == 0 {
		t.Error("no lines")
	}
}

// env is one block's fixtures: doc paths mapped to temp copies.
type env struct {
	paths  map[string]string // doc path -> temp path
	status string            // cl_status snapshot file
}

func (e *env) mapped(docPath string) (string, bool) {
	p, ok := e.paths[docPath]
	return p, ok
}

// arg replaces a doc path (or a path below one) by its temp copy.
func (e *env) arg(a string) string {
	for d, p := range e.paths {
		if a == d || strings.HasPrefix(a, d+"/") {
			return p + strings.TrimPrefix(a, d)
		}
	}
	return a
}

// back replaces temp paths in output by the doc paths.
func (e *env) back(s string) string {
	type pair struct{ tmp, doc string }
	var ps []pair
	for d, p := range e.paths {
		ps = append(ps, pair{p, d})
	}
	sort.Slice(ps, func(i, j int) bool { return len(ps[i].tmp) > len(ps[j].tmp) })
	for _, p := range ps {
		s = strings.ReplaceAll(s, p.tmp, p.doc)
	}
	return s
}

func newEnv(t *testing.T, root string, args []string) *env {
	e := &env{paths: map[string]string{}}
	tmp := t.TempDir()
	for i, a := range args {
		d, r, ok := strings.Cut(a, "=")
		if !ok {
			t.Fatalf("marker argument %q is not DOCPATH=REPOPATH", a)
		}
		if d == "status" {
			e.status = filepath.Join(root, r)
			continue
		}
		dst := filepath.Join(tmp, fmt.Sprint(i), filepath.Base(d))
		copyTree(t, filepath.Join(root, r), dst)
		e.paths[d] = dst
	}
	return e
}

// copyTree copies a file or directory, authkeys mode 600 (git keeps no
// modes but x), and sets every file's mtime to fixedMtime.
func copyTree(t *testing.T, src, dst string) {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dst, strings.TrimPrefix(p, src))
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if fi, err := d.Info(); err == nil && fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		if d.Name() == "authkeys" {
			mode = 0o600
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(to, b, mode); err != nil {
			return err
		}
		if err := os.Chmod(to, mode); err != nil {
			return err
		}
		return os.Chtimes(to, fixedMtime, fixedMtime)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkTranscript runs the block's commands and returns the block as the
// commands really print it.
func checkTranscript(t *testing.T, root string, bl block) []string {
	e := newEnv(t, root, bl.args)
	var cmd string
	var want, real []string
	cmds := 0
	flush := func() {
		if cmd == "" {
			return
		}
		cmds++
		got := e.back(run(t, e, cmd))
		real = append(real, "# "+cmd)
		if got != "" {
			real = append(real, strings.Split(strings.TrimSuffix(got, "\n"), "\n")...)
		}
		if *update {
			return
		}
		w := strings.Join(want, "\n")
		if w != "" {
			w += "\n"
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%s:%d: `%s` prints (-doc +real):\n%s", bl.doc, bl.line, cmd, d)
		}
	}
	for _, l := range bl.lines {
		if strings.HasPrefix(l, "# ") {
			flush()
			cmd, want = strings.TrimPrefix(l, "# "), nil
			continue
		}
		if cmd == "" {
			t.Fatalf("%s:%d: output before the first command (`# command`): %q", bl.doc, bl.line, l)
		}
		want = append(want, l)
	}
	flush()
	if cmds == 0 {
		t.Errorf("%s:%d: a golden block without a command", bl.doc, bl.line)
	}
	return real
}

// writeBack replaces each block's content in doc by real (-update).
func writeBack(t *testing.T, doc string, bls []block, real [][]string) {
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i := len(bls) - 1; i >= 0; i-- {
		var repl []string
		for _, l := range real[i] {
			if l == "" {
				repl = append(repl, "")
			} else {
				repl = append(repl, bls[i].indent+l)
			}
		}
		lines = append(lines[:bls[i].start], append(repl, lines[bls[i].end:]...)...)
	}
	if err := os.WriteFile(doc, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// words splits a command line as the shell would for the simple quoting
// the docs use ('…' and "…").
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// run runs one documented command against the block's fixtures and
// returns its stdout.
func run(t *testing.T, e *env, line string) string {
	argv := words(line)
	for i := range argv {
		argv[i] = e.arg(argv[i])
	}
	var out, errb bytes.Buffer
	name := filepath.Base(argv[0])
	sub := ""
	if len(argv) > 1 {
		sub = argv[1]
	}
	switch {
	case name == "heartbeat" && sub == "check":
		args := argv[2:]
		if dir, ok := e.mapped("/etc/ha.d"); ok && !contains(args, "-dir") {
			args = append([]string{"-dir", dir}, args...)
		}
		none := filepath.Join(t.TempDir(), "none")
		check.Main(args, check.Options{Uname: func() (string, error) { return "node1", nil }, Host: docHost{},
			InitDir: "/etc/init.d", DpkgInfoDir: none, DpkgStatus: none, SystemdDirs: []string{none}}, &out, &errb)
	case name == "heartbeat" && sub == "log":
		// This host's journal and ha.cf are not the doc's: only the mapped ones count.
		journal, _ := e.mapped(hblog.DefaultJournalPath)
		dir, ok := e.mapped("/etc/ha.d")
		if !ok {
			dir = filepath.Join(t.TempDir(), "none")
		}
		timeline.Main(append([]string{"-journal", journal, "-dir", dir}, argv[2:]...), &out, &errb)
	case name == "heartbeat" && sub == "decode":
		decode.Main(argv[2:], &out, &errb)
	case name == "cl_status":
		if e.status == "" {
			t.Fatalf("cl_status needs status=SNAPSHOT.json in the marker")
		}
		clstatus.Main(argv[1:], clstatus.Env{Stdout: &out, Stderr: &errb, Host: "node1", PID: 4711,
			Query: func() (*control.Snapshot, error) { return snapshot(t, e.status), nil }})
	default:
		t.Fatalf("no runner for `%s`: add one to internal/doctest", line)
	}
	if errb.Len() > 0 {
		t.Logf("`%s` stderr:\n%s", line, e.back(errb.String()))
	}
	return out.String()
}

func snapshot(t *testing.T, path string) *control.Snapshot {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s control.Snapshot
	if err := json.NewDecoder(bufio.NewReader(io.Reader(f))).Decode(&s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestWords(t *testing.T) {
	got := words(`heartbeat log -since "2026-11-23 00:24:40" '/var/log/ha log' x`)
	want := []string{"heartbeat", "log", "-since", "2026-11-23 00:24:40", "/var/log/ha log", "x"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

// docHost is node1 of the docs' cluster, the same on every machine: eth0
// (LAN) and eth1 (heartbeat link), Debian's hacluster/haclient, and
// /etc/services naming port 694 ha-cluster.
type docHost struct{}

func (docHost) InterfaceExists(n string) bool         { return n == "eth0" || n == "eth1" || n == "lo" }
func (docHost) InterfaceHasIPv4(n string) bool        { return true }
func (docHost) CharDevice(p string) (bool, bool)      { return false, false }
func (docHost) Executable(p string) bool              { return false }
func (docHost) UserExists(n string) bool              { return n == "root" || n == "hacluster" }
func (docHost) GroupExists(n string) bool             { return n == "root" || n == "haclient" }
func (docHost) ServiceByPort(port int) (string, bool) { return "ha-cluster", port == 694 }
func (docHost) ServicePort(name string) (int, bool)   { return 694, name == "ha-cluster" }
func (docHost) Dir(p string) (exists, isDir bool)     { return p == "/var/log", p == "/var/log" }
func (docHost) Resolves(n string) bool                { return n == "localhost" }
