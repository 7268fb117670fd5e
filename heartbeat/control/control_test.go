package control

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoundTripAndRootCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	srv, err := Listen(path, func(ctx context.Context, c Cred, r Request) Reply {
		if r.Op == OpStatus {
			return Reply{OK: true, Status: &Snapshot{Node: "node1", Status: "active", Nodes: []Node{{Name: "node2", Type: "normal", Status: "active", Links: []Link{{"eth1", "up"}}}}}}
		}
		return Reply{OK: true}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o666 {
		t.Errorf("socket mode %v, want 0666", fi.Mode().Perm())
	}
	rep, err := Do(path, Request{Op: OpStatus}, time.Second)
	if err != nil || !rep.OK || rep.Status.Nodes[0].Links[0].Status != "up" {
		t.Fatalf("status: %+v %v", rep, err)
	}
	if _, err := Listen(path, nil); err == nil || !strings.Contains(err.Error(), "another daemon") {
		t.Fatalf("second Listen on a live socket: %v", err)
	}
}

// TestNonRootCannotChangeState runs a client as user nobody (needs root to switch).
func TestNonRootCannotChangeState(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	if os.Getenv("HBGO_CONTROL_CHILD") != "" {
		t.Skip("child")
	}
	// t.TempDir's parent is private (0700); nobody must reach the socket.
	dir, err := os.MkdirTemp("", "hbgoctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "c.sock")
	srv, err := Listen(path, func(ctx context.Context, c Cred, r Request) Reply { return Reply{OK: true} })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		op   Op
		want string
	}{{OpStatus, `{"ok":true}`}, {OpHealth, `{"ok":true}`}, {OpStandby, ErrNotRoot.Error()}} {
		// setpriv runs the client as nobody; socat keeps the test free of a second Go binary.
		if _, err := exec.LookPath("setpriv"); err != nil {
			t.Skip("setpriv not installed")
		}
		if _, err := exec.LookPath("socat"); err != nil {
			t.Skip("socat not installed")
		}
		cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "socat", "-", "UNIX-CONNECT:"+path)
		cmd.Stdin = strings.NewReader(`{"op":"` + string(tc.op) + `"}` + "\n")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s as nobody: %q %v, want %q", tc.op, out, err, tc.want)
		}
	}
}
