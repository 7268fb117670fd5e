package daemon

import (
	mathrand "math/rand"
	randv2 "math/rand/v2"

	"hbgo/heartbeat/core/ipfail"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/respawn"
)

// nodeConfig completes the node machine's configuration when the loop
// starts: the emulated ipfail when ha.cf respawns ipfail, which hbgo does
// not start but emulates (issue #6; README of the ipfail captures).
func (n *node) nodeConfig() hbnode.Config {
	c := n.mcfg
	c.NoResources = n.o.NoResources
	c.PID = n.pid
	c.Rand = mathrand.New(&pcgSource{randv2.NewPCG(uint64(seed()), uint64(seed()))})
	c.UnmanagedStop = restartPhase
	cf := n.conf.HaCf
	for _, ch := range cf.Respawn {
		if respawn.IsIPfail(ch.Path) {
			c.IpfailCmd = ch.Command
			c.Ipfail = &ipfail.Config{Node: n.conf.Node, Keepalive: cf.Keepalive, AutoFailback: cf.AutoFailback.String(), PID: n.pid}
			break
		}
	}
	return c
}

// pcgSource is math/rand's Source over math/rand/v2's PCG: 16 bytes of
// state instead of math/rand's 4.9 KiB lagged-Fibonacci table, which sat
// alone in a 5376-byte size class's span for the daemon's life
// (bench/results/idle-2026-12-06b/anon).
type pcgSource struct{ *randv2.PCG }

func (s *pcgSource) Int63() int64    { return int64(s.Uint64() >> 1) }
func (s *pcgSource) Seed(seed int64) { s.PCG.Seed(uint64(seed), 0) }
