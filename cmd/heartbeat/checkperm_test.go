package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCheckAsNonRoot: `heartbeat check` run by a user who may not read the
// root-only files says to run it as root or as the file's owner, not to
// create the files (they exist), and exits 4 as stock does (issue 17).
// As root the check runs as nobody (65534); otherwise as the caller, with
// the files made unreadable.
func TestCheckAsNonRoot(t *testing.T) {
	dir, err := os.MkdirTemp("", "hbgo-checkperm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"ha.cf":       "node n1 n2\nbcast eth0\nlogfile /var/log/ha-log\nauto_failback on\n",
		"haresources": "n1 10.0.0.5\n",
		"authkeys":    "auth 1\n1 sha1 secret\n",
	}
	mode := os.FileMode(0o600)
	if os.Geteuid() != 0 {
		mode = 0
	}
	for name, c := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c), mode); err != nil {
			t.Fatal(err)
		}
	}
	self := os.Args[0]
	cmd := exec.Command(self, "check", "-dir", dir, "-node", "n1")
	if os.Geteuid() == 0 {
		// nobody must be able to run this test binary: a copy beside the files.
		exe := filepath.Join(dir, "heartbeat.test")
		copyFile(t, self, exe)
		cmd = exec.Command(exe, "check", "-dir", dir, "-node", "n1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		cmd.Dir = dir
	}
	cmd.Env = append(os.Environ(), "HBGO_TEST_ARGV0=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Errorf("exit %v, want 4\n%s", err, out.String())
	}
	got := out.String()
	for _, name := range []string{"ha.cf", "haresources", "authkeys"} {
		var line string
		for _, l := range strings.Split(got, "\n") {
			if strings.HasPrefix(l, filepath.Join(dir, name)+":") {
				line = l
			}
		}
		if !strings.Contains(line, "permission denied") || !strings.Contains(line, "run this as root") {
			t.Errorf("%s: %q, want permission denied and advice to run it as root\n%s", name, line, got)
		}
	}
	if strings.Contains(got, "create it") || strings.Contains(got, "copy an annotated sample") {
		t.Errorf("advice to create files that exist:\n%s", got)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
