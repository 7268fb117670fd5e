package watch

import (
	"net"
	"net/netip"
	"testing"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"golang.org/x/net/bpf"
)

// TestARPFilter: the socket filter passes ARP frames whose sender address
// is a held VIP, requests and replies, and drops every other.
func TestARPFilter(t *testing.T) {
	held := map[netip.Addr]string{
		netip.MustParseAddr("10.78.0.100"): "IPaddr::10.78.0.100",
		netip.MustParseAddr("10.78.0.101"): "IPaddr::10.78.0.101",
	}
	raw, err := arpFilter(held)
	if err != nil {
		t.Fatal(err)
	}
	prog := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		prog[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	frame := func(op arp.Operation, sender string) []byte {
		p, err := arp.NewPacket(op, mac, netip.MustParseAddr(sender), ethernet.Broadcast, netip.MustParseAddr("10.78.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		pb, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		f := &ethernet.Frame{Destination: ethernet.Broadcast, Source: mac, EtherType: ethernet.EtherTypeARP, Payload: pb}
		b, err := f.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		op     arp.Operation
		sender string
		pass   bool
	}{
		{arp.OperationReply, "10.78.0.100", true},
		{arp.OperationRequest, "10.78.0.101", true},
		{arp.OperationRequest, "10.78.0.102", false},
		{arp.OperationReply, "10.78.0.1", false},
	} {
		n, err := vm.Run(frame(tc.op, tc.sender))
		if err != nil {
			t.Fatal(err)
		}
		if (n > 0) != tc.pass {
			t.Errorf("%v from %s: filter kept %d bytes, want pass=%v", tc.op, tc.sender, n, tc.pass)
		}
	}
	none, _ := arpFilter(map[netip.Addr]string{})
	if len(none) != 3 {
		t.Errorf("filter without VIPs: %d instructions, want load and two returns", len(none))
	}
}
