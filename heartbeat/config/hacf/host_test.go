package hacf

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/diag"
)

// fakeHost is a Host made of fixed answers.
type fakeHost struct {
	ifaces   map[string]bool
	chardevs map[string]bool // path → is a char device
	execs    map[string]bool
	users    map[string]bool
	groups   map[string]bool
	services map[int]string
}

func (h fakeHost) InterfaceExists(n string) bool { return h.ifaces[n] }
func (h fakeHost) CharDevice(p string) (bool, bool) {
	c, ok := h.chardevs[p]
	return ok, c
}
func (h fakeHost) Executable(p string) bool  { return h.execs[p] }
func (h fakeHost) UserExists(n string) bool  { return h.users[n] }
func (h fakeHost) GroupExists(n string) bool { return h.groups[n] }
func (h fakeHost) ServiceByPort(p int) (string, bool) {
	n, ok := h.services[p]
	return n, ok
}
func (h fakeHost) ServicePort(n string) (int, bool) {
	for p, s := range h.services {
		if s == n {
			return p, true
		}
	}
	return 0, false
}

func TestCheckHost(t *testing.T) {
	in := "logfile /x\nudpport 2049\nbcast eth9\nserial /dev/ttyS0 /dev/null\nrespawn nobody2 /usr/lib/heartbeat/ipfail\napiauth ipfail uid=hacluster gid=nogroup\nnode a\nauto_failback on\n"
	c, ps := parseString(t, in)
	if ps.HasErrors() {
		t.Fatal(ps.Err())
	}
	h := fakeHost{
		ifaces:   map[string]bool{"eth0": true},
		chardevs: map[string]bool{"/dev/null": false},
		users:    map[string]bool{"hacluster": true},
		groups:   map[string]bool{},
		services: map[int]string{2049: "nfs"},
	}
	var got []string
	for _, p := range c.CheckHost(h, true) {
		got = append(got, p.Error()+" | "+p.Stock)
	}
	want := []string{
		"ha.cf:3: error: bcast interface eth9 does not exist on this host; name an interface from `ip link` (interface names differ between hosts; check this node's) | glib: IP interface [eth9] does not exist",
		"ha.cf:4: error: serial device /dev/ttyS0 does not exist; name the serial device that exists on this host, e.g. /dev/ttyS0 | glib: Nonexistent serial port [/dev/ttyS0] in config file",
		"ha.cf:4: error: serial device /dev/null is not a character device; name a character device, e.g. /dev/ttyS0 | glib: Serial port [/dev/null] not a char device in config file",
		"ha.cf:5: error: respawn user nobody2 does not exist; name an existing user (usually hacluster) | Invalid uid [nobody2] specified for client child",
		"ha.cf:5: error: respawn command /usr/lib/heartbeat/ipfail is not executable; install the program or fix its path | Client child command [/usr/lib/heartbeat/ipfail] is not executable",
		"ha.cf:6: error: apiauth ipfail: group nogroup does not exist; name an existing group | Invalid apiauth directive [ipfail uid=hacluster gid=nogroup]",
		"ha.cf:2: warning: udpport 2049 is registered to service nfs in /etc/services; use 694 (ha-cluster) or a port no other service uses | heartbeat: udp port 2049 reserved for service \"nfs\".",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, p := range c.CheckHost(h, false) {
		if p.Severity != diag.Warning {
			t.Errorf("strict=false gave %v", p)
		}
	}
}

func TestOSHost(t *testing.T) {
	h := OSHost{}
	if !h.InterfaceExists("lo") || h.InterfaceExists("no-such-if0") {
		t.Error("InterfaceExists")
	}
	if e, c := h.CharDevice("/dev/null"); !e || !c {
		t.Error("/dev/null is a char device")
	}
	if !h.Executable("/bin/sh") || h.Executable("/etc/passwd") {
		t.Error("Executable")
	}
	if !h.UserExists("root") || !h.GroupExists("root") {
		t.Error("root user/group")
	}
	svc := parseServices(strings.NewReader("ha-cluster\t694/udp\t# HA\nnfs 2049/tcp\nnfs 2049/udp nfsd\n"))
	if d := cmp.Diff([]service{{name: "ha-cluster", port: 694, aliases: []string{}}, {name: "nfs", port: 2049, aliases: []string{"nfsd"}}}, svc, cmp.AllowUnexported(service{})); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// v4Host is a fakeHost that also answers InterfaceHasIPv4.
type v4Host struct {
	fakeHost
	v4 map[string]bool
}

func (h v4Host) InterfaceHasIPv4(n string) bool { return h.v4[n] }

// TestCheckHostBcastNoIPv4 refuses bcast on an interface without an IPv4
// address, as stock does while parsing (testdata/stock/bcast-no-ipv4.txt).
func TestCheckHostBcastNoIPv4(t *testing.T) {
	stockLog := stockOutput(t, "testdata/stock/bcast-no-ipv4.txt")
	c, ps := parseString(t, "bcast dummy0\nbcast eth0\nucast dummy0 10.0.0.2\nnode a\nauto_failback on\n")
	if ps.HasErrors() {
		t.Fatal(ps.Err())
	}
	h := v4Host{fakeHost{ifaces: map[string]bool{"dummy0": true, "eth0": true}}, map[string]bool{"eth0": true}}
	got := c.CheckHost(h, true)
	want := diag.Problems{{File: "ha.cf", Line: 1, Severity: diag.Error, What: "bcast interface dummy0 has no IPv4 address",
		Hint:  "give dummy0 an IPv4 address (bcast sends to its broadcast address), or use ucast or mcast",
		Stock: "glib: Get broadcast for interface dummy0 failed: Cannot assign requested address"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if !strings.Contains(stockLog, "ERROR: "+want[0].Stock+"\n") || !strings.Contains(stockLog, "Configuration error, heartbeat not started.") {
		t.Errorf("the recording does not show stock refusing with %q:\n%s", want[0].Stock, stockLog)
	}
	// A Host without InterfaceHasIPv4 is not asked.
	if ps := c.CheckHost(h.fakeHost, true); len(ps) != 0 {
		t.Errorf("plain Host: %v", ps)
	}
}

func TestHintLogOpen(t *testing.T) {
	c := &Config{Logfile: "/var/log/ha/ha-log", Debugfile: "/var/log/hadbg/ha-debug"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/var/log/ha/ha-log", Err: fs.ErrNotExist}, HintLogDir("logfile", "/var/log/ha")},
		{fmt.Errorf("hblog: open log file: %w", &fs.PathError{Op: "open", Path: "/var/log/hadbg/ha-debug", Err: syscall.ENOENT}),
			"create /var/log/hadbg, or write debugfile with a path in an existing directory (/var/log/ha-log is stock's)"},
		{&fs.PathError{Op: "open", Path: "/var/log/ha/ha-log", Err: fs.ErrPermission},
			"check the logfile and debugfile lines of ha.cf and that heartbeat may write there (run `heartbeat check`)"},
	} {
		if got := c.HintLogOpen(tc.err); got != tc.want {
			t.Errorf("HintLogOpen(%v)\n got %s\nwant %s", tc.err, got, tc.want)
		}
	}
}

// stonithHost is a fakeHost that lists STONITH types, or cannot.
type stonithHost struct {
	fakeHost
	types map[string]bool
	err   error
}

func (h stonithHost) StonithTypes() (map[string]bool, error) { return h.types, h.err }

func TestCheckHostStonith(t *testing.T) {
	in := "bcast eth0\nauto_failback on\nnode a\nnode b\nstonith null /etc/ha.d/null.cf\nstonith_host * nosuch x\nstonith_host b nosuch2 x\nstonith_host * external/ssh a b\n"
	c, ps := parseString(t, in)
	if ps.HasErrors() {
		t.Fatal(ps.Err())
	}
	base := fakeHost{ifaces: map[string]bool{"eth0": true}, users: map[string]bool{}}
	texts := func(ps diag.Problems) []string {
		var got []string
		for _, p := range ps {
			got = append(got, p.Error())
		}
		return got
	}
	got := texts(c.CheckHost(stonithHost{fakeHost: base, types: map[string]bool{"null": true, "external/ssh": true, "meatware": true}}, true))
	want := []string{
		"ha.cf:6: error: stonith_host device type nosuch is not known to stonith(8); name a type that `stonith -L` lists (e.g. external/ssh, meatware, null)",
		"ha.cf:7: warning: stonith_host device type nosuch2 is not known to stonith(8); name a type that `stonith -L` lists (e.g. external/ssh, meatware, null)",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("known types (-want +got):\n%s", d)
	}
	got = texts(c.CheckHost(stonithHost{fakeHost: base, err: fmt.Errorf("exec: not found")}, true))
	if len(got) != 4 || !strings.Contains(got[0], "ha.cf:5: error: stonith null: stonith(8) cannot be run on this host") || !strings.HasSuffix(got[0], HintNoStonith) {
		t.Errorf("no stonith(8): %q", got)
	}
	if got := texts(c.CheckHost(base, true)); len(got) != 0 {
		t.Errorf("a Host without StonithTypes is not asked: %q", got)
	}
}

func TestOSHostStonithTypes(t *testing.T) {
	if !(OSHost{}).Executable(StonithCommand) {
		t.Skip(StonithCommand + " is not installed (cluster-glue)")
	}
	types, err := OSHost{}.StonithTypes()
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range []string{"null", "ssh", "external/ipmi", "meatware"} {
		if !types[ty] {
			t.Errorf("stonith -L lacks %q: %v", ty, types)
		}
	}
	for ty := range types {
		if ty == "WARNING" || ty == "**" {
			t.Errorf("stonith -L warning read as type %q", ty)
		}
	}
}

func TestParseStonithTypes(t *testing.T) {
	out := "apcmaster\n\n** (process:22408): WARNING **: 21:21:27.868: The ipmilan stonith plugin is deprecated! Please use external/ipmi.\nexternal/ipmi\nnull\n"
	want := map[string]bool{"apcmaster": true, "external/ipmi": true, "null": true}
	if d := cmp.Diff(want, ParseStonithTypes([]byte(out))); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func FuzzParseStonithTypes(f *testing.F) {
	f.Add([]byte("null\nssh\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for ty := range ParseStonithTypes(b) {
			if ty == "" || len(ty) > len(b) {
				t.Fatalf("bad type %q", ty)
			}
		}
	})
}
