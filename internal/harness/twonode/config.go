package twonode

import "strings"

// Authkeys is the authkeys the tests share (sha1, index 1).
const Authkeys = "auth 1\n1 sha1 testkey-sha1\n"

// HaCf is the ha.cf template every end-to-end suite renders: the log
// files, the timings, udpport 694, the media lines, auto_failback, crm no,
// both nodes, then any extra lines. Empty timings are the fast ones the
// detection goals are stated for (keepalive 200ms, deadtime 1, warntime
// 500ms, initdead 5); any value may be an @TOKEN@ the test substitutes.
type HaCf struct {
	Keepalive, Deadtime, Warntime, Initdead string
	Media                                   []string // e.g. "ucast @HBIF@ @PEER_HBIP@"
	Failback                                string   // auto_failback; "" is on
	Extra                                   []string // lines after the node lines
}

// String renders the template.
func (h HaCf) String() string {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	var b strings.Builder
	b.WriteString("logfile /var/log/ha-log\ndebugfile /var/log/ha-debug\nuse_logd no\n")
	b.WriteString("keepalive " + or(h.Keepalive, "200ms") + "\ndeadtime " + or(h.Deadtime, "1") +
		"\nwarntime " + or(h.Warntime, "500ms") + "\ninitdead " + or(h.Initdead, "5") + "\nudpport 694\n")
	for _, m := range h.Media {
		b.WriteString(m + "\n")
	}
	b.WriteString("auto_failback " + or(h.Failback, "on") + "\ncrm no\nnode @NODE1@\nnode @NODE2@\n")
	for _, l := range h.Extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// FastHaCf returns the fast-timing template with the given media lines and
// auto_failback on.
func FastHaCf(media ...string) string { return HaCf{Media: media}.String() }

// DrbddiskScript stands in for drbd-utils' drbddisk (the package is not
// installed here) on stock nodes: it promotes, demotes and reports through
// the recording drbdadm stand-in a Cluster mounts over /sbin/drbdadm.
const DrbddiskScript = `#!/bin/sh
DRBDADM=/sbin/drbdadm
[ -f /etc/default/drbd ] && . /etc/default/drbd
RES=${1:-all}; CMD=${2:-$1}
[ $# -eq 1 ] && RES=all
case "$CMD" in
start) $DRBDADM primary "$RES";;
stop) $DRBDADM secondary "$RES";;
status)
	case "$($DRBDADM role "$RES")" in
	Primary*) echo "running (Primary)";;
	*) echo "stopped (Secondary)";;
	esac;;
*) echo "usage: drbddisk [resource] start|stop|status" >&2; exit 1;;
esac
exit 0
`
