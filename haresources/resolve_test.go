package haresources

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const packagedIPaddr = "#!/bin/sh\n# packaged IPaddr wrapper\n"

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// resolverFixture lays out a fake /etc/ha.d, /etc/init.d and dpkg database.
func resolverFixture(t *testing.T) (*Resolver, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "etc/ha.d")
	initDir := filepath.Join(root, "etc/init.d")
	info := filepath.Join(root, "var/lib/dpkg/info")
	for _, d := range []string{filepath.Join(dir, "resource.d"), initDir, info} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, content string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	rd := filepath.Join(dir, "resource.d")
	write(filepath.Join(rd, "IPaddr"), packagedIPaddr, 0o755)
	write(filepath.Join(rd, "IPaddr2"), "#!/bin/sh\n# patched by the admin\n", 0o755)
	write(filepath.Join(rd, "Filesystem"), "#!/bin/sh\n", 0o644) // not executable: skipped, as stock does
	write(filepath.Join(rd, "drbddisk"), "#!/bin/sh\n# drbd-utils\n", 0o755)
	write(filepath.Join(rd, "SendArp"), "#!/bin/sh\n# own copy\n", 0o755)
	write(filepath.Join(rd, "mysql"), "#!/bin/sh\n", 0o755)
	write(filepath.Join(initDir, "apache2"), "#!/bin/sh\n", 0o755)
	write(filepath.Join(initDir, "mysql"), "#!/bin/sh\n", 0o755)
	write(filepath.Join(initDir, "noexec"), "#!/bin/sh\n", 0o644)
	if err := os.Mkdir(filepath.Join(rd, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	status := strings.Join([]string{
		"Package: heartbeat",
		"Status: install ok installed",
		"Version: 1:3.0.6-13+b2",
		"Conffiles:",
		" " + filepath.Join(rd, "IPaddr") + " " + md5hex(packagedIPaddr),
		" " + filepath.Join(rd, "IPaddr2") + " " + md5hex("#!/bin/sh\n# packaged IPaddr2\n"),
		" " + filepath.Join(rd, "Delay") + " 0123456789abcdef0123456789abcdef obsolete",
		"Description: x",
		" continuation Conffiles: not a conffile",
		"",
		"Package: drbd-utils",
		"Status: install ok installed",
		"Version: 9.22.0-1",
		"",
	}, "\n")
	write(filepath.Join(root, "var/lib/dpkg/status"), status, 0o644)
	write(filepath.Join(info, "drbd-utils:amd64.md5sums"),
		md5hex("#!/bin/sh\n# drbd-utils\n")+"  "+strings.TrimPrefix(filepath.Join(rd, "drbddisk"), "/")+"\n", 0o644)
	return &Resolver{
		Dir: dir, InitDir: initDir, DpkgInfoDir: info, DpkgStatus: filepath.Join(root, "var/lib/dpkg/status"),
		Native: map[string]bool{"IPaddr": true, "IPaddr2": true, "SendArp": true, "Filesystem": true, "drbddisk": true, "Delay": true},
	}, root
}

func TestResolve(t *testing.T) {
	r, root := resolverFixture(t)
	rd := filepath.Join(root, "etc/ha.d/resource.d")
	initDir := filepath.Join(root, "etc/init.d")
	tests := []struct {
		name  string
		res   string
		force map[string]Force
		want  Resolution
	}{
		{"packaged md5 (conffile) ⇒ native", "10.0.0.5", nil,
			Resolution{Native, rd + "/IPaddr", "native: " + rd + "/IPaddr is the unmodified heartbeat 1:3.0.6-13+b2 script"}},
		{"packaged md5 (md5sums, multi-arch name) ⇒ native", "drbddisk::r0", nil,
			Resolution{Native, rd + "/drbddisk", "native: " + rd + "/drbddisk is the unmodified drbd-utils 9.22.0-1 script"}},
		{"edited script ⇒ script", "IPaddr2::10.0.0.6/24", nil,
			Resolution{Script, rd + "/IPaddr2", "script: " + rd + "/IPaddr2 differs from the packaged one (md5 " + md5hex("#!/bin/sh\n# patched by the admin\n") + ", heartbeat 1:3.0.6-13+b2 ships " + md5hex("#!/bin/sh\n# packaged IPaddr2\n") + ")"}},
		{"unpackaged script ⇒ script", "SendArp::10.0.0.5/eth0", nil,
			Resolution{Script, rd + "/SendArp", "script: " + rd + "/SendArp is not from an installed package, so it is taken as the admin's own"}},
		{"absent script ⇒ native", "Delay::1::2", nil,
			Resolution{Native, rd + "/Delay", "native: no script for Delay (no executable " + rd + "/Delay or " + initDir + "/Delay)"}},
		{"non-executable script skipped ⇒ native", "Filesystem::/dev/sdb1::/srv", nil,
			Resolution{Native, rd + "/Filesystem", "native: no script for Filesystem (no executable " + rd + "/Filesystem or " + initDir + "/Filesystem)"}},
		{"forced native over an edited script", "IPaddr2::10.0.0.6/24", map[string]Force{"IPaddr2": {Native, "/etc/ha.d/hbgo.cf:3"}},
			Resolution{Native, rd + "/IPaddr2", "native: forced by /etc/ha.d/hbgo.cf:3"}},
		{"forced script over the packaged one", "10.0.0.5", map[string]Force{"IPaddr": {Script, "/etc/ha.d/hbgo.cf:4"}},
			Resolution{Script, rd + "/IPaddr", "script: " + rd + "/IPaddr, forced by /etc/ha.d/hbgo.cf:4"}},
		{"forced script but none exists", "Delay", map[string]Force{"Delay": {Script, "/etc/ha.d/hbgo.cf:5"}},
			Resolution{Missing, "", "missing: Cannot locate resource script Delay (forced to the script by /etc/ha.d/hbgo.cf:5, but no executable " + rd + "/Delay or " + initDir + "/Delay)"}},
		{"forced native without a native agent", "mysql", map[string]Force{"mysql": {Native, "/etc/ha.d/hbgo.cf:6"}},
			Resolution{Script, rd + "/mysql", "script: " + rd + "/mysql (no native agent for mysql; /etc/ha.d/hbgo.cf:6 forces native, but hbgo has no native mysql)"}},
		{"resource.d wins over init.d", "mysql", nil,
			Resolution{Script, rd + "/mysql", "script: " + rd + "/mysql (no native agent for mysql)"}},
		{"init.d fallback", "apache2", nil,
			Resolution{Script, initDir + "/apache2", "script: " + initDir + "/apache2 (no native agent for apache2)"}},
		{"non-executable init script ⇒ missing", "noexec", nil,
			Resolution{Missing, "", "missing: Cannot locate resource script noexec (no executable " + rd + "/noexec or " + initDir + "/noexec)"}},
		{"directory is not a script", "adir", nil,
			Resolution{Missing, "", "missing: Cannot locate resource script adir (no executable " + rd + "/adir or " + initDir + "/adir)"}},
		{"missing", "nosuch::x", nil,
			Resolution{Missing, "", "missing: Cannot locate resource script nosuch (no executable " + rd + "/nosuch or " + initDir + "/nosuch)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseResource(tc.res)
			if err != nil {
				t.Fatal(err)
			}
			r.Force = tc.force
			if diff := cmp.Diff(tc.want, r.Resolve(res)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveNoDpkg(t *testing.T) {
	r, _ := resolverFixture(t)
	r.DpkgStatus, r.DpkgInfoDir = "/nonexistent/status", ""
	res, _ := ParseResource("10.0.0.5")
	if got := r.Resolve(res); got.Kind != Script {
		t.Errorf("without dpkg records a present script must win, got %+v", got)
	}
}

// TestResolveHost checks this machine's installed heartbeat, when present:
// its packaged IPaddr wrapper must be recognised as unmodified.
func TestResolveHost(t *testing.T) {
	const p = "/etc/ha.d/resource.d/IPaddr"
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		t.Skip("no dpkg database")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skip("heartbeat's resource.d is not installed")
	}
	r := &Resolver{Dir: "/etc/ha.d", InitDir: "/etc/init.d", DpkgInfoDir: "/var/lib/dpkg/info", DpkgStatus: "/var/lib/dpkg/status", Native: map[string]bool{"IPaddr": true}}
	res, _ := ParseResource("10.0.0.5")
	got := r.Resolve(res)
	t.Log(got.Why)
	if got.Kind != Native && !strings.Contains(got.Why, "differs") {
		t.Errorf("host IPaddr: %+v", got)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Native: "native", Script: "script", Missing: "missing", 0: "Kind(0)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", int(k), k.String())
		}
	}
}

// TestResolveStockWrapperWithoutDpkgRecord: after hbgo's package replaced
// heartbeat, the wrappers (conffiles) stay while dpkg may have no record of
// them. A byte-identical copy of stock's wrapper still picks the native
// agent; an edited one is still the admin's script. Uses this host's stock
// IPaddr wrapper when heartbeat is installed.
func TestResolveStockWrapperWithoutDpkgRecord(t *testing.T) {
	stock, err := os.ReadFile("/etc/ha.d/resource.d/IPaddr")
	if err != nil || md5hex(string(stock)) != stockWrappers["IPaddr"] {
		t.Skip("no unmodified stock IPaddr wrapper on this host")
	}
	dir := t.TempDir()
	rd := filepath.Join(dir, "resource.d")
	if err := os.MkdirAll(rd, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Dir: dir, InitDir: filepath.Join(dir, "init.d"), DpkgStatus: "/nonexistent/status",
		Native: map[string]bool{"IPaddr": true}}
	res, _ := ParseResource("10.0.0.5")
	if err := os.WriteFile(filepath.Join(rd, "IPaddr"), stock, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := r.Resolve(res); got.Kind != Native || !strings.Contains(got.Why, "unmodified heartbeat 3.0.6 script (no dpkg record") {
		t.Errorf("stock wrapper without a dpkg record: %+v", got)
	}
	r = &Resolver{Dir: dir, InitDir: r.InitDir, DpkgStatus: r.DpkgStatus, Native: r.Native}
	if err := os.WriteFile(filepath.Join(rd, "IPaddr"), append(stock, "# site change\n"...), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := r.Resolve(res); got.Kind != Script {
		t.Errorf("edited wrapper without a dpkg record: %+v, want the script", got)
	}
}
