package hbconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, text string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
}

const haCf = "keepalive 1\ndeadtime 10\ninitdead 20\nbcast eth1\nauto_failback on\nnode node1\nnode node2\nlogfile /var/log/ha-log\n"

func TestLoadAllThreeTogether(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ha.cf", haCf, 0o644)
	write(t, dir, "haresources", "node1 10.0.0.5 svc\n", 0o644)
	write(t, dir, "authkeys", "auth 1\n1 sha1 k\n", 0o600)
	c := Load(Options{Dir: dir, Node: "NODE1"})
	if !c.Ok() || c.ExitCode() != 0 {
		t.Fatalf("problems: %v", c.Problems)
	}
	if c.Node != "node1" || len(c.Groups) != 1 || c.Keys.Active() != 1 || c.HaCf.Deadtime.Seconds() != 10 {
		t.Errorf("loaded %+v", c)
	}
}

// Every problem of every file comes back from one load (issue 3).
func TestLoadReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ha.cf", haCf+"bogus 1\n", 0o644)
	write(t, dir, "haresources", "nodeZ 10.0.0.5\n", 0o644)
	write(t, dir, "authkeys", "auth 2\n1 sha1 k\n", 0o644)
	c := Load(Options{Dir: dir, Node: "node1"})
	if c.Ok() || c.ExitCode() != 6 {
		t.Fatalf("exit %d", c.ExitCode())
	}
	var files []string
	for _, p := range c.Problems.Errors() {
		files = append(files, filepath.Base(p.File))
	}
	got := strings.Join(files, " ")
	for _, want := range []string{"ha.cf", "haresources", "authkeys"} {
		if !strings.Contains(got, want) {
			t.Errorf("no error for %s in %q: %v", want, got, c.Problems)
		}
	}
}

func TestLoadLocalNodeMustBeListed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ha.cf", haCf, 0o644)
	write(t, dir, "haresources", "", 0o644)
	write(t, dir, "authkeys", "auth 1\n1 crc\n", 0o600)
	c := Load(Options{Dir: dir, Node: "node3"})
	if c.Ok() {
		t.Fatal("node3 accepted")
	}
	found := false
	for _, p := range c.Problems {
		if strings.Contains(p.Stock, "Current node [node3] not in configuration!") {
			found = true
		}
	}
	if !found {
		t.Errorf("no stock text for an unlisted node: %v", c.Problems)
	}
}

func TestLoadMissingFiles(t *testing.T) {
	c := Load(Options{Dir: t.TempDir(), Node: "node1"})
	if c.Ok() || c.ExitCode() != 6 {
		t.Fatalf("missing files accepted: exit %d", c.ExitCode())
	}
	if len(c.Problems.Errors()) < 3 {
		t.Errorf("want one problem per missing file, got %v", c.Problems)
	}
}
