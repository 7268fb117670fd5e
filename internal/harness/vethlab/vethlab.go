// Package vethlab builds the agents' test hosts: two network namespaces
// joined by veth pairs, a netlink handle and an ARP sender inside the first,
// and an ARP capture on either side.
package vethlab

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"hbgo/resource.d/sendarp"
)

// Lab is namespace A (the agent's host) and namespace B (the client), both
// made by the test and removed by its cleanup.
type Lab struct {
	A, B     string                      // namespace names
	NsA, NsB netns.NsHandle              // their handles
	NL       *netlink.Handle             // netlink inside A
	MAC      map[string]net.HardwareAddr // A's interfaces by name
	Sender   *sendarp.Sender             // gratuitous ARPs sent from inside A
}

// Options say what New builds: Links[i] in A is paired with Peers[i] in B;
// AddrA goes on Links[0], AddrB on Peers[0].
type Options struct {
	Prefix       string // namespace names are Prefix-a<pid> and Prefix-b<pid>
	Links, Peers []string
	AddrA, AddrB string // CIDR
}

// IP runs ip(8) with args and fails the test on an error.
func IP(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// New builds the lab, or skips the test when not root or without ip(8).
func New(t testing.TB, o Options) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root: creates network namespaces %s-* with veth pairs", o.Prefix)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip to build the test namespaces")
	}
	l := &Lab{A: fmt.Sprintf("%s-a%d", o.Prefix, os.Getpid()), B: fmt.Sprintf("%s-b%d", o.Prefix, os.Getpid()), MAC: map[string]net.HardwareAddr{}}
	IP(t, "netns", "add", l.A)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.A).Run() })
	IP(t, "netns", "add", l.B)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.B).Run() })
	up := [][]string{{l.A, "lo"}, {l.B, "lo"}}
	for i, name := range o.Links {
		IP(t, "-n", l.A, "link", "add", name, "type", "veth", "peer", "name", o.Peers[i], "netns", l.B)
		up = append(up, []string{l.A, name}, []string{l.B, o.Peers[i]})
	}
	IP(t, "-n", l.A, "addr", "add", o.AddrA, "dev", o.Links[0])
	IP(t, "-n", l.B, "addr", "add", o.AddrB, "dev", o.Peers[0])
	for _, c := range up {
		IP(t, "-n", c[0], "link", "set", c[1], "up")
	}
	var err error
	if l.NsA, err = netns.GetFromName(l.A); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.NsA.Close() })
	if l.NsB, err = netns.GetFromName(l.B); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.NsB.Close() })
	if l.NL, err = netlink.NewHandleAt(l.NsA); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.NL.Close)
	for _, name := range o.Links {
		lk, err := l.NL.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		l.MAC[name] = lk.Attrs().HardwareAddr
	}
	nsA := l.NsA
	l.Sender = &sendarp.Sender{Listen: func(ifi *net.Interface) (sendarp.Conn, error) {
		// The raw socket must be created inside namespace A; it stays bound
		// to it afterwards (libraries.md mdlayher/arp pitfall 4).
		var c sendarp.Conn
		var err error
		InNS(nsA, func() { c, err = sendarp.ListenRaw(ifi) })
		return c, err
	}}
	t.Cleanup(func() { l.Sender.Close() })
	return l
}

// InNS runs f on a locked OS thread switched into ns; the thread is thrown
// away afterwards (the goroutine exits still locked), so no other goroutine
// ever runs in ns (libraries.md netlink pitfall 5).
func InNS(ns netns.NsHandle, f func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			panic(err)
		}
		f()
	}()
	wg.Wait()
}

// Frame is one ARP frame a capture saw.
type Frame struct {
	At       time.Time
	Op       arp.Operation
	P        arp.Packet
	Src, Dst net.HardwareAddr
}

// CaptureARP collects the ARP frames seen on ifname in ns until the test
// ends; the function returned gives a copy of those seen so far.
func CaptureARP(t testing.TB, ns netns.NsHandle, ifname string) func() []Frame {
	t.Helper()
	var c *packet.Conn
	var err error
	InNS(ns, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(ifname); err == nil {
			c, err = packet.Listen(ifi, packet.Raw, int(ethernet.EtherTypeARP), nil)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []Frame
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			var f ethernet.Frame
			var p arp.Packet
			if f.UnmarshalBinary(buf[:n]) != nil || p.UnmarshalBinary(f.Payload) != nil {
				continue
			}
			mu.Lock()
			got = append(got, Frame{At: time.Now(), Op: p.Operation, P: p, Src: f.Source, Dst: f.Destination})
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return func() []Frame {
		mu.Lock()
		defer mu.Unlock()
		return append([]Frame(nil), got...)
	}
}
