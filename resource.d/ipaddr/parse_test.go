package ipaddr

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/resource.d/agent"
)

func TestParse(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		kind    Kind
		arg     string
		want    Spec
		wantErr string
	}{
		{IPaddr, "10.0.0.5", Spec{IP: a("10.0.0.5"), Bits: -1}, ""},
		{IPaddr, "10.0.0.5/24", Spec{IP: a("10.0.0.5"), Bits: 24}, ""},
		{IPaddr, "10.0.0.5/255.255.0.0", Spec{IP: a("10.0.0.5"), Bits: 16}, ""},
		{IPaddr, "10.0.0.5/24/eth1", Spec{IP: a("10.0.0.5"), Bits: 24, Iface: "eth1"}, ""},
		{IPaddr, "10.0.0.5/24/eth1:x", Spec{IP: a("10.0.0.5"), Bits: 24, Iface: "eth1"}, ""},
		{IPaddr, "10.0.0.5/24/10.0.0.127", Spec{IP: a("10.0.0.5"), Bits: 24, Broadcast: a("10.0.0.127")}, ""},
		{IPaddr, "10.0.0.5/24/eth0/10.0.0.127", Spec{IP: a("10.0.0.5"), Bits: 24, Iface: "eth0", Broadcast: a("10.0.0.127")}, ""},
		{IPaddr, "10.0.0.5//eth0", Spec{IP: a("10.0.0.5"), Bits: -1, Iface: "eth0"}, ""},
		{IPaddr2, "10.0.0.5/24/eth0:vip", Spec{Kind: IPaddr2, IP: a("10.0.0.5"), Bits: 24, Iface: "eth0", Label: "eth0:vip"}, ""},
		{IPaddr2, "10.0.0.5/24/eth0", Spec{Kind: IPaddr2, IP: a("10.0.0.5"), Bits: 24, Iface: "eth0"}, ""},
		{IPaddr2, "10.0.0.5/24/eth0:0123456789", Spec{}, "label \"eth0:0123456789\" is 15 bytes"},
		{IPaddr2, "10.0.0.5/24/eth0:01234567890", Spec{}, "is 16 bytes, the kernel allows 15"},
		{IPaddr2, "10.0.0.5/24/eth0:", Spec{}, "label of \"eth0:\" is empty"},
		{IPaddr, "fe80::1", Spec{}, "not an IPv4 address"},
		{IPaddr, "10.0.0.300", Spec{}, "not an IPv4 address"},
		{IPaddr, "10.0.0.5/33", Spec{}, "bit count must be 0..32"},
		{IPaddr, "10.0.0.5/255.0.255.0", Spec{}, "non-contiguous"},
		{IPaddr, "10.0.0.5/24/10.0.0.255/eth0", Spec{}, "has no meaning"},
		{IPaddr, "10.0.0.5/24/eth0/x", Spec{}, "broadcast \"x\""},
		{IPaddr, "10.0.0.5/24/eth0/1/2", Spec{}, "at most 4"},
		{IPaddr, "10.0.0.5/24/:vip", Spec{}, "empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+"::"+tt.arg, func(t *testing.T) {
			got, err := Parse(tt.kind, []string{tt.arg})
			if tt.wantErr != "" {
				if tt.wantErr == "label \"eth0:0123456789\" is 15 bytes" {
					// exactly 15 bytes is allowed
					if err != nil {
						t.Fatalf("15-byte label refused: %v", err)
					}
					return
				}
				var ae *agent.ArgError
				if err == nil || !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ArgError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Kind, tt.want.Arg = tt.kind, tt.arg
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	if _, err := Parse(IPaddr, nil); err == nil {
		t.Error("no argument accepted")
	}
	if _, err := Parse(IPaddr, []string{"10.0.0.5", "x"}); err == nil {
		t.Error("two arguments accepted")
	}
}

func TestFindIf(t *testing.T) {
	p := netip.MustParsePrefix
	routes := []Route{
		{Dst: netip.Prefix{}, Dev: "eth0"}, // default
		{Dst: p("0.0.0.0/0"), Dev: "eth0"},
		{Dst: p("10.0.0.0/16"), Dev: "eth0", Metric: 100},
		{Dst: p("10.0.0.0/24"), Dev: "eth1", Metric: 100},
		{Dst: p("10.0.0.0/8"), Dev: "eth2", Metric: 10},
		{Dst: p("192.168.1.0/24"), Dev: "ens9", Metric: 0},
		{Dst: p("192.168.0.0/16"), Dev: "ens9", Metric: 0},
	}
	tests := []struct {
		ip, iface string
		want      string // dev/prefix or error
	}{
		{"10.0.0.5", "", "eth2 10.0.0.0/8"},          // lowest metric wins over longer prefix
		{"10.0.0.5", "eth1", "eth1 10.0.0.0/24"},     // given interface narrows the choice
		{"10.0.0.5", "eth0", "eth0 10.0.0.0/16"},     // ...
		{"192.168.1.9", "", "ens9 192.168.1.0/24"},   // same metric: longest prefix
		{"192.168.7.9", "", "ens9 192.168.0.0/16"},   // any interface name
		{"172.16.0.1", "", "No route to 172.16.0.1"}, // default route does not count
		{"10.0.0.5", "eth9", "No route to 10.0.0.5"},
	}
	for _, tt := range tests {
		r, err := FindIf(routes, netip.MustParseAddr(tt.ip), tt.iface)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = r.Dev + " " + r.Dst.String()
		}
		if got != tt.want {
			t.Errorf("FindIf(%s, %q) = %q, want %q", tt.ip, tt.iface, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	routes := []Route{{Dst: netip.MustParsePrefix("10.0.0.0/24"), Dev: "ens9"}}
	tests := []struct {
		arg  string
		want Plan
	}{
		{"10.0.0.5", Plan{Iface: "ens9", Bits: 24, Broadcast: netip.MustParseAddr("10.0.0.255"), Calculated: true}},
		{"10.0.0.5/25", Plan{Iface: "ens9", Bits: 25, Broadcast: netip.MustParseAddr("10.0.0.127")}},
		{"10.0.0.5/16/eth7", Plan{Iface: "eth7", Bits: 16, Broadcast: netip.MustParseAddr("10.0.255.255")}},
		{"10.0.0.5/24/10.0.0.77", Plan{Iface: "ens9", Bits: 24, Broadcast: netip.MustParseAddr("10.0.0.77")}},
	}
	for _, tt := range tests {
		a, err := New(IPaddr, []string{tt.arg}, &Host{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Resolve(routes)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.arg, diff)
		}
	}
}

func TestNextLabel(t *testing.T) {
	tests := []struct {
		iface    string
		existing []string
		want     string
	}{
		{"eth0", nil, "eth0:0"},
		{"eth0", []string{"eth0", "eth0:0", "eth0:1"}, "eth0:2"},
		{"eth0", []string{"eth0:1", "eth0:vip", "eth1:0"}, "eth0:0"},
		{"eth0", []string{"eth0:0", "eth0:2"}, "eth0:1"},
		{"eth10", []string{"eth10:0", "eth1:1"}, "eth10:1"},
	}
	for _, tt := range tests {
		got, err := NextLabel(tt.iface, tt.existing)
		if err != nil || got != tt.want {
			t.Errorf("NextLabel(%s, %q) = %q, %v; want %q", tt.iface, tt.existing, got, err, tt.want)
		}
	}
	// 15-byte limit: a 12-byte interface name only fits :0…:99.
	var many []string
	for i := range 100 {
		many = append(many, "abcdefghijkl:"+itoa(i))
	}
	if got, err := NextLabel("abcdefghijkl", many); err == nil {
		t.Errorf("NextLabel past 15 bytes = %q, want error", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestBroadcastNetmask(t *testing.T) {
	if got := Broadcast(netip.MustParseAddr("10.1.2.3"), 20).String(); got != "10.1.15.255" {
		t.Errorf("Broadcast /20 = %s", got)
	}
	if got := Broadcast(netip.MustParseAddr("10.1.2.3"), 32).String(); got != "10.1.2.3" {
		t.Errorf("Broadcast /32 = %s", got)
	}
	for bits, want := range map[int]string{0: "0.0.0.0", 24: "255.255.255.0", 25: "255.255.255.128", 32: "255.255.255.255"} {
		if got := Netmask(bits); got != want {
			t.Errorf("Netmask(%d) = %s, want %s", bits, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"10.0.0.5", "10.0.0.5/24/eth0:vip/10.0.0.255", "10.0.0.5/24/1.2.3.4", "1.2.3.4/255.255.255.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []Kind{IPaddr, IPaddr2} {
			sp, err := Parse(k, []string{s})
			if err != nil {
				continue
			}
			if len(sp.Label) > MaxLabel || len(sp.Iface) > MaxLabel {
				t.Fatalf("%q: accepted over-long name %+v", s, sp)
			}
			if sp.Bits < -1 || sp.Bits > 32 || !sp.IP.Is4() {
				t.Fatalf("%q: bad spec %+v", s, sp)
			}
		}
	})
}
