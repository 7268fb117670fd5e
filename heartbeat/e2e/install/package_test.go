package install

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The package test (make package-test, root): the .deb that make deb built
// (HBGO_DEB) installed in place of stock heartbeat 3.0.6 in a throwaway
// Debian 12 root made by mmdebstrap, then stock put back. The root is
// built from the Debian mirror the host's apt uses (its sources files are
// handed to mmdebstrap as they are), cached as a tarball in
// /var/cache/hbgo-test (HBGO_TEST_CACHE), and extracted anew for each run
// into a temporary directory removed at the end, also on failure. Commands
// run in it through chroot inside new mount and PID namespaces (unshare),
// so nothing is ever installed on the host's / and nothing started in the
// root outlives the command.

// rootPackages are installed in the cached root besides the essential set
// and apt: stock heartbeat (it pulls resource-agents), what hbgo depends on,
// and man-db to render the man pages.
var rootPackages = []string{"heartbeat", "iproute2", "resource-agents", "man-db"}

// packageExample is the ha.d-examples directory put in the root as the
// admin's /etc/ha.d: the classic DRBD pair, whose IPaddr and Filesystem
// have stock wrappers in resource.d (the md5 pitfall).
const packageExample = "drbd-mysql"

// configFiles are the admin's files and the node's identity: byte for byte
// the same before the swap, after it, and after stock comes back.
var configFiles = []string{
	"/etc/ha.d/ha.cf", "/etc/ha.d/haresources", "/etc/ha.d/authkeys",
	"/var/lib/heartbeat/hb_uuid", "/var/lib/heartbeat/hb_generation",
}

func TestPackage(t *testing.T) {
	deb := os.Getenv("HBGO_DEB")
	if deb == "" {
		t.Skip("HBGO_DEB not set: run make package-test")
	}
	if !isRoot() {
		t.Skip("needs root (mmdebstrap, chroot)")
	}
	for _, tool := range []string{"mmdebstrap", "unshare", "chroot", "tar", "lintian"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: .ci/deps installs it", tool)
		}
	}
	list := readList(t)

	t.Run("lintian", func(t *testing.T) {
		// Errors fail; the warnings that remain are listed with their
		// reasons in dist/README.md.
		out, err := exec.Command("lintian", "--fail-on", "error", deb).CombinedOutput()
		t.Logf("lintian %s:\n%s", filepath.Base(deb), out)
		if err != nil {
			t.Errorf("lintian: %v", err)
		}
	})

	root := stockRoot(t)
	r := chrootRunner{t: t, root: root}

	// The admin's cluster, as stock ran it: configuration from the example,
	// authkeys 0600, and the node's identity as stock writes it.
	ex := filepath.Join(repo(t), "ha.d-examples", packageExample)
	for _, f := range []string{"ha.cf", "haresources", "authkeys"} {
		writeFile(t, root+"/etc/ha.d/"+f, readFile(t, filepath.Join(ex, f)), 0o600)
	}
	writeFile(t, root+"/var/lib/heartbeat/hb_uuid", "\x8a\x1f\x02\x9c\x11\x4e\x4b\x2a\x9d\x0e\x31\x7c\x55\x60\x01\x02", 0o600)
	writeFile(t, root+"/var/lib/heartbeat/hb_generation", "         7", 0o600)
	before := sums(t, root, configFiles)
	if got := r.status("heartbeat"); got != "install ok installed" {
		t.Fatalf("stock heartbeat in the root: %q", got)
	}

	// The swap, as an admin types it.
	if err := copyFile(deb, root+"/tmp/"+filepath.Base(deb)); err != nil {
		t.Fatal(err)
	}
	// A stock daemon still running (a stand-in: sleep under the name
	// heartbeat, with stock's PID file): stock's prerm stops it only under
	// systemd, so hbgo's preinst must stop it before hbgo goes in.
	start := time.Now()
	r.must(`cp /bin/sleep /tmp/heartbeat && /tmp/heartbeat 600 & pid=$!; printf '%10d\n' $pid >/run/heartbeat.pid
		apt-get install -y ./tmp/` + filepath.Base(deb) + ` || exit 1
		state=$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)
		if [ -n "$state" ] && [ "$state" != Z ]; then echo "the running stock daemon (pid $pid) was not stopped"; exit 1; fi
		rm -f /run/heartbeat.pid`)
	t.Logf("apt-get install ./%s: %v", filepath.Base(deb), time.Since(start).Round(time.Millisecond))

	t.Run("replaced", func(t *testing.T) {
		if got := r.status("heartbeat"); got != "deinstall ok config-files" {
			t.Errorf("stock heartbeat after the swap: %q, want removed (its conffiles kept)", got)
		}
		if got := r.status("hbgo"); got != "install ok installed" {
			t.Errorf("hbgo: %q", got)
		}
		if d := diffSums(before, sums(t, root, configFiles)); d != "" {
			t.Errorf("the swap changed the admin's files:\n%s", d)
		}
	})
	t.Run("check", func(t *testing.T) {
		out := r.must("/usr/libexec/heartbeat/heartbeat check -node node1")
		// The md5 pitfall: stock's md5sums list is gone with the package,
		// its conffiles (the wrappers) stay; the unmodified ones still
		// choose the native agent.
		for _, want := range []string{
			"IPaddr::192.0.2.10/24/eth0: native: /etc/ha.d/resource.d/IPaddr is the unmodified heartbeat",
			"Filesystem::/dev/drbd0::/data::ext4: native: /etc/ha.d/resource.d/Filesystem is the unmodified heartbeat",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("heartbeat check does not say %q:\n%s", want, out)
			}
		}
		// An admin's edited wrapper still wins.
		p := root + "/etc/ha.d/resource.d/IPaddr"
		orig := readFile(t, p)
		st, _ := os.Stat(p)
		writeFile(t, p, orig+"# site change\n", st.Mode().Perm())
		out = r.must("/usr/libexec/heartbeat/heartbeat check -node node1")
		if !strings.Contains(out, "IPaddr::192.0.2.10/24/eth0: script: /etc/ha.d/resource.d/IPaddr differs from the packaged one") {
			t.Errorf("an edited IPaddr wrapper is not run as the script:\n%s", out)
		}
		writeFile(t, p, orig, st.Mode().Perm())
	})
	t.Run("commands", func(t *testing.T) {
		for _, c := range []struct{ cmd, want string }{
			{"cl_status -h", "Usage: cl_status <sub-command>"},
			{"/usr/share/heartbeat/hb_standby --help", "[all|foreign|local|failback]"},
			{"/usr/share/heartbeat/hb_takeover --help", "[all|foreign|local|failback]"},
			{"/usr/share/heartbeat/ResourceManager", "usage"},
			{"/usr/lib/heartbeat/hb_standby --help", "[all|foreign|local|failback]"},
			{"/usr/libexec/heartbeat/heartbeat -V", "3.0.6 (node: hbgo) hbgo "},
		} {
			out, _ := r.run(c.cmd)
			if !strings.Contains(strings.ToLower(out), strings.ToLower(c.want)) {
				t.Errorf("%s: no %q in:\n%s", c.cmd, c.want, out)
			}
		}
		// The package's version is hbgo's, as -V reports it.
		v := strings.TrimSpace(r.must("dpkg-query -W -f '${Version}' hbgo"))
		if out := r.must("/usr/libexec/heartbeat/heartbeat -V"); !strings.HasPrefix(out, "3.0.6 (node: hbgo) hbgo "+v+" (commit ") {
			t.Errorf("heartbeat -V = %q, want the package's version %s", out, v)
		}
		// cl_status: setgid haclient, as stock's (which is mode 2555).
		if out := r.must("stat -c '%a %U:%G' /usr/bin/cl_status"); strings.TrimSpace(out) != "2755 root:haclient" {
			t.Errorf("/usr/bin/cl_status: %s, want 2755 root:haclient", out)
		}
		if out := r.must("getent passwd hacluster"); !strings.Contains(out, "hacluster:") {
			t.Errorf("no user hacluster: %q", out)
		}
	})
	t.Run("man", func(t *testing.T) {
		for _, page := range []string{"heartbeat", "cl_status", "hb_standby", "hb_takeover", "hbgo.cf"} {
			out := r.must("MANWIDTH=80 man -P cat " + page + " 2>&1")
			if !strings.Contains(out, "NAME") || !strings.Contains(out, "hbgo") {
				t.Errorf("man %s:\n%s", page, out)
			}
		}
	})
	t.Run("dpkg-L", func(t *testing.T) {
		// Everything files.list names, and nothing else but the
		// directories above them: make install's list is the package's.
		var want []string
		for _, e := range list {
			want = append(want, e.path)
		}
		sort.Strings(want)
		var got []string
		for _, p := range strings.Fields(r.must("dpkg -L hbgo")) {
			if p == "/." || r.isDir(p) && !listed(list, p) {
				continue
			}
			got = append(got, p)
		}
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("dpkg -L hbgo (files and listed dirs):\n%s\nwant (dist/files.list):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("upgrade", func(t *testing.T) {
		// hbgo over hbgo: preinst upgrade, postinst configure with the old
		// version (no daemon runs here, so nothing to restart).
		out := r.must("apt-get install -y --reinstall ./tmp/" + filepath.Base(deb))
		if got := r.status("hbgo"); got != "install ok installed" {
			t.Errorf("hbgo after reinstall: %q\n%s", got, out)
		}
		if st := r.must("stat -c '%a %U:%G' /usr/bin/cl_status"); strings.TrimSpace(st) != "2755 root:haclient" {
			t.Errorf("/usr/bin/cl_status after reinstall: %s", st)
		}
	})

	// And back: removing hbgo and installing heartbeat brings stock back,
	// the admin's files untouched.
	start = time.Now()
	r.must("apt-get remove -y hbgo")
	// Without Recommends: the root has only what stock needs (the cached
	// .debs), so this needs no download.
	r.must("apt-get install -y --no-install-recommends heartbeat")
	t.Logf("apt-get remove hbgo && apt-get install heartbeat: %v", time.Since(start).Round(time.Millisecond))
	t.Run("back-to-stock", func(t *testing.T) {
		if got := r.status("heartbeat"); got != "install ok installed" {
			t.Errorf("stock heartbeat: %q", got)
		}
		if got := r.status("hbgo"); got != "deinstall ok config-files" && got != "" {
			t.Errorf("hbgo after removal: %q", got)
		}
		if d := diffSums(before, sums(t, root, configFiles)); d != "" {
			t.Errorf("going back changed the admin's files:\n%s", d)
		}
		// Every file of stock's is its own again, conffiles included (hbgo's
		// init script, logrotate and logcheck files, left by the removal,
		// were stock's conffiles that dpkg hands back).
		if out, err := r.run("dpkg --verify heartbeat"); err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("dpkg --verify heartbeat: %v\n%s", err, out)
		}
		if out := r.must("stat -c '%a %U:%G %s' /usr/bin/cl_status"); !strings.HasPrefix(out, "2555 root:haclient") {
			t.Errorf("stock's /usr/bin/cl_status: %s", out)
		}
		out := r.must("/usr/libexec/heartbeat/heartbeat -V 2>&1 || true")
		if strings.Contains(out, "hbgo") {
			t.Errorf("heartbeat -V after going back: %s", out)
		}
	})
}

// listEntry is one line of dist/files.list.
type listEntry struct{ kind, mode, from, path string }

func readList(t *testing.T) []listEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(repo(t), "dist", "files.list"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var l []listEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if len(fs) != 4 {
			t.Fatalf("dist/files.list: bad line %q", sc.Text())
		}
		l = append(l, listEntry{fs[0], fs[1], fs[2], fs[3]})
	}
	return l
}

func listed(l []listEntry, p string) bool {
	for _, e := range l {
		if e.path == p {
			return true
		}
	}
	return false
}

// chrootRunner runs shell commands in the root.
type chrootRunner struct {
	t    *testing.T
	root string
}

func (r chrootRunner) run(script string) (string, error) {
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "--mount-proc="+r.root+"/proc",
		"chroot", r.root, "/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8", "HOME=/root"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r chrootRunner) must(script string) string {
	r.t.Helper()
	out, err := r.run(script)
	if err != nil {
		r.t.Fatalf("in the root: %s: %v\n%s", script, err, out)
	}
	return out
}

func (r chrootRunner) status(pkg string) string {
	out, _ := r.run("dpkg-query -W -f '${Status}' " + pkg + " 2>/dev/null")
	return strings.TrimSpace(out)
}

// isDir follows symlinks: /lib is one to usr/lib in Debian 12's root.
func (r chrootRunner) isDir(p string) bool {
	st, err := os.Stat(r.root + p)
	return err == nil && st.IsDir()
}

// stockRoot extracts the cached Debian 12 root with stock heartbeat
// installed (building the cache first when it is missing) into a fresh
// directory that the test removes at its end.
func stockRoot(t *testing.T) string {
	t.Helper()
	tarball := cachedRoot(t)
	removeStaleRoots(t)
	root, err := os.MkdirTemp("/var/tmp", fmt.Sprintf("hbgo-pkgtest-%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(root); err != nil {
			t.Errorf("removing the root: %v", err)
		}
	})
	start := time.Now()
	if out, err := exec.Command("tar", "-C", root, "-xf", tarball).CombinedOutput(); err != nil {
		t.Fatalf("extracting %s: %v\n%s", tarball, err, out)
	}
	t.Logf("root extracted from %s in %v", tarball, time.Since(start).Round(time.Millisecond))
	return root
}

// removeStaleRoots removes the roots of earlier runs that were killed
// before their cleanup (their test binary's PID is gone). Nothing is ever
// mounted in a root (commands run in their own mount namespace), so removing
// one touches only its files.
func removeStaleRoots(t *testing.T) {
	t.Helper()
	old, _ := filepath.Glob("/var/tmp/hbgo-pkgtest-*-*")
	for _, d := range old {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "hbgo-pkgtest-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue
		}
		t.Logf("removing %s, left by a run that was killed", d)
		os.RemoveAll(d)
	}
}

// hostSources are the host's apt sources files: the mirror this machine's
// apt is configured with, handed to mmdebstrap as they are.
func hostSources(t *testing.T) []string {
	t.Helper()
	var files []string
	if b, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				files = append(files, "/etc/apt/sources.list")
				break
			}
		}
	}
	for _, pat := range []string{"/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no apt sources on this host (/etc/apt/sources.list, sources.list.d)")
	}
	return files
}

// cachedRoot returns the tarball of the root, made by mmdebstrap when it is
// not cached yet. Its name carries a hash of everything that went into it.
func cachedRoot(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HBGO_TEST_CACHE")
	if dir == "" {
		dir = "/var/cache/hbgo-test"
	}
	sources := hostSources(t)
	h := sha256.New()
	fmt.Fprintf(h, "bookworm %s\n", strings.Join(rootPackages, ","))
	for _, s := range sources {
		fmt.Fprintf(h, "%s\n%s\n", s, readFile(t, s))
	}
	tarball := filepath.Join(dir, "bookworm-heartbeat-"+hex.EncodeToString(h.Sum(nil))[:12]+".tar")
	if _, err := os.Stat(tarball); err == nil {
		return tarball
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := strings.TrimSuffix(tarball, ".tar") + ".new.tar"
	defer os.RemoveAll(tmp)
	args := []string{"--variant=apt", "--format=tar", "--include=" + strings.Join(rootPackages, ","),
		// Stock's postinst starts heartbeat: a policy-rc.d blocks service
		// starts before any package is configured.
		`--essential-hook=printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"`,
		// Keep the package lists and stock's .debs: going back to stock
		// then needs no download.
		"--skip=cleanup/apt/lists", "--skip=cleanup/apt/cache",
		"bookworm", tmp}
	args = append(args, sources...)
	start := time.Now()
	out, err := exec.Command("mmdebstrap", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mmdebstrap %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := os.Rename(tmp, tarball); err != nil {
		t.Fatal(err)
	}
	t.Logf("built the root with mmdebstrap in %v: %s", time.Since(start).Round(time.Second), tarball)
	return tarball
}

// sums hashes each file under root ("missing" when absent).
func sums(t *testing.T, root string, files []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(root + f)
		if err != nil {
			m[f] = "missing"
			continue
		}
		s := sha256.Sum256(b)
		m[f] = hex.EncodeToString(s[:])
	}
	return m
}

func diffSums(a, b map[string]string) string {
	var d []string
	for f, s := range a {
		if b[f] != s {
			d = append(d, fmt.Sprintf("%s: %s -> %s", f, s, b[f]))
		}
	}
	sort.Strings(d)
	return strings.Join(d, "\n")
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
