package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hbgo/internal/harness/budget"
)

// TestSetgidOnlyForClStatus: /usr/bin/cl_status is a setgid-haclient copy
// of the whole multi-call binary (dist/files.list). Run as an ordinary user
// under any other name (`exec -a heartbeat /usr/bin/cl_status check`), it
// must not keep the group: only the cl_status command does. Stock ships
// cl_status as its own small program (Debian's heartbeat 3.0.6:
// /usr/bin/cl_status, 26776 bytes, mode 2555 root:haclient) and no other
// setgid file, so there the group only ever serves cl_status; this holds
// hbgo to the same. The child's real, effective and saved gids are read
// from /proc while it is blocked writing its first line to a full pipe,
// which it does only after main's dropSetgid.
func TestSetgidOnlyForClStatus(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown, setgid, running as nobody)")
	}
	const nobody, group = 65534, 4242
	dir, err := os.MkdirTemp("/var/tmp", "hbgo-setgid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cl_status")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Chown(bin, 0, group); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, 0o755|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		argv0 string
		args  []string
		keep  bool
	}{
		{"cl_status", []string{"-h"}, true},
		{"/usr/bin/cl_status", []string{"-h"}, true},
		{"hbgo-cl_status", []string{"-h"}, true},
		{"heartbeat", []string{"-V"}, false},
		{"/usr/libexec/heartbeat/heartbeat", []string{"-V"}, false},
		{"hb_standby", []string{"--help"}, false},
		{"hb_takeover", []string{"--help"}, false},
		{"ResourceManager", nil, false},
		{"hbgo-heartbeat", []string{"-V"}, false},
		{"sh", []string{"-V"}, false},
	} {
		got := gidsBlocked(t, bin, c.argv0, c.args, nobody)
		want := "65534 65534 65534 65534"
		if c.keep {
			want = "65534 4242 4242 4242"
		}
		if c.keep && got == "65534 65534 65534 65534" {
			t.Skip("this host does not honour setgid files (nosuid mount or no_new_privs): nothing to check")
		}
		if got != want {
			t.Errorf("exec -a %s %s %v as nobody: gids (real effective saved fs) %s, want %s", c.argv0, bin, c.args, got, want)
		}
	}
}

// gidsBlocked starts bin as uid/gid id with argv[0] name and its output
// into a full pipe, waits until it blocks writing, and returns its Gid line.
func gidsBlocked(t *testing.T, bin, name string, args []string, id uint32) string {
	t.Helper()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil { // blocking, unlike os.Pipe
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
	defer r.Close()
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte{'x'}, 4096)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Args[0] = name
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: id, Gid: id, Groups: []uint32{}}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	pid := cmd.Process.Pid
	defer func() {
		cmd.Process.Kill()
		go func() { _, _ = r.Read(make([]byte, 1<<16)) }()
		cmd.Wait()
	}()
	// Blocked in the write: well past dropSetgid, the first thing main does.
	deadline := time.Now().Add(budget.Left(t))
	for {
		// Any of its threads: the goroutine that writes need not run on
		// the main thread (seen under make race's load: the main thread
		// waited on a futex while another blocked in the write).
		var wchans []string
		tasks, _ := filepath.Glob("/proc/" + itoa(pid) + "/task/*/wchan")
		blocked := false
		for _, f := range tasks {
			wchan, _ := os.ReadFile(f)
			wchans = append(wchans, string(wchan))
			if strings.HasSuffix(string(wchan), "pipe_write") { // pipe_write, anon_pipe_write
				blocked = true
			}
		}
		if blocked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %v never blocked writing (threads' wchan %q)", name, args, wchans)
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, err := os.ReadFile("/proc/" + itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(l, "Gid:"); ok {
			return strings.Join(strings.Fields(rest), " ")
		}
	}
	t.Fatalf("no Gid line in /proc/%d/status", pid)
	return ""
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestStockClStatusIsItsOwnProgram records what the comparison above rests
// on, from this host's Debian heartbeat 3.0.6 when it is installed (and
// /usr/bin/cl_status is still its own): cl_status is a separate small
// program, setgid haclient, and stock's daemon is not setgid.
func TestStockClStatusIsItsOwnProgram(t *testing.T) {
	out, err := exec.Command("dpkg-query", "-S", "/usr/bin/cl_status").Output()
	if err != nil || !strings.HasPrefix(string(out), "heartbeat: ") {
		t.Skip("stock heartbeat's /usr/bin/cl_status is not installed here")
	}
	if div, _ := exec.Command("dpkg-divert", "--listpackage", "/usr/bin/cl_status").Output(); len(div) > 0 {
		t.Skip("/usr/bin/cl_status is diverted (make install)")
	}
	st, err := os.Stat("/usr/bin/cl_status")
	if err != nil {
		t.Skip(err)
	}
	gid := st.Sys().(*syscall.Stat_t).Gid
	t.Logf("stock /usr/bin/cl_status: %v, gid %d, %d bytes", st.Mode(), gid, st.Size())
	if st.Mode()&os.ModeSetgid == 0 || st.Size() > 1<<20 {
		t.Errorf("stock /usr/bin/cl_status: %v, %d bytes; expected a small setgid program", st.Mode(), st.Size())
	}
	if d, err := os.Stat("/usr/libexec/heartbeat/heartbeat"); err == nil && d.Mode()&(os.ModeSetgid|os.ModeSetuid) != 0 {
		t.Errorf("stock's daemon is %v: expected no setid bit", d.Mode())
	}
}
