package twonode

import "strings"

// Authkeys is the authkeys the tests share (sha1, index 1).
const Authkeys = "auth 1\n1 sha1 testkey-sha1\n"

// FastHaCf returns an ha.cf template with the fast timings the tests and the
// demo use (keepalive 200ms, deadtime 1, warntime 500ms, initdead 5 — the
// timings the detection goals are stated for), the given media lines (e.g.
// "ucast @HBIF@ @PEER_HBIP@"), auto_failback on and both nodes.
func FastHaCf(media ...string) string {
	var b strings.Builder
	b.WriteString("logfile /var/log/ha-log\ndebugfile /var/log/ha-debug\nuse_logd no\n")
	b.WriteString("keepalive 200ms\ndeadtime 1\nwarntime 500ms\ninitdead 5\nudpport 694\n")
	for _, m := range media {
		b.WriteString(m + "\n")
	}
	b.WriteString("auto_failback on\ncrm no\nnode @NODE1@\nnode @NODE2@\n")
	return b.String()
}

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
