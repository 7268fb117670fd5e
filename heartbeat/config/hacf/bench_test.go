package hacf

import (
	"strings"
	"testing"
)

// BenchmarkParse parses a typical two-node ha.cf with ping node and ipfail.
func BenchmarkParse(b *testing.B) {
	in := "logfile /var/log/ha-log\ndebugfile /var/log/ha-debug\nuse_logd no\nkeepalive 2\ndeadtime 10\nwarntime 5\ninitdead 20\n" +
		"udpport 694\nucast eth1 10.78.0.2\nauto_failback on\ncrm no\nnode node1\nnode node2\nping 10.77.0.50\n" +
		"respawn hacluster /usr/libexec/heartbeat/ipfail\napiauth ipfail gid=haclient uid=hacluster\n"
	for b.Loop() {
		if _, ps := Parse(strings.NewReader(in), "ha.cf"); ps.HasErrors() {
			b.Fatal(ps.Err())
		}
	}
}
