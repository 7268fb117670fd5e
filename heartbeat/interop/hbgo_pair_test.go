package interop

import (
	"regexp"
	"testing"
	"time"

	"hbgo/heartbeat/testnet"
	"hbgo/heartbeat/twonode"
)

func TestMain(m *testing.M) { testnet.Main(m) }

const fastUcast = `logfile /var/log/ha-log
debugfile /var/log/ha-debug
use_logd no
keepalive 200ms
deadtime 1
warntime 500ms
initdead 5
udpport 694
ucast @HBIF@ @PEER_HBIP@
auto_failback on
crm no
node @NODE1@
node @NODE2@
`

const keys = "auth 1\n1 sha1 testkey-sha1\n"

func TestHbgoPairFailover(t *testing.T) {
	bin := twonode.BuildHbgo(t)
	c := twonode.New(t, twonode.Options{Prefix: "hbgoip", Impl: [2]twonode.Impl{twonode.Hbgo(bin), twonode.Hbgo(bin)},
		HaCf: fastUcast, Authkeys: keys, Haresources: "@NODE1@ IPaddr::@VIPCIDR@/@LANIF@\n"})
	c.Start(0)
	c.Start(1)
	for i := 0; i < 2; i++ {
		if _, _, err := c.WaitLog(i, regexp.MustCompile(`Status update for node node`+string(rune('2'-i))+`: status active`), 0, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if !twonode.WaitFor(20*time.Second, func() bool { return c.HasVIP(0) }) {
		t.Fatalf("VIP never on node1\n%s", c.Log(0))
	}
	off := len(c.Log(1))
	c.Kill(0)
	if _, _, err := c.WaitLog(1, regexp.MustCompile(`node node1: is dead`), off, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if !twonode.WaitFor(5*time.Second, func() bool { return c.HasVIP(1) }) {
		t.Fatalf("VIP never on node2\n%s", c.Log(1))
	}
}
