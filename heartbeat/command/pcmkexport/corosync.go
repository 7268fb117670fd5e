package pcmkexport

import (
	"fmt"
	"strings"
	"time"

	"hbgo/heartbeat/config/hacf"
)

// ConsensusFactor is corosync's default consensus as a multiple of token:
// a lost node is declared after about token + consensus.
const ConsensusFactor = 1.2

// Link is one corosync knet link: one distinct heartbeat path.
type Link struct {
	Number int
	From   string            // the ha.cf directive(s), e.g. "bcast eth1 (ha.cf:12)"
	Iface  string            // the interface heartbeat used
	Addrs  map[string]string // node -> address, or a placeholder to fill in
	// Guessed is set when addresses came from ucast lines assigned in node order.
	Guessed bool
}

// Corosync is what corosync.conf is written from.
type Corosync struct {
	Nodes    []string
	Links    []Link
	Deadtime time.Duration
	Token    time.Duration
	Serial   []string // serial lines, which have no equivalent
}

// Placeholder is the address text written for a node's address corosync
// must be told: corosync refuses to start until it is replaced.
func Placeholder(node, iface string) string {
	return "ADDRESS-OF-" + node + "-ON-" + iface
}

// TokenFor derives corosync's token from heartbeat's deadtime so that
// token + consensus (1.2 × token) is the deadtime, in whole milliseconds.
func TokenFor(deadtime time.Duration) time.Duration {
	ms := float64(deadtime.Milliseconds()) / (1 + ConsensusFactor)
	return time.Duration(int64(ms)) * time.Millisecond
}

func buildCorosync(cf *hacf.Config) Corosync {
	c := Corosync{Nodes: cf.Nodes, Deadtime: cf.Deadtime, Token: TokenFor(cf.Deadtime)}
	byIface := map[string]int{} // iface -> index in c.Links
	for _, m := range cf.Links() {
		where := fmt.Sprintf("ha.cf:%d", m.Line)
		switch m.Type {
		case hacf.MediumSerial:
			c.Serial = append(c.Serial, fmt.Sprintf("serial %s (%s)", m.Device, where))
			continue
		case hacf.MediumBcast, hacf.MediumMcast, hacf.MediumUcast, hacf.MediumUcast6, hacf.MediumMcast6:
		default:
			continue
		}
		desc := m.Type + " " + m.Iface
		if m.Type == hacf.MediumUcast || m.Type == hacf.MediumUcast6 {
			desc += " " + m.Peer
		}
		desc += " (" + where + ")"
		i, ok := byIface[m.Iface]
		if !ok {
			i = len(c.Links)
			byIface[m.Iface] = i
			l := Link{Number: i, Iface: m.Iface, From: desc, Addrs: map[string]string{}}
			c.Links = append(c.Links, l)
		} else {
			c.Links[i].From += ", " + desc
		}
	}
	if len(c.Links) == 0 {
		c.Links = append(c.Links, Link{Number: 0, Iface: "lan", From: "no network medium in ha.cf: corosync needs one", Addrs: map[string]string{}})
	}
	// ucast names the peers' addresses. Heartbeat never said which node
	// owns which; when an interface lists exactly one address per node they
	// are taken in node order, and the report says so.
	for i := range c.Links {
		l := &c.Links[i]
		var peers []string
		for _, m := range cf.Links() {
			if (m.Type == hacf.MediumUcast || m.Type == hacf.MediumUcast6) && m.Iface == l.Iface {
				peers = append(peers, m.Peer)
			}
		}
		if len(peers) == len(c.Nodes) {
			for j, n := range c.Nodes {
				l.Addrs[n] = peers[j]
			}
			l.Guessed = true
			continue
		}
		for _, n := range c.Nodes {
			l.Addrs[n] = Placeholder(n, l.Iface)
		}
	}
	return c
}

// Corosync renders corosync.conf.
func (m *Model) corosyncConf() string {
	c := m.Corosync
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# corosync.conf written by `heartbeat export pacemaker` from ha.cf.\n")
	w("# Copy it to /etc/corosync/corosync.conf on both nodes.\n")
	w("# authkeys is not used: create /etc/corosync/authkey with corosync-keygen\n")
	w("# on one node and copy it (mode 0400) to the other.\n")
	if hasPlaceholder(c) {
		w("# Replace every ADDRESS-OF-<node>-ON-<interface> with that node's address\n")
		w("# on that interface: heartbeat's bcast/mcast never named them.\n")
	}
	w("\ntotem {\n")
	w("\tversion: 2\n")
	w("\tcluster_name: %s\n", ClusterName)
	w("\ttransport: knet\n")
	w("\t# deadtime %s: token + consensus (1.2 x token) = deadtime\n", secs(c.Deadtime))
	w("\ttoken: %d\n", c.Token.Milliseconds())
	w("\tcrypto_cipher: aes256\n")
	w("\tcrypto_hash: sha256\n")
	for _, l := range c.Links {
		w("\n\t# link %d: %s\n", l.Number, l.From)
		w("\tinterface {\n\t\tlinknumber: %d\n\t}\n", l.Number)
	}
	w("}\n\nnodelist {\n")
	for i, n := range c.Nodes {
		w("\tnode {\n")
		w("\t\tname: %s\n", n)
		w("\t\tnodeid: %d\n", i+1)
		for _, l := range c.Links {
			w("\t\tring%d_addr: %s\n", l.Number, l.Addrs[n])
		}
		w("\t}\n")
	}
	w("}\n\nquorum {\n")
	w("\tprovider: corosync_votequorum\n")
	w("\t# two_node keeps quorum when one node dies, and implies wait_for_all:\n")
	w("\t# after a cold start of both, no resources run until both nodes have\n")
	w("\t# been seen once (heartbeat's initdead waited, then started alone).\n")
	w("\ttwo_node: 1\n")
	w("}\n\nlogging {\n\tto_syslog: yes\n\tto_logfile: no\n\ttimestamp: on\n}\n")
	return b.String()
}

func hasPlaceholder(c Corosync) bool {
	for _, l := range c.Links {
		if !l.Guessed {
			return len(c.Links) > 0
		}
	}
	return false
}
