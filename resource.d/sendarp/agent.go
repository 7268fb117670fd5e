package sendarp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"hbgo/resource.d/agent"
)

// Stock SendArp timing (resource-agents SendArp defaults: send_arp -i 200 -r 5).
const (
	DefaultPairs = 5
	DefaultEvery = 200 * time.Millisecond
)

// Target is a parsed SendArp argument: an address and an interface.
type Target struct {
	IP    netip.Addr
	Iface string
}

// Parse checks SendArp's single "ip/iface" argument (COMPAT §6.3).
func Parse(args []string) (Target, error) {
	bad := func(what string) error {
		return &agent.ArgError{Agent: "SendArp", What: what, Hint: "write SendArp::<ip>/<interface>, e.g. SendArp::10.0.0.5/eth0"}
	}
	if len(args) != 1 {
		return Target{}, bad(fmt.Sprintf("takes exactly one argument, got %d", len(args)))
	}
	ipS, ifS, ok := strings.Cut(args[0], "/")
	if !ok || ifS == "" || strings.Contains(ifS, "/") {
		return Target{}, bad(fmt.Sprintf("argument %q is not <ip>/<interface>", args[0]))
	}
	ip, err := netip.ParseAddr(ipS)
	if err != nil || !ip.Is4() {
		return Target{}, bad(fmt.Sprintf("%q is not an IPv4 address", ipS))
	}
	return Target{IP: ip, Iface: ifS}, nil
}

// Agent is the native SendArp: start sends the pairs, stop cancels the sender,
// status is a pseudo-resource flag kept in memory.
type Agent struct {
	T      Target
	Sender *Sender
	Log    agent.Logger
	// Interface looks an interface up by name; nil = net.InterfaceByName.
	Interface func(name string) (*net.Interface, error)

	mu      sync.Mutex
	started bool
}

// New builds a SendArp agent from haresources arguments.
func New(args []string, s *Sender, log agent.Logger) (*Agent, error) {
	t, err := Parse(args)
	if err != nil {
		return nil, err
	}
	return &Agent{T: t, Sender: s, Log: log}, nil
}

// Start sends the first pair and leaves the rest to the background sender.
func (a *Agent) Start(ctx context.Context) error {
	lookup := a.Interface
	if lookup == nil {
		lookup = net.InterfaceByName
	}
	ifi, err := lookup(a.T.Iface)
	if err != nil {
		return fmt.Errorf("SendArp %s: %w", a.T.IP, err)
	}
	if err := a.Sender.Start(ifi, a.T.IP, DefaultPairs, DefaultEvery); err != nil {
		return fmt.Errorf("SendArp %s: %w", a.T.IP, err)
	}
	a.mu.Lock()
	a.started = true
	a.mu.Unlock()
	agent.Logf(a.Log, "SendArp(SendArp_"+a.T.IP.String()+")", "%s", agent.ARPSending(2*DefaultPairs, a.T.IP.String(), ifi.Name))
	return nil
}

// Stop cancels a running sender.
func (a *Agent) Stop(ctx context.Context) error {
	a.Sender.Cancel(a.T.IP)
	a.mu.Lock()
	a.started = false
	a.mu.Unlock()
	return nil
}

// Status reports the pseudo-resource state.
func (a *Agent) Status(ctx context.Context) (agent.Status, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return agent.Status{Running: true, Text: agent.TextRunning}, nil
	}
	return agent.Status{Text: agent.TextStopped}, nil
}
