package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/haresources/failcount"
	"hbgo/haresources/monitor"
	"hbgo/heartbeat/edge/control"
)

func TestCleanup(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "hbgo.sock")
	t0 := time.UnixMilli(1765000000000).UTC()
	if err := failcount.Save(dir, monitor.Counts{"mysql": {t0}, "Filesystem::/dev/sdb1::/data::ext4": {t0}}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var o, e bytes.Buffer
		code := cleanup(args, sock, dir, &o, &e)
		return code, o.String() + e.String()
	}
	// No daemon: the file is changed in place.
	if code, out := run("mysql"); code != 0 || !strings.Contains(out, "failure counts of mysql cleared in "+dir+"/hbgo-failcounts (heartbeat is not running)") {
		t.Fatalf("%d %s", code, out)
	}
	c, _ := failcount.Load(dir)
	if _, ok := c["mysql"]; ok || len(c) != 1 {
		t.Errorf("after cleanup mysql: %v", c)
	}
	// A daemon: the request goes through the control socket.
	var got []control.Request
	srv, err := control.Listen(sock, func(_ context.Context, _ control.Cred, r control.Request) control.Reply {
		got = append(got, r)
		return control.Reply{OK: true}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if code, out := run(); code != 0 || out != "heartbeat cleanup: failure counts of every resource cleared\n" {
		t.Fatalf("%d %s", code, out)
	}
	if len(got) != 1 || got[0].Op != control.OpCleanup || len(got[0].Args) != 0 {
		t.Errorf("requests %+v", got)
	}
	if code, out := run("a", "b"); code != 2 || !strings.HasPrefix(out, "usage: heartbeat cleanup [RESOURCE]") {
		t.Errorf("%d %s", code, out)
	}
}

// TestCleanupHelp: `heartbeat cleanup -h` is laid out as decode's (usage
// line, one paragraph, examples, exit status) on stdout with exit 0; every
// example is accepted as written; the man page lists the command.
func TestCleanupHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		var o, e bytes.Buffer
		if code := cleanup([]string{arg}, filepath.Join(t.TempDir(), "none.sock"), t.TempDir(), &o, &e); code != 0 || e.Len() != 0 {
			t.Fatalf("cleanup %s: exit %d, stderr %q; want 0 and nothing", arg, code, e.String())
		}
		if o.String() != cleanupUsage {
			t.Errorf("cleanup %s printed %q", arg, o.String())
		}
	}
	blocks := strings.Split(strings.TrimSuffix(cleanupUsage, "\n"), "\n\n")
	if len(blocks) != 4 {
		t.Fatalf("want usage, paragraph, examples, exit status; got %d blocks:\n%s", len(blocks), cleanupUsage)
	}
	if blocks[0] != "usage: heartbeat cleanup [RESOURCE]" {
		t.Errorf("usage line %q", blocks[0])
	}
	if sc := findSubcommand("cleanup"); sc == nil || "usage: heartbeat cleanup "+sc.args != blocks[0] {
		t.Errorf("heartbeat help's cleanup line disagrees with %q", blocks[0])
	}
	for _, l := range strings.Split(blocks[1], "\n") {
		if strings.HasPrefix(l, " ") || len(l) > 80 {
			t.Errorf("description line %q: want one unindented paragraph within 80 columns", l)
		}
	}
	if !strings.HasPrefix(blocks[3], "Exit status: ") {
		t.Errorf("last block %q: want the exit status", blocks[3])
	}
	// The examples run as written against a daemon that accepts them.
	dir := t.TempDir()
	sock := filepath.Join(dir, "hbgo.sock")
	srv, err := control.Listen(sock, func(context.Context, control.Cred, control.Request) control.Reply {
		return control.Reply{OK: true}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, l := range strings.Split(blocks[2], "\n") {
		args, ok := strings.CutPrefix(l, "  heartbeat cleanup")
		if !ok {
			t.Errorf("example %q does not start with `  heartbeat cleanup`", l)
			continue
		}
		var o, e bytes.Buffer
		if code := cleanup(strings.Fields(args), sock, dir, &o, &e); code != 0 {
			t.Errorf("example %q: exit %d: %s", l, code, e.String())
		}
	}
	// The man page names every subcommand in its synopsis and describes it.
	man, err := os.ReadFile("../../docs/man/heartbeat.8.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range subcommands {
		if !strings.Contains(string(man), "\n**heartbeat "+c.name+"**") {
			t.Errorf("docs/man/heartbeat.8.md: no **heartbeat %s** synopsis line", c.name)
		}
		if !strings.Contains(string(man), "\n**"+c.name+"**\n:   ") {
			t.Errorf("docs/man/heartbeat.8.md: no %s entry under SUBCOMMANDS", c.name)
		}
	}
}
