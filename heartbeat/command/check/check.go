// Package check is `heartbeat check`: it validates ha.cf, haresources, authkeys and hbgo.cf together, against this host or as another node's, and summarises what would run.
package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hbgo/authkeys"
	"hbgo/haresources"
	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/config/hadir"
	"hbgo/internal/cfgfile"
	"hbgo/internal/diag"
	"hbgo/resource.d/filesystem"
	"hbgo/resource.d/ipaddr"
	"hbgo/resource.d/native"
	"hbgo/resource.d/sendarp"
)

// Exit statuses of `heartbeat check` (COMPAT §2.4 for 4 and 6).
const (
	ExitOK            = 0
	ExitUsage         = 2
	ExitUnreadable    = 4
	ExitNotConfigured = 6
)

// Options say what to check and where this host's facts come from.
type Options struct {
	Dir string // configuration directory; "" = /etc/ha.d
	// Node checks the configuration as that node's (-node): host-dependent
	// findings become warnings. "" = this host, from nodeinfo or uname -n.
	Node  string
	Uname func() (string, error) // nil = os.Hostname
	Host  Host                   // nil = this machine
	// Where resource scripts and dpkg's records are looked up ("" = the
	// Debian locations); tests point them at temp dirs.
	InitDir, DpkgInfoDir, DpkgStatus string
	// SystemdDirs are where heartbeat.service and its drop-ins are looked
	// up, highest precedence first (nil = DefaultSystemdDirs).
	SystemdDirs []string
}

// Host answers the questions about this machine that the checks ask.
type Host interface {
	hacf.Host
	// Dir reports whether path exists and whether it is a directory.
	Dir(path string) (exists, isDir bool)
	// Resolves reports whether a host name resolves to an address.
	Resolves(name string) bool
}

// OSHost is Host for the machine the check runs on.
type OSHost struct{ hacf.OSHost }

// Dir implements Host.
func (OSHost) Dir(path string) (bool, bool) {
	fi, err := os.Stat(path)
	return err == nil, err == nil && fi.IsDir()
}

// Resolves implements Host: the system resolver (hosts file, DNS), as
// heartbeat's gethostbyname, given 5 seconds.
func (OSHost) Resolves(name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	return err == nil && len(addrs) > 0
}

// Step is one resource of a group and the agent that will run it.
type Step struct {
	Resource   haresources.Resource
	Resolution haresources.Resolution
}

// GroupPlan is one haresources group with what runs for each resource, in start order.
type GroupPlan struct {
	Group haresources.Group
	Steps []Step
}

// Report is the outcome of one check: the loaded configuration, every
// problem of every file, and what would run.
type Report struct {
	Conf     *hadir.Conf
	Hbgo     *hacf.HbgoConfig // nil when DIR/hbgo.cf does not exist
	HbgoPath string
	Strict   bool // checked as this host's configuration (no -node)
	// Unreadable is set when any of the files could not be read for lack
	// of permission (exit 4, COMPAT §2.4).
	Unreadable bool
	Plans      []GroupPlan
	Problems   diag.Problems // sorted by file and line
}

// Ok reports whether the cluster would start with this configuration.
func (r *Report) Ok() bool { return !r.Problems.HasErrors() }

// ExitCode is 0 when the cluster would start, 4 when a file could not be
// read for lack of permission, else 6.
func (r *Report) ExitCode() int {
	switch {
	case r.Ok():
		return ExitOK
	case r.Unreadable || r.Conf.Unreadable:
		return ExitUnreadable
	}
	return ExitNotConfigured
}

// Validators returns the native agents' argument checks keyed by script
// name (an agent's ArgError gives the problem line's what and hint).
func Validators() map[string]func(args []string) error { return native.Validators() }

// Check loads and checks the configuration in o.Dir.
func Check(o Options) *Report {
	if o.Dir == "" {
		o.Dir = strings.TrimSuffix(hacf.DefaultDir, "/")
	}
	if o.Host == nil {
		o.Host = OSHost{}
	}
	strict := o.Node == ""
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		// One line instead of one per missing file.
		r := &Report{Conf: &hadir.Conf{Dir: o.Dir, Node: strings.ToLower(o.Node)}, Strict: strict}
		what := "is not a directory"
		if err != nil {
			what = fmt.Sprintf("cannot be read: %v", unwrapPath(err))
			r.Unreadable = errors.Is(err, os.ErrPermission)
		}
		r.Problems.Errorf(o.Dir, 0, "pass the directory that holds ha.cf, haresources and authkeys with -dir", "configuration directory %s", what)
		return r
	}
	c := hadir.Load(hadir.Options{Dir: o.Dir, Node: o.Node, Uname: o.Uname, Validators: Validators()})
	r := &Report{Conf: c, Strict: strict}
	ps := append(diag.Problems(nil), c.Problems...)
	sev := diag.Error
	if !strict {
		sev = diag.Warning
	}

	// authkeys: stock stops at a bad mode; the admin also wants to hear
	// what else is wrong in the file.
	akPath := filepath.Join(o.Dir, "authkeys")
	if c.Keys == nil && modeRefused(c.Problems, akPath) {
		if b, _, err := cfgfile.Read(akPath); err == nil {
			_, more := authkeys.Parse(bytes.NewReader(b), akPath)
			ps = append(ps, more...)
		}
	}

	ps = append(ps, crcKeys(c.Keys, akPath)...)

	// hbgo.cf (optional; hadir read it and reported its problems)
	r.HbgoPath = filepath.Join(o.Dir, hacf.HbgoFile)
	if c.HbgoPresent {
		r.Hbgo = c.Hbgo
	}

	// hadir notices EACCES on ha.cf and haresources only; an authkeys
	// that only root may read is the usual case for a non-root admin.
	for _, name := range []string{"ha.cf", "haresources", "authkeys", hacf.HbgoFile} {
		// cfgfile.Read: a FIFO here must not hang the check.
		if _, _, err := cfgfile.Read(filepath.Join(o.Dir, name)); errors.Is(err, os.ErrPermission) {
			r.Unreadable = true
		}
	}

	if cf := c.HaCf; cf != nil {
		ps = append(ps, hostChecks(cf, o, strict, sev)...)
	}

	plans, more := planGroups(c, o, sev)
	r.Plans = plans
	ps = append(ps, more...)
	ps = append(ps, r.watchProblems()...)
	r.Problems = ps.Sorted()
	return r
}

// hostChecks are the checks of ha.cf against this host: media, names, log directories, clients and the watchdog.
func hostChecks(cf *hacf.Config, o Options, strict bool, sev diag.Severity) diag.Problems {
	var ps diag.Problems
	ps = append(ps, cf.CheckHost(o.Host, strict)...)
	ps = append(ps, hostNames(cf, o.Host, sev)...)
	ps = append(ps, logDirs(cf, o.Host, sev)...)
	ps = append(ps, respawnClients(cf)...)
	ps = append(ps, twoNodes(cf)...)
	ps = append(ps, ucastBroadcast(cf, o.Host, sev)...)
	dirs := o.SystemdDirs
	if dirs == nil {
		dirs = DefaultSystemdDirs
	}
	ps = append(ps, watchdogVsDeadtime(cf, dirs)...)
	return ps
}

// planGroups resolves what runs for each resource of haresources, and whether it can run here.
func planGroups(c *hadir.Conf, o Options, sev diag.Severity) ([]GroupPlan, diag.Problems) {
	var plans []GroupPlan
	var ps diag.Problems
	force := c.Force
	res := &haresources.Resolver{
		Dir:         o.Dir,
		InitDir:     or(o.InitDir, "/etc/init.d"),
		DpkgInfoDir: or(o.DpkgInfoDir, "/var/lib/dpkg/info"),
		DpkgStatus:  or(o.DpkgStatus, "/var/lib/dpkg/status"),
		Native:      map[string]bool{},
		Force:       force,
	}
	for _, n := range hacf.NativeAgents {
		res.Native[n] = true
	}
	hrPath := filepath.Join(o.Dir, "haresources")
	for _, g := range c.Groups {
		p := GroupPlan{Group: g}
		for _, rs := range g.Resources {
			rsl := res.Resolve(rs)
			p.Steps = append(p.Steps, Step{Resource: rs, Resolution: rsl})
			if rsl.Kind == haresources.Missing {
				ps = append(ps, diag.Problem{File: hrPath, Line: g.Line, Severity: sev,
					What: fmt.Sprintf("resource %s: %s", rs.Token, strings.TrimPrefix(rsl.Why, "missing: ")),
					Hint: fmt.Sprintf("install the script as %s or %s (executable), or correct the name",
						filepath.Join(o.Dir, "resource.d", rs.Name), filepath.Join(res.InitDir, rs.Name)),
					Stock: "Cannot locate resource script " + rs.Name})
			}
			ps = append(ps, hostResource(o.Host, hrPath, g.Line, rs, sev)...)
		}
		plans = append(plans, p)
	}
	return plans, ps
}

// modeRefused reports whether authkeys was refused for its mode alone.
func modeRefused(ps diag.Problems, path string) bool {
	for _, p := range ps {
		if p.File == path && p.Line == 0 && strings.HasPrefix(p.Stock, "Bad permissions on keyfile") {
			return true
		}
	}
	return false
}

// hostNames checks the peer and ping names that heartbeat resolves when it
// reads ha.cf; recorded in testdata/newuser (ucast-hostname, ping-hostname,
// ping-group-hostname): stock refuses an unresolvable ucast peer or ping
// node and leaves an unresolvable ping_group member out of the group.
func hostNames(cf *hacf.Config, h Host, sev diag.Severity) diag.Problems {
	var ps diag.Problems
	isName := func(s string) bool {
		_, err := netip.ParseAddr(s)
		return s != "" && err != nil
	}
	for _, m := range cf.Media {
		switch m.Type {
		case hacf.MediumUcast, hacf.MediumUcast6:
			if isName(m.Peer) && !h.Resolves(m.Peer) {
				ps = append(ps, diag.Problem{File: cf.File, Line: m.Line, Severity: sev,
					What:  fmt.Sprintf("%s peer %s does not resolve on this host", m.Type, m.Peer),
					Hint:  "write the peer's IP address (or add the name to /etc/hosts)",
					Stock: "glib: ucast: cannot resolve hostname"})
			}
		case hacf.MediumPing, hacf.MediumPing6:
			for _, a := range m.Addrs {
				if isName(a) && !h.Resolves(a) {
					ps = append(ps, diag.Problem{File: cf.File, Line: m.Line, Severity: sev,
						What:  fmt.Sprintf("%s node %s does not resolve on this host", m.Type, a),
						Hint:  "write the ping node's IP address (or add the name to /etc/hosts)",
						Stock: fmt.Sprintf("Illegal ping [ping membership] in config file [%s]", a)})
				}
			}
		case hacf.MediumPingGroup:
			for _, a := range m.Addrs {
				if isName(a) && !h.Resolves(a) {
					ps.Warnf(cf.File, m.Line, "write the member's IP address (or add the name to /etc/hosts)",
						"ping_group %s member %s does not resolve on this host; stock leaves it out of the group", m.Name, a)
				}
			}
		}
	}
	return ps
}

// respawnClients warns about respawn/failfast clients that need heartbeat's
// client API, which hbgo does not serve: hbgo still starts them as stock
// does, but they cannot sign on; ipfail is emulated inside hbgo instead of
// started (COMPAT §5.11, §12.3). A client elsewhere than heartbeat's own
// directories (an admin's script) is assumed not to need the API.
func respawnClients(cf *hacf.Config) diag.Problems {
	var ps diag.Problems
	for _, ch := range cf.Respawn {
		if filepath.Base(ch.Path) == "ipfail" || !needsAPI(ch.Path) {
			continue
		}
		ps.Warnf(cf.File, ch.Line,
			"delete the line (dopd: use DRBD's crm-fence-peer or drbd-peer-outdater alternatives), or keep it only if the program works without heartbeat",
			"%s cannot sign on to hbgo: hbgo starts it as stock does but does not serve heartbeat's client API (only ipfail is emulated)", ch.Path)
	}
	return ps
}

// logDirs checks that the directories of logfile and debugfile exist:
// hbgo's daemon does not start without its log files (stock would only
// complain to syslog), and says so with the same hint.
func logDirs(cf *hacf.Config, h Host, sev diag.Severity) diag.Problems {
	var ps diag.Problems
	for _, d := range []struct{ name, path string }{{"logfile", cf.Logfile}, {"debugfile", cf.Debugfile}} {
		if d.path == "" || d.path == "/dev/null" || !filepath.IsAbs(d.path) {
			continue
		}
		dir := filepath.Dir(d.path)
		if _, isDir := h.Dir(dir); isDir {
			continue
		}
		line := 0
		for _, x := range cf.Directives {
			if x.Name == d.name {
				line = x.Line
			}
		}
		ps = append(ps, diag.Problem{File: cf.File, Line: line, Severity: sev,
			What: fmt.Sprintf("%s %s: directory %s does not exist on this host", d.name, d.path, dir),
			Hint: hacf.HintLogDir(d.name, dir)})
	}
	return ps
}

// needsAPI says whether a respawn client is one of heartbeat's API clients:
// installed with heartbeat (Debian: /usr/lib/heartbeat, /usr/libexec/heartbeat) or DRBD's dopd.
func needsAPI(path string) bool {
	switch filepath.Dir(path) {
	case "/usr/lib/heartbeat", "/usr/libexec/heartbeat", "/usr/lib64/heartbeat":
		return true
	}
	return filepath.Base(path) == "dopd"
}

// hostResource checks what a native resource needs from this host: an
// IPaddr/IPaddr2/SendArp interface, a Filesystem mount point that can be one.
func hostResource(h Host, file string, line int, rs haresources.Resource, sev diag.Severity) diag.Problems {
	var ps diag.Problems
	iface := ""
	switch rs.Name {
	case "IPaddr", "IPaddr2":
		k := ipaddr.IPaddr
		if rs.Name == "IPaddr2" {
			k = ipaddr.IPaddr2
		}
		if s, err := ipaddr.Parse(k, rs.Args); err == nil {
			iface = s.Iface
		}
	case "SendArp":
		if t, err := sendarp.Parse(rs.Args); err == nil {
			iface = t.Iface
		}
	case "Filesystem":
		if s, err := filesystem.Parse(rs.Args); err == nil {
			// A missing mount point is fine: the Filesystem RA and the
			// native agent create it (mkdir -p); anything else in its
			// place makes the start fail.
			if p := mountPoint(h, file, line, rs, s.Dir, sev); p != nil {
				ps = append(ps, *p)
			} else if exists, isDir := h.Dir(s.Dir); exists && !isDir {
				ps = append(ps, diag.Problem{File: file, Line: line, Severity: sev,
					What: fmt.Sprintf("resource %s: mount point %s exists on this host and is not a directory", rs.Token, s.Dir),
					Hint: "remove or rename " + s.Dir + ", or mount somewhere else"})
			}
		}
	}
	if iface != "" && !h.InterfaceExists(iface) {
		ps = append(ps, diag.Problem{File: file, Line: line, Severity: sev,
			What: fmt.Sprintf("resource %s: interface %s does not exist on this host", rs.Token, iface),
			Hint: "name an interface from `ip link`, or leave the interface out so it is found from the routes"})
	}
	return ps
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// MountPointResolver is a Host that can resolve a Filesystem mount point as
// the agent will (OSHost does; a Host without it skips the check).
type MountPointResolver interface {
	ResolveMountPoint(dir string) (string, error)
}

// ResolveMountPoint implements MountPointResolver.
func (OSHost) ResolveMountPoint(dir string) (string, error) {
	return filesystem.ResolveMountPoint(dir)
}

// mountPoint reports a Filesystem mount point that the agent will refuse on
// this host: a symbolic link, or a path whose linked parents lead to / or
// a system mount (Parse already refused those written out).
func mountPoint(h Host, file string, line int, rs haresources.Resource, dir string, sev diag.Severity) *diag.Problem {
	r, ok := h.(MountPointResolver)
	if !ok {
		return nil
	}
	_, err := r.ResolveMountPoint(dir)
	var me *filesystem.MountPointError
	if !errors.As(err, &me) {
		return nil
	}
	return &diag.Problem{File: file, Line: line, Severity: sev,
		What: fmt.Sprintf("resource %s: %s", rs.Token, strings.TrimPrefix(me.Error(), "Filesystem: ")),
		Hint: me.Hint()}
}

// crcKeys warns about every crc key line: crc authenticates nothing, so a
// forged message can move resources and reach the rc.d hooks. Stock
// accepts crc, so it stays accepted (PROTOCOL §4.3).
func crcKeys(k *authkeys.Keys, path string) diag.Problems {
	if k == nil {
		return nil
	}
	var ps diag.Problems
	for _, i := range k.CRCIndexes() {
		what := "index %d uses crc, which authenticates nothing: anyone who can send to the cluster's links can forge messages that move resources"
		if i == k.Active() {
			what += " (it signs this node's messages)"
		}
		ps.Warnf(path, k.Line(i), authkeys.CRCHint(i), what, i)
	}
	return ps
}

// twoNodes warns when ha.cf declares more than two nodes: haresources
// (heartbeat v1 resource management) is made for two, and stock accepts
// more without saying so.
func twoNodes(cf *hacf.Config) diag.Problems {
	if len(cf.Nodes) <= 2 {
		return nil
	}
	line := 0
	seen := 0
	for _, d := range cf.Directives {
		if d.Name == "node" {
			if seen++; seen == 3 {
				line = d.Line
			}
		}
	}
	var ps diag.Problems
	ps.Warnf(cf.File, line,
		"keep node lines for the two nodes that share the resources; for more nodes move to Pacemaker (see docs/MIGRATION.md)",
		"%d nodes are declared (%s); haresources clusters are two-node: a third node takes part in membership but failover only moves groups between a group's home node and one other", len(cf.Nodes), strings.Join(cf.Nodes, ", "))
	return ps
}

// BroadcastHost is a Host that knows the IPv4 broadcast addresses of its
// interfaces (OSHost does; a Host without it skips the check).
type BroadcastHost interface {
	Broadcasts(iface string) []netip.Addr
}

// Broadcasts implements BroadcastHost: the directed broadcast address of
// every IPv4 subnet on iface (none for /31 and /32).
func (OSHost) Broadcasts(iface string) []netip.Addr {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		pfx, ok := netipPrefix(ipn)
		if !ok || !pfx.Addr().Is4() || pfx.Bits() >= 31 {
			continue
		}
		out = append(out, ipaddr.Broadcast(pfx.Addr(), pfx.Bits()))
	}
	return out
}

func netipPrefix(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), bits), true
}

// ucastBroadcast refuses a ucast peer that is the directed broadcast
// address of a subnet on its interface: ucast is one peer (hacf refuses
// the host-independent cases, 255.255.255.255, 0.0.0.0 and multicast).
func ucastBroadcast(cf *hacf.Config, h Host, sev diag.Severity) diag.Problems {
	bh, ok := h.(BroadcastHost)
	if !ok {
		return nil
	}
	var ps diag.Problems
	for _, m := range cf.Media {
		if m.Type != hacf.MediumUcast {
			continue
		}
		a, err := netip.ParseAddr(m.Peer)
		if err != nil {
			continue
		}
		for _, b := range bh.Broadcasts(m.Iface) {
			if a.Unmap() == b {
				ps = append(ps, diag.Problem{File: cf.File, Line: m.Line, Severity: sev,
					What: fmt.Sprintf("ucast peer %s is the broadcast address of %s's subnet, not one node", m.Peer, m.Iface),
					Hint: fmt.Sprintf("write ucast %s <the peer's own address>, or bcast %s for a link to every node", m.Iface, m.Iface)})
				break
			}
		}
	}
	return ps
}
