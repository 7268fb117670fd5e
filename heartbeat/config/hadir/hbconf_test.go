package hadir

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
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

// TestLoadRefusesNonRegularFiles: each configuration file as a FIFO (no
// writer), a link to /dev/zero, or over 1 MiB is refused at once with
// `file:0: error: what; hint` (issue 13 item 9). Before cfgfile, an authkeys
// FIFO hung Load forever and ha.cf on /dev/zero read until out of memory.
func TestLoadRefusesNonRegularFiles(t *testing.T) {
	for _, name := range []string{"ha.cf", "haresources", "authkeys", "hbgo.cf", "nodeinfo"} {
		for _, kind := range []string{"fifo", "/dev/zero", "huge"} {
			t.Run(name+"/"+strings.TrimPrefix(kind, "/dev/"), func(t *testing.T) {
				dir := t.TempDir()
				write(t, dir, "ha.cf", haCf, 0o644)
				write(t, dir, "haresources", "", 0o644)
				write(t, dir, "authkeys", "auth 1\n1 sha1 k\n", 0o600)
				p := filepath.Join(dir, name)
				os.Remove(p)
				switch kind {
				case "fifo":
					if err := syscall.Mkfifo(p, 0o600); err != nil {
						t.Fatal(err)
					}
				case "huge":
					write(t, dir, name, strings.Repeat("#\n", 600<<10), 0o600)
				default:
					os.Symlink(kind, p)
				}
				done := make(chan *Conf, 1)
				go func() { done <- Load(Options{Dir: dir, Uname: func() (string, error) { return "node1", nil }}) }()
				var c *Conf
				select {
				case c = <-done:
				case <-time.After(budget.Left(t)):
					t.Fatalf("Load blocks on %s as %s", name, kind)
				}
				if c.Ok() {
					t.Fatalf("accepted %s as %s", name, kind)
				}
				var found string
				for _, pr := range c.Problems.Errors() {
					if strings.Contains(pr.Error(), name) {
						found = pr.Error()
					}
				}
				if found == "" || !strings.Contains(found, ": error: ") || !strings.Contains(found, "; ") {
					t.Errorf("no `file: error: what; hint` line for %s in %v", name, c.Problems)
				}
			})
		}
	}
}
