package hacf

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stockGolden is one recording of stock heartbeat 3.0.6 reading an ha.cf
// (testdata/stock/*.golden, produced by testdata/stock/record.sh).
type stockGolden struct {
	exit   int
	log    []string // "LEVEL: text"
	stderr []string
	after  []string // lines logged after start-up, kept as evidence
}

func readGolden(t *testing.T, path string) stockGolden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var g stockGolden
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		kind, rest, _ := strings.Cut(l, " ")
		switch kind {
		case "exit":
			g.exit, _ = strconv.Atoi(rest)
		case "log":
			g.log = append(g.log, rest)
		case "stderr":
			g.stderr = append(g.stderr, rest)
		case "after":
			g.after = append(g.after, rest)
		}
	}
	return g
}

// envDependent matches stock lines that depend on the host, not on ha.cf.
var envDependent = regexp.MustCompile(`Core dumps could be lost|core_pattern|core_uses_pid|Initializing connection to logging daemon failed|Cannot chdir|^debug: `)

// compareExitOnly lists recordings whose log is not comparable line by line,
// with the reason.
var compareExitOnly = map[string]string{
	"crm-respawn":  "hbgo refuses pacemaker; stock's lines come from starting Pacemaker clients",
	"empty-values": "stock segfaults on an empty mcast/ucast line; hbgo refuses it",
}

// stricterThanStock lists recordings stock accepts and hbgo refuses on
// purpose (doc.go, "Stricter than stock").
var stricterThanStock = map[string]string{
	"mcast-ttl-260": "stock truncates ttl 260 to 4 with atoi and u_char",
	"udpport-70000": "stock logs port 70000 but htons sends to 70000 mod 65536",
	"env-no-equals": "stock reads past the end of the value (undefined behaviour)",
}

// TestStockRecordings checks Parse against stock heartbeat's own verdict and
// log lines for the same ha.cf: exit status 6 (refused) versus still running,
// and the configuration-phase ha-log and stderr lines in order.
func TestStockRecordings(t *testing.T) {
	cfs, _ := filepath.Glob("testdata/stock/*.cf")
	if len(cfs) < 5 {
		t.Fatalf("only %d stock recordings found", len(cfs))
	}
	for _, cf := range cfs {
		name := strings.TrimSuffix(filepath.Base(cf), ".cf")
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, strings.TrimSuffix(cf, ".cf")+".golden")
			f, err := os.Open(cf)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c, probs := ParseWith(f, "ha.cf", Options{LocalNode: "node1"})
			refused := g.exit == 6 || g.exit == 139
			if why, ok := stricterThanStock[name]; ok {
				if g.exit != 137 || !probs.HasErrors() {
					t.Fatalf("expected stock to accept and hbgo to refuse (%s); stock exit %d, hbgo: %v", why, g.exit, probs.Err())
				}
				return
			}
			if probs.HasErrors() != refused {
				t.Fatalf("stock exit %d, but hbgo errors = %v:\n%v", g.exit, probs.HasErrors(), probs.Err())
			}
			if _, ok := compareExitOnly[name]; ok {
				return
			}
			var want, got, wantErr, gotErr []string
			for _, l := range g.log {
				if envDependent.MatchString(l) || l == "ERROR: Configuration error, heartbeat not started." {
					continue
				}
				want = append(want, l)
			}
			for _, l := range g.stderr {
				// COMPAT §2.1: the unconditional udpport notice is not reproduced.
				if l == "heartbeat: udpport setting must precede media statements" {
					continue
				}
				wantErr = append(wantErr, l)
			}
			for _, l := range c.StartupLog {
				if l.Level == LevelStderr {
					gotErr = append(gotErr, l.Text)
					continue
				}
				got = append(got, string(l.Level)+": "+l.Text)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("ha-log lines (-stock +hbgo):\n%s", d)
			}
			if d := cmp.Diff(wantErr, gotErr); d != "" {
				t.Errorf("stderr lines (-stock +hbgo):\n%s", d)
			}
			// Every stock ERROR line about the config is some problem's Stock text.
			stockTexts := map[string]bool{}
			for _, p := range probs {
				stockTexts[p.Stock] = true
			}
			for _, l := range want {
				if txt, ok := strings.CutPrefix(l, "ERROR: "); ok && txt != "Heartbeat not started: configuration error." &&
					!strings.HasPrefix(txt, "nice_failback") && !strings.HasPrefix(txt, "Consider") &&
					!strings.HasPrefix(txt, "When you do") && !strings.HasPrefix(txt, "See documentation") &&
					!strings.HasPrefix(txt, "You need either") && !strings.HasPrefix(txt, "Invalid apiauth") &&
					!strings.HasPrefix(txt, "Illegal serial") {
					if !stockTexts[txt] {
						t.Errorf("no problem carries stock text %q", txt)
					}
				}
			}
			for _, a := range g.after {
				if m := regexp.MustCompile(`started on port (\d+)`).FindStringSubmatch(a); m != nil {
					port, _ := strconv.Atoi(m[1])
					if len(c.Media) == 0 || c.Media[0].Port != port {
						t.Errorf("stock used port %d for the first medium; hbgo has %+v", port, c.Media)
					}
				}
			}
		})
	}
}

// stockOutput reads a recorded stock output: the text after its
// "=== output" line (the lines above say how it was recorded).
func stockOutput(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	_, out, ok := strings.Cut(string(b), "=== output\n")
	if !ok {
		t.Fatalf("%s: no \"=== output\" line", name)
	}
	return out
}

// TestFormatDefaults compares with stock's `heartbeat -D` and `heartbeat
// -DW`, recorded in a private namespace (empty /etc/ha.d) on the build host.
func TestFormatDefaults(t *testing.T) {
	for _, tc := range []struct {
		file string
		got  string
	}{
		{"testdata/stock/heartbeat-D.txt", FormatDefaults()},
		{"testdata/stock/heartbeat-DW.txt", FormatDefaultsWiki("3.0.6")},
	} {
		if d := cmp.Diff(stockOutput(t, tc.file), tc.got); d != "" {
			t.Errorf("%s (-stock +hbgo):\n%s", tc.file, d)
		}
	}
}

func TestWikiName(t *testing.T) {
	for in, want := range map[string]string{
		"cluster":                 "Cluster",
		"conn_logd_time":          "ConnLogdTime",
		"max_rexmit_delay":        "MaxRexmitDelay",
		"a__b":                    "AB",
		"trailing_":               "Trailing",
		"record_pengine_inputs":   "RecordPengineInputs",
		"traditional_compression": "TraditionalCompression",
	} {
		if got := wikiName(in); got != want {
			t.Errorf("wikiName(%q) = %q, want %q", in, got, want)
		}
	}
}
