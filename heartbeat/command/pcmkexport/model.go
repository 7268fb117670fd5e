// Package pcmkexport is `heartbeat export pacemaker`: it turns the ha.cf and haresources hbgo runs on into a Pacemaker CIB, a corosync.conf, the same configuration as pcs and crmsh commands, and a report of every mapping.
package pcmkexport

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"hbgo/haresources"
	"hbgo/heartbeat/config/hacf"
	"hbgo/resource.d/delay"
	"hbgo/resource.d/filesystem"
	"hbgo/resource.d/ipaddr"
	"hbgo/resource.d/sendarp"
)

// Scores and attributes of the exported configuration.
const (
	// LocationScore is each group's preference for its haresources node.
	LocationScore = 100
	// Stickiness is the per-resource stickiness written for auto_failback
	// off: one resource's stickiness alone outweighs LocationScore, so a
	// group stays where it runs (a group's stickiness is its members' sum).
	Stickiness = 200
	// PingAttr is the node attribute ocf:pacemaker:ping sets.
	PingAttr = "pingd"
	// ClusterName is corosync's cluster_name and the CIB's cluster-name.
	ClusterName = "hbgo"
	// MonitorInterval is the monitor interval of every exported resource but DRBD's.
	MonitorInterval = 10 * time.Second
)

// NV is one name=value parameter or meta attribute, in output order.
type NV struct{ Name, Value string }

// Op is one operation definition of a primitive.
type Op struct {
	Name     string // monitor
	Interval string // "10s"
	Timeout  string // "" = the agent's default
	Role     string // "" or Promoted / Unpromoted
}

// Primitive is one Pacemaker resource.
type Primitive struct {
	ID       string
	Class    string // ocf, lsb, stonith
	Provider string // ocf only
	Type     string
	Params   []NV
	Ops      []Op
	Token    string // the haresources token (or ha.cf line) it came from
	Line     int    // stonith devices: the ha.cf line
}

// Agent is the primitive's class:provider:type spelling.
func (p Primitive) Agent() string {
	if p.Provider != "" {
		return p.Class + ":" + p.Provider + ":" + p.Type
	}
	return p.Class + ":" + p.Type
}

// Promotable is a promotable clone (DRBD's Promoted/Unpromoted pair).
type Promotable struct {
	ID   string
	Prim Primitive
	Meta []NV
}

// Clone is an anonymous clone running on every node (ping).
type Clone struct {
	ID   string
	Prim Primitive
	Meta []NV
}

// Group is one haresources line.
type Group struct {
	ID    string
	Node  string // preferred node
	Line  int    // haresources line
	Text  string // the normalised haresources line
	Prims []Primitive
	// Promoted lists the promotable clones (IDs) the group must run with,
	// in haresources order: colocated with their Promoted instance and
	// started after their promotion.
	Promoted []string
}

// Location is a node preference (or a ban with Score "-INFINITY").
type Location struct {
	ID, Rsc, Node, Score string
}

// PingRule is a location rule scoring nodes by the ping attribute.
type PingRule struct {
	ID, Rsc string
}

// Colocation ties Rsc to the Promoted instance of WithRsc.
type Colocation struct {
	ID, Rsc, WithRsc string
}

// Order starts Then after First's promotion.
type Order struct {
	ID, First, Then string
}

// Note is one line of REPORT.md's mapping tables.
type Note struct {
	Where  string // "ha.cf:12" or "haresources:3"
	What   string // the directive or token
	Became string
	Why    string // "" or what changes or why nothing could be mapped
}

// Model is the whole exported configuration, from which every output file is written.
type Model struct {
	Nodes      []string
	Groups     []Group
	Promotable []Promotable
	Clones     []Clone
	Stonith    []Primitive
	Locations  []Location
	PingRules  []PingRule
	Colocs     []Colocation
	Orders     []Order
	Props      []NV // cluster options
	RscMeta    []NV // rsc_defaults
	Corosync   Corosync

	Directives []Note // ha.cf, one per applied directive
	Resources  []Note // haresources, one per token
	Changes    []string
	Unmapped   []string // resources left out, for stderr and the report's top
}

// Source is what Build reads: the loaded configuration and its directory.
type Source struct {
	Dir    string
	HaCf   *hacf.Config
	Groups []haresources.Group
	// Exists reports whether a path exists (for DIR/resource.d lookups); nil = os.Stat.
	Exists func(string) bool
}

// stockResourceD lists the scripts stock heartbeat ships in resource.d: a
// name among them (or present in DIR/resource.d) is a heartbeat resource
// script, not an init script.
var stockResourceD = map[string]bool{
	"AudibleAlarm": true, "Delay": true, "Filesystem": true, "ICP": true, "IPaddr": true,
	"IPaddr2": true, "IPsrcaddr": true, "IPv6addr": true, "LVM": true, "LinuxSCSI": true,
	"MailTo": true, "OCF": true, "Raid1": true, "SendArp": true, "ServeRAID": true, "WAS": true,
	"WinPopup": true, "Xinetd": true, "apache": true, "db2": true, "drbddisk": true,
	"hto-mapfuncs": true, "ids": true, "portblock": true,
}

// idSafe turns text into an XML ID fragment: letters, digits, '.', '-' and '_'.
func idSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_")
	if out == "" {
		out = "x"
	}
	return out
}

type ids map[string]bool

// take returns base, or base-2, base-3 … when base is taken.
func (u ids) take(base string) string {
	id := base
	for n := 2; u[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	u[id] = true
	return id
}

func monitor() []Op {
	return []Op{{Name: "monitor", Interval: secs(MonitorInterval), Timeout: "20s"}}
}

func secs(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// Build maps a loaded configuration onto Pacemaker.
func Build(src Source) (*Model, error) {
	cf := src.HaCf
	if cf == nil {
		return nil, fmt.Errorf("no ha.cf")
	}
	if len(cf.Nodes) != 2 {
		return nil, fmt.Errorf("%s: %d node lines; the export writes a two-node cluster (got nodes %q)", cf.File, len(cf.Nodes), cf.Nodes)
	}
	exists := src.Exists
	if exists == nil {
		exists = func(p string) bool { _, err := os.Stat(p); return err == nil }
	}
	m := &Model{Nodes: append([]string(nil), cf.Nodes...)}
	used := ids{}

	ipfail := false
	for _, c := range cf.Respawn {
		if filepath.Base(c.Path) == "ipfail" {
			ipfail = true
		}
	}

	for _, g := range src.Groups {
		if err := m.addGroup(g, src.Dir, exists, used); err != nil {
			return nil, err
		}
	}

	// Failback.
	switch cf.AutoFailback {
	case hacf.FailbackOff:
		m.RscMeta = append(m.RscMeta, NV{"resource-stickiness", strconv.Itoa(Stickiness)})
	default:
		m.RscMeta = append(m.RscMeta, NV{"resource-stickiness", "0"})
	}

	// Ping nodes.
	m.addPing(cf, used, ipfail)

	// STONITH.
	for _, s := range cf.Stonith {
		st, note := mapStonith(s, cf.Nodes, used, &m.Locations)
		note.Where = fmt.Sprintf("ha.cf:%d", s.Line)
		if st != nil {
			m.Stonith = append(m.Stonith, *st)
		} else {
			m.Unmapped = append(m.Unmapped, note.Where+": "+note.What+": "+note.Why)
		}
	}
	m.Props = append(m.Props, NV{"stonith-enabled", strconv.FormatBool(len(m.Stonith) > 0)}, NV{"cluster-name", ClusterName})

	m.Corosync = buildCorosync(cf)
	m.Directives = directiveNotes(cf, m, ipfail)
	m.Changes = changes(cf, m, ipfail)
	return m, nil
}

// addGroup maps one haresources line: its resources, its group (or only the
// promotion's location when none is left) and the constraints tying them.
func (m *Model) addGroup(g haresources.Group, dir string, exists func(string) bool, used ids) error {
	hr := func(line int) string { return fmt.Sprintf("haresources:%d", line) }
	grp := Group{Node: g.Node, Line: g.Line, Text: g.Text()}
	for _, r := range g.Resources {
		p, pr, note, err := mapResource(r, dir, exists, used)
		note.Where = hr(g.Line)
		note.What = r.Token
		if err != nil {
			return fmt.Errorf("%s: resource %s: %w", hr(g.Line), r.Token, err)
		}
		m.Resources = append(m.Resources, note)
		switch {
		case pr != nil:
			m.Promotable = append(m.Promotable, *pr)
			grp.Promoted = append(grp.Promoted, pr.ID)
		case p != nil:
			grp.Prims = append(grp.Prims, *p)
		default:
			m.Unmapped = append(m.Unmapped, fmt.Sprintf("%s: %s: %s", note.Where, r.Token, note.Why))
		}
	}
	if len(grp.Prims) == 0 {
		// A line of only DRBD (or unmapped) resources: the clone
		// constraints still need something to tie to; keep the
		// location on the promotion instead.
		for _, c := range grp.Promoted {
			m.Locations = append(m.Locations, Location{ID: used.take("loc_" + c + "_" + g.Node), Rsc: c, Node: g.Node, Score: strconv.Itoa(LocationScore)})
		}
		return nil
	}
	gid := used.take("grp_" + idSafe(groupName(g, grp.Prims)))
	grp.ID = gid
	m.Groups = append(m.Groups, grp)
	m.Locations = append(m.Locations, Location{ID: used.take("loc_" + gid + "_" + g.Node), Rsc: gid, Node: g.Node, Score: strconv.Itoa(LocationScore)})
	for _, c := range grp.Promoted {
		m.Colocs = append(m.Colocs, Colocation{ID: used.take("col_" + gid + "_" + c), Rsc: gid, WithRsc: c})
		m.Orders = append(m.Orders, Order{ID: used.take("ord_" + c + "_" + gid), First: c, Then: gid})
	}
	return nil
}

// addPing maps ping nodes to a cloned ocf:pacemaker:ping and, where ipfail ran, a location rule per group.
func (m *Model) addPing(cf *hacf.Config, used ids, ipfail bool) {
	var hosts []string
	for _, pn := range cf.PingNodes() {
		hosts = append(hosts, pn.Addrs...)
	}
	if len(hosts) > 0 {
		dampen := cf.Deadping
		if dampen <= 0 {
			dampen = cf.Deadtime
		}
		maxMembers := 1
		for _, g := range m.Groups {
			maxMembers = max(maxMembers, len(g.Prims))
		}
		// One ping host's worth must outweigh the home preference and the
		// biggest group's whole stickiness, as ipfail's count did.
		mult := 1000
		for mult <= LocationScore+Stickiness*maxMembers {
			mult += 1000
		}
		p := Primitive{ID: used.take("ping"), Class: "ocf", Provider: "pacemaker", Type: "ping", Token: "ping",
			Params: []NV{{"host_list", strings.Join(hosts, " ")}, {"name", PingAttr}, {"dampen", secs(dampen)}, {"multiplier", strconv.Itoa(mult)}},
			Ops:    monitor()}
		m.Clones = append(m.Clones, Clone{ID: used.take("ping-clone"), Prim: p})
		if ipfail {
			for _, g := range m.Groups {
				m.PingRules = append(m.PingRules, PingRule{ID: used.take("loc_" + g.ID + "_ping"), Rsc: g.ID})
			}
		}
	}
}

// groupName names a group after its service: the last exported init
// script, else the first haresources resource.
func groupName(g haresources.Group, prims []Primitive) string {
	for i := len(prims) - 1; i >= 0; i-- {
		if prims[i].Class == "lsb" {
			return prims[i].Type
		}
	}
	r := g.Resources[0]
	if len(r.Args) > 0 {
		return r.Name + "_" + r.Args[0]
	}
	return r.Name
}

// mapResource maps one haresources resource: a primitive, a promotable
// clone, or neither (the note says why).
func mapResource(r haresources.Resource, dir string, exists func(string) bool, used ids) (*Primitive, *Promotable, Note, error) {
	argErr := func(err error) (*Primitive, *Promotable, Note, error) { return nil, nil, Note{}, err }
	switch r.Name {
	case "IPaddr", "IPaddr2":
		return mapIPaddr(r, used)
	case "Filesystem":
		return mapFilesystem(r, used)
	case "drbddisk":
		return mapDrbddisk(r, used)
	case "SendArp":
		t, err := sendarp.Parse(r.Args)
		if err != nil {
			return argErr(err)
		}
		p := &Primitive{ID: used.take("arp_" + t.IP.String()), Class: "ocf", Provider: "heartbeat", Type: "SendArp", Token: r.Token,
			Params: []NV{{"ip", t.IP.String()}, {"nic", t.Iface}}, Ops: monitor()}
		return p, nil, Note{Became: describe(*p)}, nil
	case "Delay":
		start, stop, err := delay.Parse(r.Args)
		if err != nil {
			return argErr(err)
		}
		p := &Primitive{ID: used.take("delay"), Class: "ocf", Provider: "heartbeat", Type: "Delay", Token: r.Token,
			Params: []NV{{"startdelay", strconv.Itoa(int(start / time.Second))}, {"stopdelay", strconv.Itoa(int(stop / time.Second))}, {"mondelay", "0"}}, Ops: monitor()}
		return p, nil, Note{Became: describe(*p), Why: "the monitor answers at once (mondelay=0)"}, nil
	case "MailTo":
		if len(r.Args) == 0 || len(r.Args) > 2 {
			return argErr(fmt.Errorf("MailTo takes an address and an optional subject, got %d arguments", len(r.Args)))
		}
		p := &Primitive{ID: used.take("mailto"), Class: "ocf", Provider: "heartbeat", Type: "MailTo", Token: r.Token,
			Params: []NV{{"email", r.Args[0]}}, Ops: monitor()}
		if len(r.Args) > 1 {
			p.Params = append(p.Params, NV{"subject", r.Args[1]})
		}
		return p, nil, Note{Became: describe(*p)}, nil
	case "apache":
		// resource.d/apache runs ocf:heartbeat:apache with its one argument
		// as configfile (heartbeat searches resource.d before init.d).
		if len(r.Args) > 1 {
			return argErr(fmt.Errorf("apache takes at most a config file, got %d arguments", len(r.Args)))
		}
		p := &Primitive{ID: used.take("apache"), Class: "ocf", Provider: "heartbeat", Type: "apache", Token: r.Token, Ops: monitor()}
		if len(r.Args) == 1 {
			p.Params = []NV{{"configfile", r.Args[0]}}
		}
		return p, nil, Note{Became: describe(*p), Why: "heartbeat ran resource.d/apache, its wrapper of this OCF agent; the monitor fetches the server-status page, which must be enabled"}, nil
	case "IPsrcaddr":
		if len(r.Args) != 1 {
			return argErr(fmt.Errorf("IPsrcaddr takes one address, got %d arguments", len(r.Args)))
		}
		p := &Primitive{ID: used.take("srcaddr_" + idSafe(r.Args[0])), Class: "ocf", Provider: "heartbeat", Type: "IPsrcaddr", Token: r.Token,
			Params: []NV{{"ipaddress", r.Args[0]}}, Ops: monitor()}
		return p, nil, Note{Became: describe(*p)}, nil
	}
	if stockResourceD[r.Name] || exists(filepath.Join(dir, "resource.d", r.Name)) {
		return nil, nil, Note{Became: "(not exported)",
			Why: "heartbeat resource script with no OCF equivalent here: add its Pacemaker counterpart by hand (ocf:heartbeat:" + r.Name + " if resource-agents has one), or wrap it as an LSB script"}, nil
	}
	p := &Primitive{ID: used.take(idSafe(r.Name)), Class: "lsb", Type: r.Name, Token: r.Token, Ops: monitor()}
	why := "init script: Pacemaker runs /etc/init.d/" + r.Name + " start|stop|status; its status must follow LSB exit codes (3 = stopped)"
	if len(r.Args) > 0 {
		why = join(why, "LSB scripts take no arguments: heartbeat passed "+strings.Join(r.Args, " ")+", Pacemaker will not")
	}
	return p, nil, Note{Became: describe(*p), Why: why}, nil
}

// mapIPaddr maps IPaddr and IPaddr2 to ocf:heartbeat:IPaddr2.
func mapIPaddr(r haresources.Resource, used ids) (*Primitive, *Promotable, Note, error) {
	kind := ipaddr.IPaddr
	if r.Name == "IPaddr2" {
		kind = ipaddr.IPaddr2
	}
	s, err := ipaddr.Parse(kind, r.Args)
	if err != nil {
		return nil, nil, Note{}, err
	}
	p := &Primitive{ID: used.take("ip_" + s.IP.String()), Class: "ocf", Provider: "heartbeat", Type: "IPaddr2", Token: r.Token,
		Params: []NV{{"ip", s.IP.String()}}, Ops: monitor()}
	why := ""
	if s.Bits >= 0 {
		p.Params = append(p.Params, NV{"cidr_netmask", strconv.Itoa(s.Bits)})
	} else {
		why = "no netmask given: IPaddr2 finds it from the routing table as heartbeat's findif did"
	}
	if s.Iface != "" {
		p.Params = append(p.Params, NV{"nic", s.Iface})
	}
	if s.Label != "" {
		_, lbl, _ := strings.Cut(s.Label, ":")
		p.Params = append(p.Params, NV{"iflabel", lbl})
	}
	if s.Broadcast.IsValid() {
		p.Params = append(p.Params, NV{"broadcast", s.Broadcast.String()})
	}
	if kind == ipaddr.IPaddr {
		why = join(why, "IPaddr (ifconfig aliases) becomes IPaddr2 (ip addr); the address has no eth0:N alias label")
	}
	return p, nil, Note{Became: describe(*p), Why: why}, nil
}

// mapFilesystem maps Filesystem to ocf:heartbeat:Filesystem.
func mapFilesystem(r haresources.Resource, used ids) (*Primitive, *Promotable, Note, error) {
	s, err := filesystem.Parse(r.Args)
	if err != nil {
		return nil, nil, Note{}, err
	}
	p := &Primitive{ID: used.take("fs_" + idSafe(s.Dir)), Class: "ocf", Provider: "heartbeat", Type: "Filesystem", Token: r.Token,
		Params: []NV{{"device", s.Device}, {"directory", s.Dir}},
		// The agent advises 40 s for its monitor (it may stat a slow mount).
		Ops: []Op{{Name: "monitor", Interval: secs(MonitorInterval), Timeout: "40s"}}}
	if s.FSType != "" {
		p.Params = append(p.Params, NV{"fstype", s.FSType})
	}
	if s.Options != "" {
		p.Params = append(p.Params, NV{"options", s.Options})
	}
	return p, nil, Note{Became: describe(*p)}, nil
}

// mapDrbddisk maps drbddisk to a promotable clone of ocf:linbit:drbd.
func mapDrbddisk(r haresources.Resource, used ids) (*Primitive, *Promotable, Note, error) {
	res := "all"
	if len(r.Args) > 0 {
		res = r.Args[0]
	}
	why := "a promotable clone on both nodes: DRBD is Unpromoted (Secondary) on the peer instead of down, and the group runs where it is Promoted"
	if res == "all" {
		why = join(why, "drbddisk without a resource name meant every DRBD resource; ocf:linbit:drbd manages one: write one clone per resource")
	}
	p := Primitive{ID: used.take("drbd_" + idSafe(res)), Class: "ocf", Provider: "linbit", Type: "drbd", Token: r.Token,
		Params: []NV{{"drbd_resource", res}},
		Ops: []Op{{Name: "monitor", Interval: "29s", Timeout: "20s", Role: "Promoted"},
			{Name: "monitor", Interval: "31s", Timeout: "20s", Role: "Unpromoted"}}}
	pr := &Promotable{ID: used.take(p.ID + "-clone"), Prim: p, Meta: []NV{{"promotable", "true"},
		{"promoted-max", "1"}, {"promoted-node-max", "1"}, {"clone-max", "2"}, {"clone-node-max", "1"}, {"notify", "true"}}}
	return nil, pr, Note{Became: "promotable clone " + pr.ID + " of " + p.Agent() + " drbd_resource=" + res, Why: why}, nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func describe(p Primitive) string {
	s := p.ID + " (" + p.Agent()
	for _, nv := range p.Params {
		s += " " + nv.Name + "=" + nv.Value
	}
	return s + ")"
}

// stonithParam names the first positional parameter of cluster-glue
// plugins whose only parameter is the host list.
var stonithHostlist = map[string]bool{"external/ssh": true, "ssh": true, "null": true, "meatware": true, "suicide": true, "external/kdumpcheck": false}

// mapStonith maps a stonith or stonith_host line onto a cluster-glue
// (class stonith) device, usable only from the node the line named.
func mapStonith(s hacf.Stonith, nodes []string, used ids, locs *[]Location) (*Primitive, Note) {
	what := "stonith_host " + s.Host + " " + s.Type + " " + s.Params
	if s.Host == "" {
		what = "stonith " + s.Type + " " + s.Params
		return nil, Note{What: what, Why: "stonith with a configuration file has no Pacemaker form: create the device with `pcs stonith create` and the plugin's parameters"}
	}
	p := &Primitive{ID: used.take("st_" + idSafe(s.Type) + "_" + idSafe(s.Host)), Class: "stonith", Type: s.Type, Token: what, Line: s.Line,
		Ops: []Op{{Name: "monitor", Interval: "60s", Timeout: "20s"}}}
	why := ""
	if stonithHostlist[s.Type] {
		p.Params = []NV{{"hostlist", s.Params}}
	} else if s.Params != "" {
		// cluster-glue plugins name their parameters; stonith_host gave
		// them by position. `stonith -t TYPE -n` lists the names.
		p.Params = []NV{{"hostlist", s.Params}}
		why = "parameters given by position: check their names with `stonith -t " + s.Type + " -n` and fix the primitive"
	}
	if s.Host != "*" {
		for _, n := range nodes {
			if n != s.Host {
				*locs = append(*locs, Location{ID: used.take("loc_" + p.ID + "_" + n), Rsc: p.ID, Node: n, Score: "-INFINITY"})
			}
		}
	}
	return p, Note{What: what, Became: describe(*p), Why: why}
}

// sortedNotes returns notes sorted by file line.
func sortedNotes(ns []Note) []Note {
	out := append([]Note(nil), ns...)
	sort.SliceStable(out, func(i, j int) bool { return lineOf(out[i].Where) < lineOf(out[j].Where) })
	return out
}

func lineOf(where string) int {
	_, l, _ := strings.Cut(where, ":")
	n, _ := strconv.Atoi(l)
	return n
}
