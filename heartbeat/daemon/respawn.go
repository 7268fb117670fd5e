package daemon

import (
	"time"

	"hbgo/heartbeat/edge/respawn"
)

// clientGrace is how long a killed client gets before SIGKILL at shutdown.
const clientGrace = 3 * time.Second

// startClients starts ha.cf's respawn/failfast clients once comm is up, as
// stock does (COMPAT §5.11); ipfail is emulated instead (node.Machine signs it on).
func (n *node) startClients() {
	if n.sup != nil {
		return
	}
	n.sup = &respawn.Supervisor{Log: n.log, Now: n.now, Start: respawn.ExecStarter(n.env()),
		Reboot: func(string) { Fence(n.conf, n.log) }}
	var cs []respawn.Client
	for _, ch := range n.conf.HaCf.Respawn {
		if respawn.IsIPfail(ch.Path) {
			continue
		}
		c, err := respawn.Resolve(ch.Command, ch.Path, ch.User, ch.Failfast)
		if err != nil {
			n.log.Errorf("hbgo: %v; not started", err)
			continue
		}
		cs = append(cs, c)
	}
	n.sup.Launch(cs)
}

// stopClients signs the emulated ipfail off and kills the clients, last
// first, after the resources are released (README of the ipfail captures
// §5.5: stock kills them after shutdone).
func (n *node) stopClients() {
	if n.sup != nil {
		n.sup.Stop(clientGrace)
	}
}
