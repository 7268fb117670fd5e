package daemon

import (
	mathrand "math/rand"

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
	c.Rand = mathrand.New(mathrand.NewSource(seed()))
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
