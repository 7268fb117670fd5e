package script

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

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/harness/budget"
)

func TestMergeEnv(t *testing.T) {
	got := MergeEnv([]string{"A=1", "HA_DIR=/etc/ha.d", "B=2"}, []string{"B=3", "HA_DONTASK=yes"})
	if diff := cmp.Diff([]string{"A=1", "HA_DIR=/etc/ha.d", "B=3", "HA_DONTASK=yes"}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rsc")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestContract(t *testing.T) {
	dir := t.TempDir()
	debug := filepath.Join(dir, "ha-debug")
	os.WriteFile(debug, []byte("earlier\n"), 0o644)
	p := writeScript(t, `
case "$2" in
start) echo "started $1 in $(pwd) HA_DIR=$HA_DIR HA_X=$HA_X"; echo warn >&2; read line && echo "stdin had $line"; exit 0;;
stop) echo stopping; exit 7;;
status) echo "$1 is running"; echo err-noise >&2; exit 3;;
esac`)
	r := &Runner{Env: []string{"PATH=/usr/bin:/bin", "HA_DIR=/etc/ha.d", "HA_X=old"}, Debugfile: debug, Dir: dir}
	s := r.New(p, []string{"arg1"})
	s.Env = []string{"HA_X=new"}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err := s.Stop(ctx)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 7 || err.Error() != "Return code 7 from "+p {
		t.Errorf("stop err = %v, want ExitError code 7", err)
	}
	st, err := s.Status(ctx)
	if err != nil || !st.Running || st.Text != "arg1 is running\n" {
		t.Errorf("status = %+v, %v", st, err)
	}
	b, _ := os.ReadFile(debug)
	want := "earlier\nstarted arg1 in " + dir + " HA_DIR=/etc/ha.d HA_X=new\nwarn\nstopping\nerr-noise\n"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("debugfile (-want +got)\n%s", diff)
	}
}

func TestStatusCapped(t *testing.T) {
	p := writeScript(t, `head -c 200000 /dev/zero | tr '\0' x; echo; echo running`)
	st, err := (&Runner{}).New(p, nil).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Text) != MaxStatusText || st.Running {
		t.Errorf("status text %d bytes running=%v, want the first %d bytes only", len(st.Text), st.Running, MaxStatusText)
	}
}

func TestNoDebugfileDaemonChild(t *testing.T) {
	// An init script whose daemon keeps stdout open must not hang start.
	pidf := filepath.Join(t.TempDir(), "pid")
	p := writeScript(t, `sleep 30 & echo $! > `+pidf+`; exit 0`)
	done := make(chan error, 1)
	go func() { done <- (&Runner{}).New(p, nil).Start(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(budget.Left(t)):
		t.Fatal("start waited for the background child")
	}
	b, _ := os.ReadFile(pidf)
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func TestCancelKillsGroup(t *testing.T) {
	pidf := filepath.Join(t.TempDir(), "pid")
	p := writeScript(t, `sleep 60 & echo $! > `+pidf+`; wait`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Runner{}).New(p, nil).Start(ctx) }()
	var pid int
	budget.Poll(t, func() bool {
		b, _ := os.ReadFile(pidf)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid != 0
	})
	if pid == 0 {
		t.Fatal("script never started its child")
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if !budget.Poll(t, func() bool {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		// reaped by init eventually; a zombie still answers kill 0
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return strings.Contains(string(b), ") Z ")
	}) {
		t.Error("the script's child survived cancellation")
	}
}

func TestMissingScript(t *testing.T) {
	err := (&Runner{}).New("/nonexistent/rsc", nil).Start(context.Background())
	var ee *ExitError
	if err == nil || errors.As(err, &ee) {
		t.Errorf("err = %v, want a run error", err)
	}
}

func TestMessageEnv(t *testing.T) {
	m := []Field{{"t", "ip-request"}, {"src", "node2"}, {"info", "a"}, {"info", "b"}}
	got := MessageEnv(m, "active")
	want := []string{"HA_t=ip-request", "HA_src=node2", "HA_info=b", "HA_OSTATUS=active"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	s := (&Runner{}).New("/x", nil)
	s.Env = []string{"HA_DONTASK=yes", "HA_src=old"}
	c := s.WithEnv(got...)
	if diff := cmp.Diff([]string{"HA_DONTASK=yes", "HA_src=node2", "HA_t=ip-request", "HA_info=b", "HA_OSTATUS=active"}, c.Env); diff != "" {
		t.Errorf("WithEnv (-want +got)\n%s", diff)
	}
	if len(s.Env) != 2 {
		t.Error("WithEnv changed the original")
	}
}

func TestNilEnvInherits(t *testing.T) {
	t.Setenv("HBGOAGT_MARK", "inherited")
	p := writeScript(t, `echo "mark=$HBGOAGT_MARK running"`)
	st, err := (&Runner{}).New(p, nil).Status(context.Background())
	if err != nil || st.Text != "mark=inherited running\n" {
		t.Errorf("status = %+v, %v", st, err)
	}
	st, _ = (&Runner{Env: []string{}}).New(p, nil).Status(context.Background())
	if st.Text != "mark= running\n" {
		t.Errorf("explicit empty env: %q", st.Text)
	}
}
