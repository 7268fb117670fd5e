package check

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheck feeds arbitrary ha.cf, haresources and authkeys to the whole
// check: it must not panic, every problem must name one of the files and be
// one line, and a passing configuration must summarise.
func FuzzCheck(f *testing.F) {
	f.Add(goodHaCf, goodHaresources, goodAuthkeys)
	f.Add("bcast eth1\nnode node1\n", "node1 10.0.0.1 \\\n  Delay::1\n", "auth 1\n1 crc\n")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, cf, hr, ak string) {
		dir := t.TempDir()
		for name, text := range map[string]string{"ha.cf": cf, "haresources": hr, "authkeys": ak} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		o := testOptions(t, hostA)
		o.Dir, o.Node = dir, "node1"
		r := Check(o)
		for _, p := range r.Problems {
			if !strings.HasPrefix(p.File, dir+"/") {
				t.Errorf("problem names %q, outside %s", p.File, dir)
			}
			if strings.ContainsAny(p.Error(), "\n") {
				t.Errorf("problem spans lines: %q", p.Error())
			}
		}
		if r.Ok() != (r.ExitCode() == 0) {
			t.Errorf("Ok %v but exit %d", r.Ok(), r.ExitCode())
		}
		if r.Ok() {
			r.WriteSummary(io.Discard)
		}
	})
}
