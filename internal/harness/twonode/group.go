package twonode

import (
	"fmt"
	"strings"
)

// The classic group of the failover tests: drbddisk::r0, the Filesystem on
// Mnt, the VIP and an LSB service last; svc names the service's script in
// /etc/ha.d/resource.d.

// Service reports whether node i's service script svc says "running".
func (c *Cluster) Service(i int, svc string) bool {
	out, _ := c.Node[i].Try("/etc/ha.d/resource.d/"+svc, "status")
	return strings.TrimSpace(out) == "running"
}

// HoldsGroup reports whether node i holds all of the classic group.
func (c *Cluster) HoldsGroup(i int, svc string) bool {
	return c.HasVIP(i) && c.Mounted(i) && c.Service(i, svc) && c.DrbdPrimary(i, "r0")
}

// HoldsNone reports whether node i holds nothing of the classic group.
func (c *Cluster) HoldsNone(i int, svc string) bool {
	return !c.HasVIP(i) && !c.Mounted(i) && !c.Service(i, svc) && !c.DrbdPrimary(i, "r0")
}

// GroupState says what node i holds of the classic group, for messages.
func (c *Cluster) GroupState(i int, svc string) string {
	return fmt.Sprintf("node%d: vip=%v mount=%v svc=%v drbd-primary=%v", i+1, c.HasVIP(i), c.Mounted(i), c.Service(i, svc), c.DrbdPrimary(i, "r0"))
}

// ServiceScript is an LSB-style resource.d script around a pid file: start
// exits 0 when the process runs, else runs start (tab-indented shell lines
// that launch it and wait until it runs); stop runs stopGuard (lines that
// may refuse with a non-zero exit), then kills the process and waits; status
// prints running or stopped.
func ServiceScript(pidFile, start, stopGuard string) string {
	return `#!/bin/sh
PIDF=` + pidFile + `
running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }
case "$1" in
start)
	running && exit 0
` + start + `	;;
stop)
` + stopGuard + `	if running; then kill "$(cat "$PIDF")"; while running; do sleep 0.01; done; fi
	rm -f "$PIDF"
	;;
status)
	if running; then echo running; else echo stopped; fi
	;;
*)
	echo "usage: $0 start|stop|status" >&2; exit 2;;
esac
exit 0
`
}
