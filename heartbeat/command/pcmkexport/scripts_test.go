package pcmkexport

import (
	"bufio"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cibFacts flattens a CIB's configuration into sorted lines that ignore
// what the tools choose freely: the ids of attribute sets, nvpairs, ops,
// constraints and rules, operations other than the monitors, the nodes
// section and cluster-name (pcs cluster setup sets it).
func cibFacts(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	named := map[string]bool{"primitive": true, "group": true, "clone": true}
	type frame struct {
		label string
		skip  bool
	}
	var stack []frame
	var out []string
	inConfig := false
	d := xml.NewDecoder(bufio.NewReader(f))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			name := e.Name.Local
			skip := len(stack) > 0 && stack[len(stack)-1].skip
			if name == "configuration" {
				inConfig = true
			}
			attrs := map[string]string{}
			for _, a := range e.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if name == "nodes" || (name == "op" && attrs["name"] != "monitor") || (name == "nvpair" && attrs["name"] == "cluster-name") {
				skip = true
			}
			// Defaults the tools may or may not spell out.
			if name == "rsc_order" && attrs["kind"] == "" {
				attrs["kind"] = "Mandatory"
			}
			if name == "rsc_colocation" && attrs["rsc-role"] == "Started" {
				delete(attrs, "rsc-role")
			}
			var parts []string
			for k, v := range attrs {
				if k == "id" && !named[name] {
					continue
				}
				if name == "op" && k == "timeout" {
					continue // pcs copies the agent's advice for some
				}
				parts = append(parts, k+"="+v)
			}
			sort.Strings(parts)
			label := name
			if named[name] {
				label = name + "[" + attrs["id"] + "]"
			}
			path := label
			if len(stack) > 0 {
				path = stack[len(stack)-1].label + "/" + label
				if !named[name] {
					path = stack[len(stack)-1].label + "/" + name
				}
			}
			if inConfig && !skip && name != "configuration" {
				out = append(out, path+" "+strings.Join(parts, " "))
			}
			next := path
			if !named[name] && len(stack) > 0 {
				next = stack[len(stack)-1].label + "/" + name
			}
			stack = append(stack, frame{next, skip})
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if e.Name.Local == "configuration" {
				inConfig = false
			}
		}
	}
	sort.Strings(out)
	return out
}

// emptyCIB writes what `pcs cluster cib` would give on a new cluster.
func emptyCIB(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("cibadmin", "--empty").Output()
	if err != nil {
		t.Skipf("cibadmin --empty: %v", err)
	}
	p := filepath.Join(t.TempDir(), "cib.xml")
	must(t, os.WriteFile(p, out, 0o644))
	return p
}

// TestScriptsMatchCIB applies crm.txt with crmsh and pcs.sh with pcs to
// an empty CIB file (cibadmin --empty) and checks both give the
// configuration of cib.xml.
func TestScriptsMatchCIB(t *testing.T) {
	needPacemakerTools(t)
	for _, ex := range []string{"drbd-mysql", "ping-ipfail"} {
		t.Run(ex, func(t *testing.T) {
			_, files, _, err := Export(filepath.Join("..", "..", "..", "ha.d-examples", ex))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for name, b := range files {
				must(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
			}
			want := cibFacts(t, filepath.Join(dir, "cib.xml"))

			t.Run("crm.txt", func(t *testing.T) {
				if _, err := exec.LookPath("crm"); err != nil {
					t.Skip("crmsh (crm) not installed")
				}
				cib := emptyCIB(t)
				// -F: the init scripts the example names are not installed here.
				cmd := exec.Command("crm", "-F", "configure", "load", "update", filepath.Join(dir, "crm.txt"))
				cmd.Env = append(os.Environ(), "CIB_file="+cib)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("crm configure load update crm.txt: %v\n%s", err, out)
				}
				if diff := cmp.Diff(want, cibFacts(t, cib)); diff != "" {
					t.Errorf("crm.txt gives another configuration than cib.xml (-cib.xml +crm.txt):\n%s", diff)
				}
			})
			t.Run("pcs.sh", func(t *testing.T) {
				if _, err := exec.LookPath("pcs"); err != nil {
					t.Skip("pcs not installed")
				}
				if ex != "drbd-mysql" && os.Getenv("HBGO_PCMK_LIVE") != "full" {
					t.Skip("pcs takes about a second a command: make test applies only drbd-mysql's pcs.sh, make interop all")
				}
				cib := emptyCIB(t)
				// The script's own first and last lines read and push the
				// live CIB; run the pcs -f lines on the empty file instead.
				var lines []string
				for _, l := range strings.Split(string(files["pcs.sh"]), "\n") {
					if strings.HasPrefix(l, "pcs -f ") {
						lines = append(lines, l)
					}
				}
				cmd := exec.Command("sh", "-euc", strings.Join(lines, "\n"))
				cmd.Env = append(os.Environ(), "f="+cib)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("pcs.sh: %v\n%s", err, out)
				}
				if diff := cmp.Diff(want, cibFacts(t, cib)); diff != "" {
					t.Errorf("pcs.sh gives another configuration than cib.xml (-cib.xml +pcs.sh):\n%s", diff)
				}
			})
		})
	}
}
