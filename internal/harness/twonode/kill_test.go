package twonode

import (
	"strings"
	"testing"

	"hbgo/internal/harness/budget"
)

// TestKillReaps checks that Kill leaves no zombie in the node: nsenter,
// the daemon's parent, stops itself when Kill's SIGSTOP stops its child and
// must be continued to reap it (a zombie daemon keeps stock's PID file and
// serial locks "in use").
func TestKillReaps(t *testing.T) {
	sleep := Impl{Name: "sleep", Cmd: []string{"/bin/sleep", "100000"}, Exe: "/bin/sleep"}
	c := New(t, Options{Prefix: "hbgotk", Impl: [2]Impl{sleep, sleep}, HaCf: "", Authkeys: Authkeys})
	for round := range 2 {
		c.Start(0)
		if !WaitFor(budget.Left(t), func() bool { return c.Running(0) }) {
			t.Fatal("the stand-in daemon never ran")
		}
		c.Kill(0)
		if c.Running(0) {
			t.Fatalf("round %d: still running after Kill", round)
		}
		out, err := c.Node[0].Try("ps", "-eo", "pid=,stat=,comm=")
		if err != nil {
			t.Fatalf("ps: %v\n%s", err, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) >= 3 && strings.HasPrefix(f[1], "Z") {
				t.Errorf("round %d: zombie left in node1 after Kill: %s", round, l)
			}
		}
		if p := c.procs[0]; p != nil && live(p.Process.Pid) {
			t.Errorf("round %d: the daemon's nsenter (pid %d) still runs (stopped?) after Kill", round, p.Process.Pid)
		}
	}
}
