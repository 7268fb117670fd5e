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
