package ipaddr

import (
	"fmt"
	"net/netip"

	"hbgo/resource.d/agent"
)

// limitedBroadcast is 255.255.255.255.
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// refusedVIP says why ip can never be a service address, or "" when it can.
// Stock's IPaddr adds any of these (COMPAT §6.1): 127.0.0.2 on eth0 takes
// loopback traffic off lo, 224.0.0.1 and the broadcast addresses are
// answered by every host, and 0.0.0.0 matches every local address.
func refusedVIP(ip netip.Addr) string {
	switch {
	case ip.IsUnspecified():
		return "is the unspecified address"
	case ip.As4()[0] == 0:
		return "is in 0.0.0.0/8 (\"this network\"), which is never a destination"
	case ip == limitedBroadcast:
		return "is the limited broadcast address"
	case ip.IsLoopback():
		return "is a loopback address (127.0.0.0/8)"
	case ip.IsMulticast():
		return "is a multicast address (224.0.0.0/4)"
	}
	return ""
}

// vipError refuses a service address or a /0 netmask with what to write instead.
func vipError(kind Kind, ip netip.Addr, bits int) error {
	hint := "write the unicast IPv4 address clients reach the service at, e.g. " + kind.String() + "::10.0.0.5/24/eth0"
	if why := refusedVIP(ip); why != "" {
		return &agent.ArgError{Agent: kind.String(), What: fmt.Sprintf("%s %s", ip, why), Hint: hint}
	}
	if bits == 0 {
		return &agent.ArgError{Agent: kind.String(), What: fmt.Sprintf("%s/0: a netmask of 0 bits makes the subnet every IPv4 address", ip),
			Hint: "write the LAN's prefix length, e.g. " + kind.String() + "::" + ip.String() + "/24, or leave it out to take it from the route"}
	}
	return nil
}
