package check

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"hbgo/heartbeat/config/hacf"
)

// Main is `heartbeat check [-dir DIR] [-node NAME]`: problems on stderr, one
// a line, the summary on stdout when the cluster would start; it returns
// the exit status (0, 2 usage, 4 unreadable, 6 not configured).
func Main(args []string, o Options, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("heartbeat check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", or(o.Dir, "/etc/ha.d"), "configuration directory")
	node := fs.String("node", o.Node, "check the configuration as this node's (default: nodeinfo or uname -n)")
	usage := func(why string) int {
		if why != "" {
			fmt.Fprintf(stderr, "heartbeat check: %s\n", why)
		}
		fmt.Fprintln(stderr, "usage: heartbeat check [-dir DIR] [-node NAME]")
		fmt.Fprintln(stderr, "  -dir DIR    configuration directory (default /etc/ha.d)")
		fmt.Fprintln(stderr, "  -node NAME  check as that node's configuration; host-dependent problems become warnings")
		return ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return usage("")
		}
		return usage(err.Error())
	}
	if fs.NArg() > 0 {
		return usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *dir == "" {
		return usage("-dir needs a directory")
	}
	o.Dir, o.Node = strings.TrimSuffix(*dir, "/"), *node
	if o.Dir == "" {
		o.Dir = "/"
	}
	r := Check(o)
	for _, p := range r.Problems {
		fmt.Fprintln(stderr, p.Error())
	}
	if !r.Ok() {
		n := len(r.Problems.Errors())
		fmt.Fprintf(stderr, "%s: %d %s: the cluster would not start\n", o.Dir, n, plural(n, "error", "errors"))
		return r.ExitCode()
	}
	r.WriteSummary(stdout)
	return ExitOK
}

// WriteSummary writes what the cluster would run with: nodes, media,
// timings in ms, keys, groups in start order with each resource's agent,
// and hbgo.cf's settings.
func (r *Report) WriteSummary(w io.Writer) {
	c := r.Conf
	cf := c.HaCf
	mode := "this host's configuration"
	if !r.Strict {
		mode = "as " + c.Node + "'s configuration (host-dependent problems are warnings)"
	}
	fmt.Fprintf(w, "%s: OK for node %s, checked %s\n", c.Dir, c.Node, mode)
	if cf == nil {
		return
	}
	fmt.Fprintf(w, "nodes: %s\n", strings.Join(cf.Nodes, " "))
	fmt.Fprintln(w, "media:")
	for _, m := range cf.Links() {
		fmt.Fprintf(w, "  %s\n", describeMedium(cf, m))
	}
	if pn := cf.PingNodes(); len(pn) > 0 {
		fmt.Fprintln(w, "ping nodes:")
		for _, m := range pn {
			fmt.Fprintf(w, "  %s\n", describeMedium(cf, m))
		}
	}
	fmt.Fprintf(w, "timings: keepalive %s, warntime %s, deadtime %s, initdead %s",
		ms(cf.Keepalive), ms(cf.Warntime), ms(cf.Deadtime), ms(cf.Initdead))
	if len(cf.PingNodes()) > 0 {
		fmt.Fprintf(w, ", deadping %s", ms(cf.Deadping))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "auto_failback: %s\n", cf.AutoFailback)
	for _, ch := range cf.Respawn {
		kind := "respawn"
		if ch.Failfast {
			kind = "failfast"
		}
		note := "run as a child"
		if strings.HasSuffix(ch.Path, "/ipfail") || ch.Path == "ipfail" {
			note = "not run: ipfail is emulated inside hbgo"
		}
		fmt.Fprintf(w, "%s: %s %s (%s)\n", kind, ch.User, ch.Command, note)
	}
	if k := c.Keys; k != nil {
		m, _ := k.Method(k.Active())
		fmt.Fprintf(w, "authkeys: signing with key %d (%s)\n", k.Active(), m)
	}
	if len(r.Plans) == 0 {
		fmt.Fprintln(w, "groups: none (haresources is empty)")
	} else {
		fmt.Fprintln(w, "groups (resources in start order; stop is the reverse):")
	}
	for _, p := range r.Plans {
		fmt.Fprintf(w, "  %s, preferred node %s (haresources line %d):\n", p.Group.Key(), p.Group.Node, p.Group.Line)
		for i, s := range p.Steps {
			fmt.Fprintf(w, "    %d. %s: %s\n", i+1, s.Resource.Token, s.Resolution.Why)
			fmt.Fprintf(w, "       watch: %s\n", describeWatch(r.watchConf(), s))
		}
	}
	if h := r.Hbgo; h != nil {
		fmt.Fprintf(w, "hbgo.cf (%s):\n", r.HbgoPath)
		writeHbgo(w, h)
	}
	if n := len(r.Problems); n > 0 {
		fmt.Fprintf(w, "%d %s (on stderr)\n", n, plural(n, "warning", "warnings"))
	}
}

func writeHbgo(w io.Writer, h *hacf.HbgoConfig) {
	names := make([]string, 0, len(h.Agents))
	for n := range h.Agents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  agent %s %s\n", n, h.Agents[n])
	}
	for _, op := range hacf.ResourceOps {
		if d, ok := h.Timeouts[op]; ok {
			fmt.Fprintf(w, "  resource_timeout %s %s\n", op, ms(d))
		} else {
			fmt.Fprintf(w, "  resource_timeout %s none\n", op)
		}
	}
	if len(h.RebootCommand) > 0 {
		fmt.Fprintf(w, "  reboot_command %s\n", strings.Join(h.RebootCommand, " "))
	} else {
		fmt.Fprintln(w, "  reboot_command none (reboot -nf)")
	}
	fmt.Fprintf(w, "  journal %s (%d bytes)\n", h.Journal, h.JournalSize)
	fmt.Fprintf(w, "  control_socket %s\n", h.ControlSocket)
	fmt.Fprintf(w, "  fast_start %s\n", onOff(h.FastStart))
	fmt.Fprintf(w, "  stop_retries %d\n", h.StopRetries)
	writeWatch(w, h.Watch)
}

func describeMedium(cf *hacf.Config, m hacf.Medium) string {
	port := m.Port
	if port == 0 {
		port = cf.UDPPort
	}
	switch m.Type {
	case hacf.MediumBcast:
		return fmt.Sprintf("bcast %s, udp port %d", m.Iface, port)
	case hacf.MediumUcast, hacf.MediumUcast6:
		return fmt.Sprintf("%s %s to %s, udp port %d", m.Type, m.Iface, m.Peer, port)
	case hacf.MediumMcast, hacf.MediumMcast6:
		return fmt.Sprintf("%s %s group %s, udp port %d, ttl %d, loop %d", m.Type, m.Iface, m.Group, m.Port, m.TTL, m.Loop)
	case hacf.MediumSerial:
		return fmt.Sprintf("serial %s, %d baud", m.Device, m.Baud)
	case hacf.MediumPingGroup:
		return fmt.Sprintf("ping_group %s: %s", m.Name, strings.Join(m.Addrs, " "))
	}
	return fmt.Sprintf("%s %s", m.Type, strings.Join(m.Addrs, " "))
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
