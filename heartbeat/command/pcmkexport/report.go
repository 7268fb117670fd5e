package pcmkexport

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"hbgo/heartbeat/config/hacf"
)

// directiveNotes says, for every directive ha.cf applied, what it became.
func directiveNotes(cf *hacf.Config, m *Model, ipfail bool) []Note {
	linkOf := func(line int) string {
		for _, l := range m.Corosync.Links {
			if strings.Contains(l.From, fmt.Sprintf("(ha.cf:%d)", line)) {
				return fmt.Sprintf("corosync knet link %d (ring%d_addr)", l.Number, l.Number)
			}
		}
		return ""
	}
	var out []Note
	for _, d := range cf.Directives {
		n := Note{Where: fmt.Sprintf("ha.cf:%d", d.Line), What: strings.TrimSpace(d.Name + " " + d.Value)}
		switch d.Name {
		case "node":
			n.Became = "corosync nodelist entry and CIB <node> " + d.Value
			n.Why = "Pacemaker's node names must be what `uname -n` (or corosync's name:) says, as heartbeat's were"
		case "keepalive":
			n.Became = "(no setting)"
			n.Why = "corosync circulates its token continuously; its pace follows token"
		case "deadtime":
			n.Became = fmt.Sprintf("totem token: %d", m.Corosync.Token.Milliseconds())
			n.Why = fmt.Sprintf("a node is declared lost after token + consensus (1.2 x token) = about %s", secs(cf.Deadtime))
		case "warntime":
			n.Became = "(no equivalent)"
			n.Why = "corosync logs retransmits and token timeouts, not late heartbeats"
		case "initdead":
			n.Became = "quorum two_node: 1 (wait_for_all)"
			n.Why = "after a cold start both nodes must have seen each other once before anything starts; heartbeat started alone after initdead"
		case "udpport":
			n.Became = "(corosync default port 5405)"
			n.Why = "open UDP 5405 between the nodes instead of 694"
		case "bcast", "mcast", "ucast", "mcast6", "ucast6":
			n.Became = linkOf(d.Line)
			n.Why = "knet sends unicast to each node's ring address"
		case "serial", "baud":
			n.Became = "(no equivalent)"
			n.Why = "corosync has no serial link: use a second network link, and real fencing"
		case "auto_failback":
			switch cf.AutoFailback {
			case hacf.FailbackOff:
				n.Became = fmt.Sprintf("rsc_defaults resource-stickiness=%d (above the location score %d)", Stickiness, LocationScore)
				n.Why = "a group stays where it runs when its home node returns"
			case hacf.FailbackOn:
				n.Became = "rsc_defaults resource-stickiness=0"
				n.Why = "a group goes back to its home node when that node returns"
			default:
				n.Became = "rsc_defaults resource-stickiness=0 (as auto_failback on)"
				n.Why = "legacy's ip-request protocol has no Pacemaker form: the home node takes its groups back when it joins, as legacy did in the common case; see Behaviour that changes"
			}
		case "ping", "ping_group":
			n.Became = "host_list of the ping clone"
			if !ipfail {
				n.Why = "without ipfail heartbeat only watched ping nodes: the clone sets the pingd attribute but no rule moves resources"
			}
			if d.Name == "ping_group" {
				n.Why = join(n.Why, "ping counts each member: one member lost lowers the score, where a ping_group stayed up while any member answered")
			}
		case "deadping":
			n.Became = "ping clone dampen=" + secs(cf.Deadping)
		case "respawn":
			if strings.Contains(d.Value, "ipfail") {
				n.Became = "location rules score-attribute=pingd on every group"
				n.Why = "the node that reaches more ping hosts runs the groups"
			} else {
				n.Became = "(not exported)"
				n.Why = "start it with systemd, or as a resource of its own"
			}
		case "apiauth":
			n.Became = "(not needed)"
			n.Why = "heartbeat's API clients do not exist in Pacemaker"
		case "stonith", "stonith_host":
			n.Became = "(not exported, see Needs your attention)"
			for _, s := range m.Stonith {
				if s.Line == d.Line {
					n.Became = describe(s)
				}
			}
		case "logfile", "debugfile", "logfacility", "use_logd", "debug":
			n.Became = "corosync logging to_syslog; Pacemaker logs to /var/log/pacemaker/pacemaker.log"
		case "watchdog":
			n.Became = "(not exported)"
			n.Why = "Pacemaker uses a watchdog through sbd: install and configure sbd"
		case "crm", "pacemaker":
			n.Became = "(not needed)"
		default:
			n.Became = "(no equivalent)"
		}
		out = append(out, n)
	}
	return out
}

// changes lists what behaves differently on Pacemaker.
func changes(cf *hacf.Config, m *Model, ipfail bool) []string {
	var out []string
	drbd := ""
	if len(m.Promotable) > 0 {
		drbd = " (DRBD every 29 s when Promoted, 31 s when Unpromoted)"
	}
	out = append(out, fmt.Sprintf("Resources are now monitored every %d s%s; heartbeat never monitored them. A failed monitor restarts the resource (and the rest of its group) on the same node; set migration-threshold to move it instead.", int(MonitorInterval/time.Second), drbd))
	out = append(out, fmt.Sprintf("A node is declared lost after corosync's token (%d ms) plus consensus (1.2 x token), about the old deadtime %s.", m.Corosync.Token.Milliseconds(), secs(cf.Deadtime)))
	switch cf.AutoFailback {
	case hacf.FailbackOff:
		out = append(out, "auto_failback off: each group prefers its haresources node (score 100) but every running resource has stickiness 200, so a group stays where it runs when its home node returns, as with heartbeat.")
	case hacf.FailbackOn:
		out = append(out, "auto_failback on: each group prefers its haresources node (score 100) with stickiness 0, so it moves back when that node returns, as with heartbeat.")
	default:
		out = append(out, "auto_failback legacy: heartbeat's old ip-request protocol let the returning node ask for its groups back. Pacemaker has no such protocol; the export behaves as auto_failback on (stickiness 0): groups move back when their home node rejoins. Choose resource-stickiness=200 if they should stay.")
	}
	if len(m.Promotable) > 0 {
		out = append(out, "DRBD runs on both nodes: Promoted (Primary) where the group runs, Unpromoted (Secondary) on the peer. drbddisk only made it Primary and Secondary; it never started or stopped replication, and ocf:linbit:drbd does (drbdadm up/down). Install drbd-utils, which ships the agent, on both nodes.")
	}
	if len(m.Stonith) == 0 {
		out = append(out, "No STONITH is configured: stonith-enabled=false. Pacemaker then cannot make sure a lost node is really down, so a split brain (both nodes running the groups) is possible, as it was with heartbeat. A stop that fails leaves the resource blocked until an admin runs `crm_resource --cleanup`; heartbeat rebooted the node instead. Pacemaker's own documentation says a production cluster needs fencing.")
	} else {
		out = append(out, "STONITH is on (stonith-enabled=true): a lost node is fenced before its resources start elsewhere, and a failed stop fences the node.")
	}
	out = append(out, "Quorum: corosync's two_node: 1 gives the surviving node quorum when its peer dies, so resources keep running (no-quorum-policy stays at its default and never stops everything on a two-node cluster). two_node implies wait_for_all: after both nodes were down, nothing starts until both have been seen once.")
	if len(cf.PingNodes()) > 0 && ipfail {
		out = append(out, "ipfail becomes an ocf:pacemaker:ping clone: each node's pingd attribute is the number of ping hosts it reaches times the multiplier, and the groups prefer the higher score. The decision is made by Pacemaker's scheduler at once; there is no exchange between two ipfail clients.")
	}
	for _, s := range m.Corosync.Serial {
		out = append(out, "The "+s+" link has no corosync equivalent and is dropped: add a second network link.")
	}
	return out
}

// Report renders REPORT.md.
func (m *Model) Report(dir string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Moving %s to Pacemaker: export report\n\n", filepath.Clean(dir))
	w("Written by `heartbeat export pacemaker` with cib.xml, corosync.conf, pcs.sh and crm.txt.\n")
	w("Nodes: %s. Every ha.cf directive and haresources resource is listed below with what it became.\n\n", strings.Join(m.Nodes, ", "))

	w("## Needs your attention\n\n")
	att := 0
	for _, u := range m.Unmapped {
		w("- NOT EXPORTED: %s\n", u)
		att++
	}
	for _, l := range m.Corosync.Links {
		if l.Guessed {
			w("- corosync link %d (%s): ucast addresses were assigned in node order (%s); heartbeat never said which address is whose. Check them.\n", l.Number, l.From, addrList(m.Nodes, l.Addrs))
		} else {
			w("- corosync link %d (%s): fill in each node's address for %s in corosync.conf (%s).\n", l.Number, l.From, l.Iface, addrList(m.Nodes, l.Addrs))
		}
		att++
	}
	w("- authkeys is not used: run corosync-keygen on one node and copy /etc/corosync/authkey to the other (mode 0400).\n")
	if len(m.Stonith) == 0 {
		w("- No STONITH: see below what that means on Pacemaker.\n")
	}
	_ = att
	w("\n## Behaviour that changes\n\n")
	for _, c := range m.Changes {
		w("- %s\n", c)
	}
	w("\n## ha.cf\n\n| where | directive | became | notes |\n|---|---|---|---|\n")
	for _, n := range m.Directives {
		w("| %s | `%s` | %s | %s |\n", n.Where, cell(n.What), cell(n.Became), cell(n.Why))
	}
	w("\n## haresources\n\n| where | resource | became | notes |\n|---|---|---|---|\n")
	for _, n := range sortedNotes(m.Resources) {
		w("| %s | `%s` | %s | %s |\n", n.Where, cell(n.What), cell(n.Became), cell(n.Why))
	}
	w("\n## Groups and constraints\n\n")
	for _, g := range m.Groups {
		var ids []string
		for _, p := range g.Prims {
			ids = append(ids, p.ID)
		}
		w("- haresources:%d `%s` → group %s (%s), prefers %s (score %d)", g.Line, cell(g.Text), g.ID, strings.Join(ids, ", "), g.Node, LocationScore)
		for _, c := range g.Promoted {
			w("; runs with the Promoted instance of %s and starts after its promotion", c)
		}
		w(".\n")
	}
	if len(m.Groups) == 0 {
		w("- no resource groups.\n")
	}
	for _, s := range m.Stonith {
		w("- stonith device %s (%s)", s.ID, s.Agent())
		for _, l := range m.Locations {
			if l.Rsc == s.ID {
				w(", never used from %s", l.Node)
			}
		}
		w(".\n")
	}
	w("\n## Cluster options\n\n")
	for _, p := range m.Props {
		w("- %s=%s\n", p.Name, p.Value)
	}
	for _, p := range m.RscMeta {
		w("- rsc_defaults %s=%s\n", p.Name, p.Value)
	}
	return b.String()
}

func addrList(nodes []string, addrs map[string]string) string {
	var parts []string
	for _, n := range nodes {
		parts = append(parts, n+"="+addrs[n])
	}
	return strings.Join(parts, ", ")
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
