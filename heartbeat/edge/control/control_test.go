package control

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/internal/harness/budget"
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
	}{{OpStatus, `{"ok":true}`}, {OpHealth, `{"ok":true}`}, {OpStandby, ErrNotRoot.Error()},
		{OpCleanup, ErrNotRoot.Error()}, {OpTakeover, ErrNotRoot.Error()}} { // cleanup would let this node take a handed-over group back
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

// TestListenSafeDirectory: the control socket's directory ends up root's
// and writable by root alone, and the socket is 0666 from the moment it
// exists, whatever the process umask (issue 13 item 7). Before, Listen
// bound in whatever directory it was given (stock's hacluster-owned
// /run/heartbeat) and chmod'ed the path afterwards: hacluster could swap
// the socket for a link to any file and have root make it 0666.
func TestListenSafeDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	base := t.TempDir()
	dir := filepath.Join(base, "heartbeat")
	os.Mkdir(dir, 0o775)
	os.Chown(dir, 65534, 65534) // as Debian's tmpfiles.d leaves it, with nobody for hacluster
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	path := filepath.Join(dir, "hbgo.sock")
	srv, err := Listen(path, func(context.Context, Cred, Request) Reply { return Reply{OK: true} })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var st syscall.Stat_t
	syscall.Stat(dir, &st)
	if st.Uid != 0 || st.Mode&0o022 != 0 {
		t.Errorf("directory uid %d mode %04o, want root's and not group/other-writable", st.Uid, st.Mode&0o7777)
	}
	if st.Gid != 65534 {
		t.Errorf("directory gid %d: the group (haclient) must keep its access", st.Gid)
	}
	if fi, _ := os.Lstat(path); fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o666 {
		t.Errorf("socket %v, want a socket with mode 0666 under umask 077", fi.Mode())
	}

	// A directory above that another user owns cannot be made safe from
	// here: Listen refuses rather than serve a socket someone can replace.
	other := filepath.Join(base, "other")
	os.Mkdir(other, 0o755)
	os.Chown(other, 65534, 65534)
	if _, err := Listen(filepath.Join(other, "run", "hbgo.sock"), nil); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("Listen under a directory nobody owns: %v, want a refusal", err)
	}
}

// TestConnectionsBounded: idle connections beyond the bound are answered
// "busy" at once instead of each holding a goroutine for 10 s; another
// user's flood leaves root its own room (issue 13, "Also").
func TestConnectionsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	srv, err := Listen(path, func(context.Context, Cred, Request) Reply { return Reply{OK: true} })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	bound := maxRootConns
	if os.Geteuid() != 0 {
		bound = maxConnsPerUID
	}
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := 0; i < bound; i++ {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	// Until the server has taken a slot for each (a busy machine takes
	// longer than any fixed pause to accept them all).
	held := func() int {
		srv.conns.mu.Lock()
		defer srv.conns.mu.Unlock()
		if os.Geteuid() == 0 {
			return srv.conns.root
		}
		return srv.conns.perUID[os.Geteuid()]
	}
	if !budget.Poll(t, func() bool { return held() == bound }) {
		t.Fatalf("the server holds %d of the %d idle connections", held(), bound)
	}
	rep, err := Do(path, Request{Op: OpStatus}, budget.Left(t))
	if err != nil || rep.Error != ErrBusy.Error() {
		t.Fatalf("request beyond %d idle connections: %+v %v, want %q at once", bound, rep, err, ErrBusy)
	}
	idle[0].Close()
	idle = idle[1:]
	budget.Poll(t, func() bool {
		rep, err = Do(path, Request{Op: OpStatus}, budget.Left(t))
		return err == nil && rep.OK
	})
	if !rep.OK {
		t.Errorf("after one idle connection closed: %+v %v, want served", rep, err)
	}

	var l connLimit
	l.perUID = map[int]int{}
	for i := 0; i < maxConnsPerUID; i++ {
		if !l.acquire(1000) {
			t.Fatalf("uid 1000 refused at %d", i)
		}
	}
	if l.acquire(1000) {
		t.Error("uid 1000 beyond its bound")
	}
	for u := 1001; u < 1010; u++ {
		for i := 0; i < maxConnsPerUID; i++ {
			l.acquire(u)
		}
	}
	if !l.acquire(0) {
		t.Error("root refused while other users flood")
	}
	l.release(1000)
	if l.perUID[1000] != maxConnsPerUID-1 {
		t.Errorf("release: %d", l.perUID[1000])
	}
}
