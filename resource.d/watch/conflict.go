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
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Conflicts reads ARP on the interfaces of held VIPs: a packet whose sender
// address is a held VIP and whose sender MAC is not this interface's is a
// Conflict event (another node answers for it: a healed partition, a stale
// neighbour, a peer whose daemon died holding it).
type Conflicts struct {
	Events chan<- Event
	// Dial opens the ARP client and its socket; nil = DialARP in the
	// caller's namespace (tests open it inside theirs: arp.New looks up the
	// interface's IPv4 address in the current namespace, libraries.md
	// mdlayher/arp pitfall 1). With a nil socket no filter is set.
	Dial func(ifi *net.Interface) (*arp.Client, *packet.Conn, error)
	Now  func() time.Time

	mu  sync.Mutex
	ifs map[int]*arpReader
}

type arpReader struct {
	ifi    *net.Interface
	c      *arp.Client
	pc     *packet.Conn          // c's socket, for its filter; nil = none
	ips    map[netip.Addr]string // VIP → resource
	cancel context.CancelFunc
}

// DialARP opens an ARP client on ifi as arp.Dial does, and returns its
// socket too, for Conflicts' filter.
func DialARP(ifi *net.Interface) (*arp.Client, *packet.Conn, error) {
	pc, err := packet.Listen(ifi, packet.Raw, 0x0806, nil) // EtherType ARP
	if err != nil {
		return nil, nil, err
	}
	c, err := arp.New(ifi, pc)
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	return c, pc, nil
}

// arpFilter is a classic BPF program passing only ARP frames whose sender
// address is one of ips (offset 28: 14 bytes of Ethernet header, then the
// ARP header's 8 bytes and the sender's 6-byte MAC). On a busy LAN every
// ARP frame for any address woke the reader; now only those that could be
// a conflict do. The socket itself takes EtherType ARP only.
func arpFilter(ips map[netip.Addr]string) ([]bpf.RawInstruction, error) {
	var v4 []uint32
	for ip := range ips {
		if ip.Is4() {
			b := ip.As4()
			v4 = append(v4, uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))
		}
	}
	prog := []bpf.Instruction{bpf.LoadAbsolute{Off: 28, Size: 4}}
	for i, a := range v4 {
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: a, SkipTrue: uint8(len(v4) - i)})
	}
	prog = append(prog, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: 1 << 16})
	return bpf.Assemble(prog)
}

// refilter installs r's filter for its current VIPs (w.mu held).
func (r *arpReader) refilter() error {
	if r.pc == nil {
		return nil
	}
	f, err := arpFilter(r.ips)
	if err != nil {
		return err
	}
	return r.pc.SetBPF(f)
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
		if err := r.refilter(); err != nil {
			return fmt.Errorf("watch ARP on %s: filter: %w", ifi.Name, err)
		}
		return nil
	}
	dial := w.Dial
	if dial == nil {
		dial = DialARP
	}
	c, pc, err := dial(ifi)
	if err != nil {
		return fmt.Errorf("watch ARP on %s: %w", ifi.Name, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &arpReader{ifi: ifi, c: c, pc: pc, ips: map[netip.Addr]string{ip: resource}, cancel: cancel}
	if err := r.refilter(); err != nil {
		cancel()
		c.Close()
		return fmt.Errorf("watch ARP on %s: filter: %w", ifi.Name, err)
	}
	w.ifs[ifi.Index] = r
	go w.read(rctx, r)
	return nil
}

// Release stops reading for ip; the interface's socket closes with its last VIP.
func (w *Conflicts) Release(ip netip.Addr) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for idx, r := range w.ifs {
		if _, ok := r.ips[ip]; !ok {
			continue
		}
		delete(r.ips, ip)
		if len(r.ips) == 0 {
			r.cancel()
			r.c.Close()
			delete(w.ifs, idx)
		} else {
			_ = r.refilter() // a wider filter than needed is harmless: read checks each packet
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
	next := func() (*arp.Packet, error) { p, _, err := r.c.Read(); return p, err }
	if r.pc != nil {
		next = r.reader()
	}
	for ctx.Err() == nil {
		p, err := next()
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
		if p == nil || bytes.Equal(p.SenderHardwareAddr, own) {
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

// reader reads r's socket through the runtime poller into one kept buffer.
// arp.Client.Read goes through mdlayher/socket, which starts a goroutine
// per read to watch a context (it cannot tell that Read's never ends): an
// idle daemon held two goroutines for one interface, and every frame cost
// a goroutine, a channel and a buffer. The frame is parsed as arp.Client
// does (a non-ARP frame is skipped: nil packet, no error).
func (r *arpReader) reader() func() (*arp.Packet, error) {
	rc, err := r.pc.SyscallConn()
	if err != nil {
		return func() (*arp.Packet, error) { return nil, err }
	}
	buf := make([]byte, 128) // arp.Client.Read's size: an ARP frame is 42 bytes, 60 padded
	return func() (*arp.Packet, error) {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), buf, 0)
			return rerr != unix.EAGAIN
		}); err != nil {
			return nil, err
		}
		if rerr != nil {
			return nil, rerr
		}
		var f ethernet.Frame
		if err := f.UnmarshalBinary(buf[:n]); err != nil || f.EtherType != ethernet.EtherTypeARP {
			return nil, nil
		}
		p := new(arp.Packet)
		if err := p.UnmarshalBinary(f.Payload); err != nil {
			return nil, nil
		}
		return p, nil
	}
}
