package ipaddr

import (
	"errors"
	"strings"
	"testing"

	"hbgo/resource.d/agent"
)

// TestRefusedVIPs: addresses that can never be a service address, and a
// /0 netmask, are refused with what to write instead. Stock's IPaddr adds
// them (COMPAT §6.1); hbgo refuses (docs/CONFIG.md).
func TestRefusedVIPs(t *testing.T) {
	for _, tt := range []struct {
		kind Kind
		arg  string
		want string // "" = accepted
	}{
		{IPaddr, "0.0.0.0", "0.0.0.0 is the unspecified address"},
		{IPaddr2, "0.0.0.0/24/eth0", "unspecified"},
		{IPaddr, "0.1.2.3/24", "0.0.0.0/8"},
		{IPaddr, "255.255.255.255", "255.255.255.255 is the limited broadcast address"},
		{IPaddr2, "255.255.255.255/32/eth0", "limited broadcast"},
		{IPaddr, "127.0.0.2/8/eth0", "127.0.0.2 is a loopback address (127.0.0.0/8)"},
		{IPaddr2, "127.255.255.254", "loopback"},
		{IPaddr, "224.0.0.1", "224.0.0.1 is a multicast address (224.0.0.0/4)"},
		{IPaddr2, "239.255.0.1/24/eth0", "multicast"},
		{IPaddr, "10.0.0.5/0", "10.0.0.5/0: a netmask of 0 bits makes the subnet every IPv4 address"},
		{IPaddr2, "10.0.0.5/0.0.0.0/eth0", "netmask of 0 bits"},
		{IPaddr, "10.0.0.5/1", ""},
		{IPaddr, "223.255.255.254/24", ""},
		{IPaddr, "240.0.0.1/24", ""}, // reserved, but routable on some LANs; not refused
		{IPaddr, "1.0.0.1/24", ""},
	} {
		s, err := Parse(tt.kind, []string{tt.arg})
		var ae *agent.ArgError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s::%s refused: %v", tt.kind, tt.arg, err)
		case tt.want != "" && (!errors.As(err, &ae) || !strings.Contains(ae.What, tt.want) || ae.Hint == ""):
			t.Errorf("%s::%s = %+v, %v; want an ArgError %q with a hint", tt.kind, tt.arg, s, err, tt.want)
		}
	}
}
