package install

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const exe = "/usr/libexec/heartbeat/heartbeat"

// adminFiles are an admin's configuration, there before install: install
// and uninstall must leave them byte for byte.
var adminFiles = map[string]string{
	"/etc/ha.d/ha.cf":        "node n1\nnode n2\nbcast eth0\n",
	"/etc/ha.d/haresources":  "n1 IPaddr::10.0.0.10\n",
	"/etc/ha.d/authkeys":     "auth 1\n1 sha1 secret\n",
	"/etc/ha.d/resource.d/x": "#!/bin/sh\n",
}

// wantTree is the DESTDIR layout of an install: every path of
// dist/files.list (the list the package is built from too; COMPAT §0.4),
// plus the admin's files and install's manifest.
func wantTree(t *testing.T) []string {
	t.Helper()
	want := []string{"/var/lib/hbgo/install.manifest"}
	for p := range adminFiles {
		want = append(want, p)
	}
	for _, e := range readList(t) {
		switch e.kind {
		case "dir":
		case "link", "alias":
			want = append(want, e.path+" -> "+e.from)
		default:
			want = append(want, e.path)
		}
	}
	sort.Strings(want)
	return want
}

func TestInstallLayoutAndUninstall(t *testing.T) {
	d := t.TempDir()
	bin := standInBin(t)
	gen := standInGen(t)
	r := repo(t)
	for p, c := range adminFiles {
		writeFile(t, d+p, c, 0o600)
	}
	out := mustInstall(t, "install", "DESTDIR="+d, "BIN="+bin, "GEN="+gen, "DIVERT=auto")
	if diff := cmp.Diff(wantTree(t), tree(t, d)); diff != "" {
		t.Errorf("installed tree (-want +got):\n%s", diff)
	}
	// Copies of our files, with their modes (setgid ones are checked below).
	for _, e := range readList(t) {
		if e.kind != "file" && e.kind != "conf" {
			continue
		}
		src := filepath.Join(r, e.from)
		switch {
		case e.from == "@BIN":
			src = bin
		case strings.HasPrefix(e.from, "@GEN/"):
			src = filepath.Join(gen, strings.TrimPrefix(e.from, "@GEN/"))
		}
		if got, want := readFile(t, d+e.path), readFile(t, src); got != want {
			t.Errorf("%s differs from %s", e.path, src)
		}
		mode := parseMode(t, e.mode)
		if mode&os.ModeSetgid != 0 {
			continue
		}
		if st, err := os.Stat(d + e.path); err != nil || st.Mode() != mode {
			t.Errorf("%s: mode %v (%v), want %v", e.path, st.Mode(), err, mode)
		}
	}
	// cl_status: a copy of the binary, setgid haclient like stock's (root only).
	if got := readFile(t, d+"/usr/bin/cl_status"); got != readFile(t, bin) {
		t.Error("/usr/bin/cl_status is not a copy of the binary")
	}
	if isRoot() {
		st, _ := os.Stat(d + "/usr/bin/cl_status")
		if st.Mode()&os.ModeSetgid == 0 {
			t.Errorf("/usr/bin/cl_status mode %v, want setgid", st.Mode())
		}
		gid := st.Sys().(*syscall.Stat_t).Gid
		if g := groupName(t, "/etc/group", gid); g != "haclient" {
			t.Errorf("/usr/bin/cl_status group %q, want haclient", g)
		}
	}
	for p, c := range adminFiles {
		if got := readFile(t, d+p); got != c {
			t.Errorf("install changed %s: %q", p, got)
		}
	}
	if !strings.Contains(out, "not adding user hacluster") {
		t.Errorf("install without DESTDIR/etc/passwd should say it skips the users; said:\n%s", out)
	}

	mustInstall(t, "uninstall", "DESTDIR="+d)
	var want []string
	for p := range adminFiles {
		want = append(want, p)
	}
	if diff := cmp.Diff(slicesSorted(want), tree(t, d)); diff != "" {
		t.Errorf("after uninstall (-want +got):\n%s", diff)
	}
	for _, dir := range []string{"/usr/lib64/heartbeat", "/usr/libexec/heartbeat", "/var/lib/hbgo"} {
		if _, err := os.Stat(d + dir); err == nil {
			t.Errorf("uninstall left the directory %s it made", dir)
		}
	}
	if _, err := installSh(t, "uninstall", "DESTDIR="+d); err == nil {
		t.Error("a second uninstall succeeded with nothing installed")
	}
}

// A file no package owns at one of our paths (an old hand-made install) is
// kept aside and put back; a second install neither saves ours nor doubles
// the manifest.
func TestReinstallKeepsForeignFile(t *testing.T) {
	d := t.TempDir()
	bin := standInBin(t)
	old := "/usr/lib/heartbeat/hb_standby"
	writeFile(t, d+old, "#!/bin/sh\n# hand-made 2.1.4 install\n", 0o755)
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+bin)
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+bin)
	if got := readFile(t, d+old+".hbgo-saved"); !strings.Contains(got, "hand-made") {
		t.Errorf("%s.hbgo-saved = %q, want the old file", old, got)
	}
	if target, _ := os.Readlink(d + old); target != "../../libexec/heartbeat/heartbeat" {
		t.Errorf("%s -> %q, want ../../libexec/heartbeat/heartbeat", old, target)
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, d+"/var/lib/hbgo/install.manifest")), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("manifest line %q twice after reinstall", l)
		}
		seen[l] = true
	}
	if !seen["saved "+old] {
		t.Errorf("manifest does not record the saved %s:\n%s", old, strings.Join(lines, "\n"))
	}
	mustInstall(t, "uninstall", "DESTDIR="+d)
	if got := readFile(t, d+old); !strings.Contains(got, "hand-made") {
		t.Errorf("uninstall left %s = %q, want the old file back", old, got)
	}
	if _, err := os.Lstat(d + old + ".hbgo-saved"); err == nil {
		t.Error(".hbgo-saved left behind")
	}
}

// The users: added to DESTDIR's own passwd and group, existing ones kept.
func TestInstallAddsClusterUser(t *testing.T) {
	if !isRoot() {
		t.Skip("useradd --prefix needs root")
	}
	d := t.TempDir()
	writeFile(t, d+"/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0o644)
	writeFile(t, d+"/etc/group", "root:x:0:\n", 0o644)
	writeFile(t, d+"/etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640)
	writeFile(t, d+"/etc/gshadow", "root:*::\n", 0o640)
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+standInBin(t))
	passwd, group := readFile(t, d+"/etc/passwd"), readFile(t, d+"/etc/group")
	if !strings.Contains(group, "\nhaclient:") {
		t.Errorf("no haclient group:\n%s", group)
	}
	var hacluster string
	for _, l := range strings.Split(passwd, "\n") {
		if strings.HasPrefix(l, "hacluster:") {
			hacluster = l
		}
	}
	f := strings.Split(hacluster, ":")
	if len(f) != 7 || f[5] != "/var/lib/heartbeat" || f[6] != "/usr/sbin/nologin" || groupName(t, d+"/etc/group", parseUint(f[3])) != "haclient" {
		t.Errorf("hacluster entry %q, want primary group haclient, home /var/lib/heartbeat, shell nologin", hacluster)
	}
	// A second install keeps the entries as they are.
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+standInBin(t))
	if got := readFile(t, d+"/etc/passwd"); got != passwd {
		t.Errorf("reinstall changed passwd:\n%s", got)
	}
}

func groupName(t *testing.T, groupFile string, gid uint32) string {
	t.Helper()
	for _, l := range strings.Split(readFile(t, groupFile), "\n") {
		f := strings.Split(l, ":")
		if len(f) >= 3 && parseUint(f[2]) == gid {
			return f[0]
		}
	}
	return ""
}

func parseUint(s string) uint32 {
	var n uint32
	for _, c := range s {
		if c < '0' || c > '9' {
			return 1<<32 - 1
		}
		n = n*10 + uint32(c-'0')
	}
	return n
}

// Install and uninstall refuse to swap programs under a running daemon
// (its PID file names a live process whose program is heartbeat).
func TestRefusesWhileRunning(t *testing.T) {
	d := t.TempDir()
	bin := standInBin(t)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	fake := filepath.Join(t.TempDir(), "heartbeat")
	writeFile(t, fake, readFile(t, sleep), 0o755)
	cmd := exec.Command(fake, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pidfile := fmt.Sprintf("%10d\n", cmd.Process.Pid) // COMPAT §7.6 format
	writeFile(t, d+"/run/heartbeat.pid", pidfile, 0o644)

	out, err := installSh(t, "install", "DESTDIR="+d, "BIN="+bin)
	if err == nil || !strings.Contains(out, fmt.Sprintf("heartbeat is running (pid %d): stop it first", cmd.Process.Pid)) {
		t.Errorf("install with heartbeat running: err %v\n%s", err, out)
	}
	if _, err := os.Lstat(d + exe); err == nil {
		t.Error("install went ahead anyway")
	}
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+bin, "FORCE=yes")
	if out, err := installSh(t, "uninstall", "DESTDIR="+d); err == nil {
		t.Errorf("uninstall with heartbeat running succeeded\n%s", out)
	}
	// A stale PID file (kept after a clean stop, COMPAT §7.6) whose PID now
	// belongs to another program does not block.
	writeFile(t, d+"/run/heartbeat.pid", fmt.Sprintf("%10d\n", os.Getpid()), 0o644)
	mustInstall(t, "uninstall", "DESTDIR="+d)
}
