package install

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// replaced are the paths Debian's heartbeat package owns that install
// replaces, and where dpkg-divert must put stock's file: .dpkg-dist under
// /etc (skipped by logrotate, run-parts and systemd's sysv generator),
// dpkg-divert's own .distrib elsewhere.
var replaced = map[string]string{
	"/usr/libexec/heartbeat/heartbeat":      "/usr/libexec/heartbeat/heartbeat.distrib",
	"/usr/share/heartbeat/hb_standby":       "/usr/share/heartbeat/hb_standby.distrib",
	"/usr/share/heartbeat/hb_takeover":      "/usr/share/heartbeat/hb_takeover.distrib",
	"/usr/share/heartbeat/ResourceManager":  "/usr/share/heartbeat/ResourceManager.distrib",
	"/usr/bin/cl_status":                    "/usr/bin/cl_status.distrib",
	"/etc/init.d/heartbeat":                 "/etc/init.d/heartbeat.dpkg-dist",
	"/lib/systemd/system/heartbeat.service": "/lib/systemd/system/heartbeat.service.distrib",
	"/etc/logrotate.d/heartbeat":            "/etc/logrotate.d/heartbeat.dpkg-dist",
	"/usr/lib/tmpfiles.d/heartbeat.conf":    "/usr/lib/tmpfiles.d/heartbeat.conf.distrib",
	// logcheck skips names with a dot, as run-parts does.
	"/etc/logcheck/ignore.d.server/heartbeat": "/etc/logcheck/ignore.d.server/heartbeat.dpkg-dist",
	"/usr/share/man/man1/cl_status.1.gz":      "/usr/share/man/man1/cl_status.1.gz.distrib",
	"/usr/share/man/man1/hb_standby.1.gz":     "/usr/share/man/man1/hb_standby.1.gz.distrib",
	"/usr/share/man/man1/hb_takeover.1.gz":    "/usr/share/man/man1/hb_takeover.1.gz.distrib",
	"/usr/share/man/man8/heartbeat.8.gz":      "/usr/share/man/man8/heartbeat.8.gz.distrib",
}

// fakeStockHost makes a DESTDIR that looks like a host with Debian's
// heartbeat installed: its own dpkg database (testdata/dpkg) and a stand-in
// for each package file install replaces.
func fakeStockHost(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"dpkg-divert", "dpkg-query"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: cannot test dpkg diversions", tool)
		}
	}
	d := t.TempDir()
	admin := d + "/var/lib/dpkg"
	writeFile(t, admin+"/status", readFile(t, "testdata/dpkg/status"), 0o644)
	writeFile(t, admin+"/info/heartbeat.list", readFile(t, "testdata/dpkg/heartbeat.list"), 0o644)
	writeFile(t, admin+"/diversions", "", 0o644)
	if err := os.MkdirAll(admin+"/updates", 0o755); err != nil {
		t.Fatal(err)
	}
	for p := range replaced {
		writeFile(t, d+p, "stock "+p+"\n", 0o755)
	}
	// A package directory that install adds symlinks to.
	writeFile(t, d+"/usr/lib/heartbeat/plugins/HBcomm/bcast.so", "stock plugin\n", 0o644)
	return d
}

func diversions(t *testing.T, d string) []string {
	t.Helper()
	out, err := exec.Command("dpkg-divert", "--root="+d, "--list").CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-divert --list: %v\n%s", err, out)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			got = append(got, l)
		}
	}
	return slicesSorted(got)
}

func TestDivertStockAndRestore(t *testing.T) {
	hostDiv, _ := os.ReadFile("/var/lib/dpkg/diversions")
	d := fakeStockHost(t)
	bin := standInBin(t)
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+bin, "DIVERT=yes")

	var want []string
	for p, aside := range replaced {
		want = append(want, "local diversion of "+p+" to "+aside)
	}
	if diff := cmp.Diff(slicesSorted(want), diversions(t, d)); diff != "" {
		t.Errorf("diversions after install (-want +got):\n%s", diff)
	}
	for p, aside := range replaced {
		if got := readFile(t, d+aside); got != "stock "+p+"\n" {
			t.Errorf("%s = %q, want stock's %s moved there", aside, got, p)
		}
		if strings.HasPrefix(readFile(t, d+p), "stock") {
			t.Errorf("%s is still stock's", p)
		}
	}
	// Reinstall: diversions stay as they are, stock's files stay aside.
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+bin, "DIVERT=yes")
	if diff := cmp.Diff(slicesSorted(want), diversions(t, d)); diff != "" {
		t.Errorf("diversions after reinstall (-want +got):\n%s", diff)
	}

	mustInstall(t, "uninstall", "DESTDIR="+d, "DIVERT=yes")
	if got := diversions(t, d); len(got) != 0 {
		t.Errorf("diversions left after uninstall: %q", got)
	}
	for p, aside := range replaced {
		if got := readFile(t, d+p); got != "stock "+p+"\n" {
			t.Errorf("after uninstall %s = %q, want stock's back", p, got)
		}
		if _, err := os.Lstat(d + aside); err == nil {
			t.Errorf("%s left behind", aside)
		}
	}
	if got := readFile(t, d+"/usr/lib/heartbeat/plugins/HBcomm/bcast.so"); got != "stock plugin\n" {
		t.Errorf("uninstall touched a package file it never replaced: %q", got)
	}
	if after, _ := os.ReadFile("/var/lib/dpkg/diversions"); !bytes.Equal(hostDiv, after) {
		t.Error("the host's dpkg diversions changed")
	}
}

// A DESTDIR install makes no diversion unless asked: DIVERT=auto means the
// host's own / only.
func TestDestdirDoesNotDivertByDefault(t *testing.T) {
	d := fakeStockHost(t)
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+standInBin(t))
	if got := diversions(t, d); len(got) != 0 {
		t.Errorf("DESTDIR install diverted: %q", got)
	}
	// stock's files were not package-owned as far as install knew: kept aside
	if got := readFile(t, d+"/usr/bin/cl_status.hbgo-saved"); !strings.HasPrefix(got, "stock") {
		t.Errorf("cl_status.hbgo-saved = %q", got)
	}
}

// dpkg tools substituted by a recorder show the exact calls install makes:
// --local --rename with our divert name, and only for package-owned paths.
func TestDivertCalls(t *testing.T) {
	d := t.TempDir()
	log := filepath.Join(d, "calls")
	fake := t.TempDir()
	writeFile(t, fake+"/dpkg-divert", "#!/bin/sh\necho \"dpkg-divert $*\" >>"+log+"\n", 0o755)
	// Pretends the package owns cl_status and the init script only.
	writeFile(t, fake+"/dpkg-query", `#!/bin/sh
case "$*" in
*" -S /usr/bin/cl_status") echo "local diversion from: /usr/bin/cl_status"; echo "heartbeat: /usr/bin/cl_status" ;;
*" -S /etc/init.d/heartbeat") echo "heartbeat, other: /etc/init.d/heartbeat" ;;
*" -S /usr/bin/other") echo "diversion by x from: /usr/bin/other" ;;
*) echo "dpkg-query: no path found matching pattern" >&2; exit 1 ;;
esac
`, 0o755)
	root := filepath.Join(d, "root")
	mustInstall(t, "install", "DESTDIR="+root, "BIN="+standInBin(t), "DIVERT=yes",
		"DPKG_DIVERT="+fake+"/dpkg-divert", "DPKG_QUERY="+fake+"/dpkg-query")
	mustInstall(t, "uninstall", "DESTDIR="+root, "DIVERT=yes",
		"DPKG_DIVERT="+fake+"/dpkg-divert", "DPKG_QUERY="+fake+"/dpkg-query")
	want := []string{
		"dpkg-divert --root=" + root + " --local --rename --divert /usr/bin/cl_status.distrib --add /usr/bin/cl_status",
		"dpkg-divert --root=" + root + " --local --rename --divert /etc/init.d/heartbeat.dpkg-dist --add /etc/init.d/heartbeat",
		"dpkg-divert --root=" + root + " --local --rename --divert /usr/bin/cl_status.distrib --remove /usr/bin/cl_status",
		"dpkg-divert --root=" + root + " --local --rename --divert /etc/init.d/heartbeat.dpkg-dist --remove /etc/init.d/heartbeat",
	}
	got := strings.Split(strings.TrimSpace(readFile(t, log)), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dpkg-divert calls (-want +got):\n%s", diff)
	}
}

func TestBadDivertValue(t *testing.T) {
	out, err := installSh(t, "install", "DESTDIR="+t.TempDir(), "BIN="+standInBin(t), "DIVERT=maybe")
	if err == nil || !strings.Contains(out, "DIVERT must be auto, yes or no") {
		t.Errorf("DIVERT=maybe: err %v, output %q", err, out)
	}
}
