package watch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hbgo/resource.d/agent"
	"hbgo/resource.d/drbddisk"
	"hbgo/resource.d/script"
)

// TestPollHungCheck: a status check that hangs is killed with its process
// group at the timeout (its background child too) and counts as a failure;
// exit 3 is a failure, exit 0 is not.
func TestPollHungCheck(t *testing.T) {
	dir := t.TempDir()
	pidf := filepath.Join(dir, "child.pid")
	mode := filepath.Join(dir, "mode")
	path := filepath.Join(dir, "svc")
	body := `#!/bin/sh
[ "$1" = status ] || exit 0
case "$(cat ` + mode + `)" in
ok) exit 0 ;;
stopped) exit 3 ;;
hang) sleep 300 & echo $! > ` + pidf + `; wait ;;
esac
`
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	setMode := func(m string) {
		if err := os.WriteFile(mode, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setMode("ok")
	r := &script.Runner{Dir: dir}
	s := r.New(path, nil)
	events := make(chan Event, 8)
	p := &Poller{Events: events}
	defer p.Close()
	const interval, timeout = 50 * time.Millisecond, 2 * time.Second // a loaded machine runs a shell in far less than 2 s
	p.Hold(context.Background(), "svc", interval, timeout, ScriptCheck(s, true))
	select {
	case ev := <-events:
		t.Fatalf("event while running: %+v", ev)
	case <-time.After(10 * interval):
	}
	setMode("stopped")
	if ev := next(t, events, Failed); ev.Cause != "status exit 3 (stopped)" {
		t.Errorf("stopped: %+v", ev)
	}
	p.Release("svc")
	for len(events) > 0 {
		<-events
	}
	setMode("hang")
	start := time.Now()
	p.Hold(context.Background(), "svc", interval, timeout, ScriptCheck(s, true))
	ev := next(t, events, Failed)
	took := time.Since(start)
	if !strings.Contains(ev.Cause, "status check hung: killed at its timeout of 2s") {
		t.Errorf("hung: %+v", ev)
	}
	if took < timeout {
		t.Errorf("failed after %s, before the timeout", took)
	}
	p.Release("svc")
	b, err := os.ReadFile(pidf)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(wait(t))
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		// a zombie not yet reaped by its (killed) parent counts as gone
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the hung check's child %d survived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("hung check reported after %s (timeout %s)", took, timeout)
}

// TestScriptCheckTextRule: a resource.d script is judged by its status text
// (heartbeat's rule: "running" without "not"), whatever its exit code.
func TestScriptCheckTextRule(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	path := filepath.Join(dir, "rsc")
	if err := os.WriteFile(path, []byte("#!/bin/sh\ncat "+out+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := (&script.Runner{Dir: dir}).New(path, nil)
	for text, want := range map[string]bool{"rsc is running\n": true, "rsc is not running\n": false, "stopped\n": false} {
		os.WriteFile(out, []byte(text), 0o644)
		if ok, cause := ScriptCheck(s, false)(context.Background()); ok != want {
			t.Errorf("%q: running %v (%s), want %v", text, ok, cause, want)
		}
	}
}

// TestDrbdRoleLeavesPrimary: drbddisk's role leaving Primary is a failure.
// There is no DRBD kernel module here: drbdadm is a stand-in script that
// prints the role a file holds, as `drbdadm role r0` prints it.
func TestDrbdRoleLeavesPrimary(t *testing.T) {
	dir := t.TempDir()
	role := filepath.Join(dir, "role")
	adm := filepath.Join(dir, "drbdadm")
	if err := os.WriteFile(adm, []byte("#!/bin/sh\n[ \"$1 $2\" = \"role r0\" ] || exit 20\ncat "+role+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(role, []byte("Primary/Secondary\n"), 0o644)
	a, err := drbddisk.New([]string{"r0"}, agent.Deps{}, filepath.Join(dir, "no-defaults"))
	if err != nil {
		t.Fatal(err)
	}
	a.Drbdadm = adm
	events := make(chan Event, 4)
	p := &Poller{Events: events}
	defer p.Close()
	p.Hold(context.Background(), "drbddisk::r0", 20*time.Millisecond, wait(t), AgentCheck(a))
	select {
	case ev := <-events:
		t.Fatalf("event while Primary: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
	os.WriteFile(role, []byte("Secondary/Primary\n"), 0o644)
	if ev := next(t, events, Failed); ev.Cause != "status: stopped (Secondary)" {
		t.Errorf("event %+v", ev)
	}
}
