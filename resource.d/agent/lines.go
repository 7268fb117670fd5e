package agent

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The native agents' own log lines: what an agent did, written where stock's
// resource agent logged the commands it forked (ifconfig, send_arp), which
// hbgo never runs. They are hbgo's, not stock's: hblog lists them among the
// hbgo-only lines, dist/logcheck ignores them, docs/MIGRATION.md ("What
// ha-log says") documents them. Each is written through Logger.Script under
// the agent's own tag, e.g.
// `IPaddr(IPaddr_10.77.0.100)[pid]:    INFO: added 10.77.0.100/24 to eth0:0 (netlink), 20 gratuitous ARPs`.
const (
	FmtAddrAdded   = "INFO: added %s to %s (netlink), %d gratuitous ARPs"
	FmtAddrRemoved = "INFO: removed %s from %s (netlink)"
	FmtARPSending  = "INFO: sending %d gratuitous ARPs for %s on %s"
	FmtMounted     = "INFO: mounted %s on %s (%s, %s)"
	FmtDrbdadm     = "INFO: drbdadm %s %s: done (attempt %d of %d)"
	FmtDelayed     = "INFO: waited %s"
	// FmtPromoteSecondaries: IPaddr/IPaddr2 stop keeps the interface's
	// other addresses when it removes a primary one (resource.d/README.md).
	FmtPromoteSecondaries = "INFO: Setting net.ipv4.conf.%s.promote_secondaries=1 so the other addresses on %s survive removing %s"
)

// NativeLineFormats lists every format above, for the log catalogue.
var NativeLineFormats = []string{FmtAddrAdded, FmtAddrRemoved, FmtARPSending, FmtMounted, FmtDrbdadm, FmtDelayed,
	FmtPromoteSecondaries}

// AddrAdded: `INFO: added 10.77.0.100/24 to eth0:0 (netlink), 20 gratuitous ARPs` (IPaddr, IPaddr2 start).
func AddrAdded(prefix, where string, arps int) string {
	return fmt.Sprintf(FmtAddrAdded, prefix, where, arps)
}

// AddrRemoved: `INFO: removed 10.77.0.100/24 from eth0:0 (netlink)` (IPaddr, IPaddr2 stop).
func AddrRemoved(prefix, where string) string { return fmt.Sprintf(FmtAddrRemoved, prefix, where) }

// ARPSending: `INFO: sending 10 gratuitous ARPs for 10.77.0.100 on eth0` (SendArp start).
func ARPSending(n int, ip, iface string) string { return fmt.Sprintf(FmtARPSending, n, ip, iface) }

// Mounted: `INFO: mounted /dev/loop0 on /mnt/hbxdata (ext4, mount(2))` (Filesystem start).
func Mounted(dev, dir, fstype, how string) string {
	return fmt.Sprintf(FmtMounted, dev, dir, fstype, how)
}

// Drbdadm: `INFO: drbdadm primary r0: done (attempt 1 of 6)` (drbddisk start and stop).
func Drbdadm(op, res string, attempt, of int) string {
	return fmt.Sprintf(FmtDrbdadm, op, res, attempt, of)
}

// Delayed: `INFO: waited 10s` (Delay start and stop).
func Delayed(d time.Duration) string { return fmt.Sprintf(FmtDelayed, d) }

// nativeLineRE is NativeLineFormats as anchored regexps (%s any text, %d an integer).
var nativeLineRE = sync.OnceValue(func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(NativeLineFormats))
	for i, f := range NativeLineFormats {
		q := strings.ReplaceAll(regexp.QuoteMeta(f), "%s", ".*")
		out[i] = regexp.MustCompile("^" + strings.ReplaceAll(q, "%d", "-?[0-9]+") + "$")
	}
	return out
})

// NativeLine reports whether text (a script line's text) is one of the native agents' own lines.
func NativeLine(text string) bool {
	for _, re := range nativeLineRE() {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}

// DroppedLine is a stock resource-agent line hbgo does not write, with the reason.
type DroppedLine struct {
	Pattern *regexp.Regexp // matched against the script line's text
	Why     string
}

// DroppedLines are stock's agent lines that describe a command the agent
// forks (ifconfig, send_arp), which hbgo's native agents never run: writing
// them would tell an admin something that did not happen. The native line
// that says what was done takes their place.
// Compiled on first use, as hblog.OmittedLines: the daemon never asks.
var DroppedLines = sync.OnceValue(func() []DroppedLine {
	return []DroppedLine{
		{regexp.MustCompile(`^INFO: eval ifconfig `),
			"IPaddr's ifconfig command: hbgo adds the address with netlink (`added … (netlink)`)"},
		{regexp.MustCompile(`^INFO: ifconfig \S+ down$`),
			"IPaddr's ifconfig command: hbgo removes the address with netlink (`removed … (netlink)`)"},
		{regexp.MustCompile(`^INFO: /usr/(lib|libexec)/heartbeat/send_arp `),
			"IPaddr2's send_arp command: hbgo sends the gratuitous ARPs itself (counted in `added …`)"},
		{regexp.MustCompile(`^INFO: killed previously running send_arp for `),
			"no send_arp process exists to kill: stop cancels hbgo's own ARP sender"},
	}
})

// Dropped reports whether text (a script line's text) is one of DroppedLines.
func Dropped(text string) bool {
	for _, d := range DroppedLines() {
		if d.Pattern.MatchString(text) {
			return true
		}
	}
	return false
}
