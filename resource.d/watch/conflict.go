package watch

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mdlayher/arp"
)

// Conflicts reads ARP on the interfaces of held VIPs: a packet whose sender
// address is a held VIP and whose sender MAC is not this interface's is a
// Conflict event (another node answers for it: a healed partition, a stale
// neighbour, a peer whose daemon died holding it).
type Conflicts struct {
	Events chan<- Event
	// Dial opens the ARP client; nil = arp.Dial in the caller's namespace
	// (tests open it inside theirs: arp.New looks up the interface's IPv4
	// address in the current namespace, libraries.md mdlayher/arp pitfall 1).
	Dial func(ifi *net.Interface) (*arp.Client, error)
	Now  func() time.Time

	mu  sync.Mutex
	ifs map[int]*arpReader
}

type arpReader struct {
	ifi    *net.Interface
	c      *arp.Client
	ips    map[netip.Addr]string // VIP → resource
	cancel context.CancelFunc
}

// Hold starts reading ARP on ifi for ip, held as resource.
func (w *Conflicts) Hold(ctx context.Context, resource string, ip netip.Addr, ifi *net.Interface) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ifs == nil {
		w.ifs = map[int]*arpReader{}
	}
	if r := w.ifs[ifi.Index]; r != nil {
		r.ips[ip] = resource
		return nil
	}
	dial := w.Dial
	if dial == nil {
		dial = arp.Dial
	}
	c, err := dial(ifi)
	if err != nil {
		return fmt.Errorf("watch ARP on %s: %w", ifi.Name, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &arpReader{ifi: ifi, c: c, ips: map[netip.Addr]string{ip: resource}, cancel: cancel}
	w.ifs[ifi.Index] = r
	go w.read(rctx, r)
	return nil
}

// Release stops reading for ip; the interface's socket closes with its last VIP.
func (w *Conflicts) Release(ip netip.Addr) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for idx, r := range w.ifs {
		delete(r.ips, ip)
		if len(r.ips) == 0 {
			r.cancel()
			r.c.Close()
			delete(w.ifs, idx)
		}
	}
}

// Close stops every reader.
func (w *Conflicts) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for idx, r := range w.ifs {
		r.cancel()
		r.c.Close()
		delete(w.ifs, idx)
	}
}

func (w *Conflicts) read(ctx context.Context, r *arpReader) {
	own := r.ifi.HardwareAddr
	for ctx.Err() == nil {
		p, _, err := r.c.Read()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			time.Sleep(10 * time.Millisecond) // a transient socket error; never spin
			continue
		}
		if bytes.Equal(p.SenderHardwareAddr, own) {
			continue
		}
		w.mu.Lock()
		res, held := r.ips[p.SenderIP]
		w.mu.Unlock()
		if !held {
			continue
		}
		now := time.Now()
		if w.Now != nil {
			now = w.Now()
		}
		send(w.Events, Event{Resource: res, Kind: Conflict, MAC: p.SenderHardwareAddr.String(), Cause: "ARP from " + p.SenderHardwareAddr.String(), At: now})
	}
}
