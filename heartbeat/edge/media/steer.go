package media

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"
)

// Where the kernel's classic BPF programs see a UDP datagram begin, in
// bytes before its payload: a socket filter (SO_ATTACH_FILTER) runs on
// the datagram from its UDP header; a reuseport program
// (SO_ATTACH_REUSEPORT_CBPF) runs with the header already pulled, on the
// payload. TestSteerOnLoopback checks both against the running kernel.
const (
	filterBase = 8 // sizeof(struct udphdr)
	steerBase  = 0
)

// Return values of the kernel's programs: a socket filter returns how many
// bytes to keep (0 drops the datagram); a reuseport program returns the
// index of the socket in the port's group, in bind order.
const (
	keepAll  = 0x7fffffff
	dropIt   = 0
	toEager  = 0 // the medium's read socket, bound first
	toLazy   = 1 // its lazy socket, bound second
	maxSkips = 255
)

// routineProg is Routine as a classic BPF program: it returns yes for a
// datagram whose payload, base bytes into what the program sees, starts
// with one of Routine's prefixes, and no for anything else, a datagram too
// short for a prefix included (the length is checked before each prefix's
// loads, so no load ever runs past the end, which would end the program
// with 0). It sees only the first bytes: a hint for which socket reads a
// datagram, never a check of it, as Routine.
func routineProg(base, yes, no uint32) []bpf.Instruction {
	var prog []bpf.Instruction
	for _, p := range routine {
		var block []bpf.Instruction
		// A = length; too short for p: on to the next prefix.
		block = append(block, bpf.LoadExtension{Num: bpf.ExtLen})
		block = append(block, bpf.JumpIf{Cond: bpf.JumpLessThan, Val: base + uint32(len(p))})
		for off := 0; off < len(p); {
			size := 4
			for off+size > len(p) {
				size /= 2
			}
			var v uint32
			switch size {
			case 4:
				v = binary.BigEndian.Uint32(p[off:])
			case 2:
				v = uint32(binary.BigEndian.Uint16(p[off:]))
			default:
				v = uint32(p[off])
			}
			block = append(block, bpf.LoadAbsolute{Off: base + uint32(off), Size: size})
			block = append(block, bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: v})
			off += size
		}
		block = append(block, bpf.RetConstant{Val: yes})
		// Every conditional jump's true branch leaves the block: skip to
		// the instruction after its last (the return).
		for i, ins := range block {
			if j, ok := ins.(bpf.JumpIf); ok {
				skip := len(block) - 1 - i
				if skip > maxSkips {
					panic(fmt.Sprintf("media: routine prefix %q too long for one BPF jump", p))
				}
				j.SkipTrue = uint8(skip)
				block[i] = j
			}
		}
		prog = append(prog, block...)
	}
	return append(prog, bpf.RetConstant{Val: no})
}

// The three programs a lazy medium's sockets carry (udpMedium.lazy): the
// reuseport program sends a unicast datagram to one socket of the two,
// and each socket's filter keeps only its share of a broadcast or
// multicast datagram, which the kernel copies to both.
// They are made when a medium opens, not at init: an executable that
// never opens one keeps no copy.
func steerProg() []bpf.RawInstruction { return mustAssemble(routineProg(steerBase, toLazy, toEager)) }

func eagerFilterProg() []bpf.RawInstruction { return mustAssemble(filterProg(dropIt, keepAll)) }

func lazyFilterProg() []bpf.RawInstruction { return mustAssemble(filterProg(keepAll, dropIt)) }

// filterProg is a socket filter that returns routine for a routine
// datagram's copy and other for any other's. A unicast one (packet type
// PACKET_HOST) it always keeps: the reuseport program gave it to this
// socket alone, so dropping it would lose it, should the group's sockets
// ever be in another order than bind order (one closed and another bound
// while the medium runs). A datagram in the other socket is read late
// (at the next deadline) or early, never lost (TestUDPMediaInNamespaces).
func filterProg(routine, other uint32) []bpf.Instruction {
	head := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: packetHost, SkipTrue: 1},
		bpf.RetConstant{Val: keepAll},
	}
	return append(head, routineProg(filterBase, routine, other)...)
}

// packetHost is PACKET_HOST, skb->pkt_type of a datagram sent to this host alone.
const packetHost = 0

func mustAssemble(p []bpf.Instruction) []bpf.RawInstruction {
	raw, err := bpf.Assemble(p)
	if err != nil {
		panic("media: " + err.Error())
	}
	return raw
}
