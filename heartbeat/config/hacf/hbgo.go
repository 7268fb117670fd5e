package hacf

import (
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"hbgo/internal/diag"
)

// hbgo.cf defaults (see doc.go).
const (
	HbgoFile             = "hbgo.cf"
	DefaultJournal       = "/var/lib/heartbeat/hbgo-journal"
	DefaultJournalSize   = 1 << 20
	DefaultControlSocket = "/run/heartbeat/hbgo.sock"
	DefaultStopRetries   = 10 // stock's HA_STOPRETRYMAX
)

// AgentMode forces how a resource agent is run.
type AgentMode string

// Agent modes of the `agent` directive.
const (
	AgentNative AgentMode = "native" // hbgo's built-in implementation
	AgentScript AgentMode = "script" // the script under resource.d or init.d
)

// NativeAgents are the agents hbgo implements natively.
var NativeAgents = []string{"Delay", "Filesystem", "IPaddr", "IPaddr2", "SendArp", "drbddisk"}

// ResourceOps are the operations resource_timeout applies to.
var ResourceOps = []string{"start", "stop", "status"}

// HbgoConfig is a parsed hbgo.cf: hbgo's own settings, never put in ha.cf.
type HbgoConfig struct {
	File          string
	Agents        map[string]AgentMode     // agent name → forced mode
	Timeouts      map[string]time.Duration // op → timeout; absent = none (COMPAT §4.9)
	RebootCommand []string                 // fencing command and args; nil = reboot -nf
	Journal       string
	JournalSize   int64
	ControlSocket string
	FastStart     bool
	StopRetries   int
	Watch         Watch  // resource watches after start (watch.go)
	LogFormat     string // logformat: LogFormatText or LogFormatJSON (logfile, debugfile, stderr)
	// MetricsTextfile is where the Prometheus textfile is written ("" = none).
	MetricsTextfile string
	// MetricsListen is the metrics HTTP endpoint's host:port ("" = off).
	MetricsListen string
	// MetricsListenAny allows a MetricsListen address that is not loopback.
	MetricsListenAny bool
	// LazyRead: a UDP link reads its routine datagrams on a second socket,
	// at the loop's deadlines (docs/DESIGN.md "The lazy socket").
	LazyRead bool
}

// DefaultHbgo returns the settings in force when hbgo.cf is absent.
func DefaultHbgo() *HbgoConfig {
	return &HbgoConfig{
		File:          DefaultDir + HbgoFile,
		Agents:        map[string]AgentMode{},
		Timeouts:      map[string]time.Duration{},
		Journal:       DefaultJournal,
		JournalSize:   DefaultJournalSize,
		ControlSocket: DefaultControlSocket,
		FastStart:     false, // stock's 10 s wait: required while the peer runs stock heartbeat
		StopRetries:   DefaultStopRetries,
		Watch:         DefaultWatch(),
		LogFormat:     LogFormatText,
		LazyRead:      true,
	}
}

// hbgoDirective describes one hbgo.cf keyword, as directive does for ha.cf.
type hbgoDirective struct {
	name string
	// key names the setting a line sets, for the given-twice warning; nil
	// means the name alone. agent, resource_timeout and monitor set one
	// setting per first argument.
	key   func(name string, args []string) string
	apply func(l *hbgoLine)
}

// hbgoDirectives is hbgo.cf's directive table.
var hbgoDirectives []hbgoDirective

// hbgoIndex maps a name to its entry in hbgoDirectives.
var hbgoIndex map[string]int

func init() {
	hbgoDirectives = []hbgoDirective{
		{"agent", keyOfTwo, (*hbgoLine).setAgent},
		{"resource_timeout", keyOfTwo, (*hbgoLine).setResourceTimeout},
		{"reboot_command", nil, (*hbgoLine).setRebootCommand},
		{"journal", nil, setHbgoPath("journal /var/lib/heartbeat/hbgo-journal", func(c *HbgoConfig) *string { return &c.Journal })},
		{"control_socket", nil, setHbgoPath("control_socket /run/heartbeat/hbgo.sock", func(c *HbgoConfig) *string { return &c.ControlSocket })},
		{"journal_size", nil, (*hbgoLine).setJournalSize},
		{"fast_start", nil, setHbgoBool(func(c *HbgoConfig) *bool { return &c.FastStart })},
		{"stop_retries", nil, (*hbgoLine).setStopRetries},
		{"logformat", nil, (*hbgoLine).setLogFormat},
		{"metrics_textfile", nil, setHbgoPath("metrics_textfile /var/lib/prometheus/node-exporter/hbgo.prom", func(c *HbgoConfig) *string { return &c.MetricsTextfile })},
		{"metrics_listen", nil, (*hbgoLine).setMetricsListen},
		{"metrics_listen_any", nil, setHbgoBool(func(c *HbgoConfig) *bool { return &c.MetricsListenAny })},
		{"lazy_read", nil, setHbgoBool(func(c *HbgoConfig) *bool { return &c.LazyRead })},
		// resource watches after start (watch.go)
		{"monitor", watchKey, (*hbgoLine).setMonitor},
		{"failover_threshold", nil, (*hbgoLine).setFailoverThreshold},
		{"failure_window", nil, (*hbgoLine).setFailureWindow},
		{"vip_watch", nil, (*hbgoLine).setVIPWatch},
	}
	hbgoIndex = make(map[string]int, len(hbgoDirectives))
	for i, d := range hbgoDirectives {
		hbgoIndex[d.name] = i
	}
}

// keyOfTwo keys "agent <Name> <mode>" and "resource_timeout <op> <time>" by their first argument.
func keyOfTwo(name string, args []string) string {
	if len(args) == 2 {
		return name + " " + args[0]
	}
	return name
}

// hbgoLine is one hbgo.cf line being applied.
type hbgoLine struct {
	c          *HbgoConfig
	name       string
	args       []string
	n          int                                    // line number
	errf       func(hint, format string, args ...any) // records an error at this line
	listenLine *int                                   // where metrics_listen was set, for the loopback check
}

// ParseHbgo reads hbgo.cf with ha.cf's lexical rules (COMPAT §2.1: '#'
// anywhere, leading blanks, CR ends the line); fields are separated by blanks.
func ParseHbgo(r io.Reader, file string) (*HbgoConfig, diag.Problems) {
	c := DefaultHbgo()
	c.File = file
	var ps diag.Problems
	lines, err := readLines(r)
	if err != nil {
		ps.Errorf(file, 0, "check the file and the disk", "cannot read the file: %v", err)
	}
	seen := map[string]int{}
	listenLine := 0
	for _, l := range lines {
		errf := func(hint, format string, args ...any) { ps.Errorf(file, l.n, hint, format, args...) }
		if l.long {
			errf("shorten the line", "line longer than %d bytes", maxLine)
			continue
		}
		if l.cut != "" {
			errf("use LF (or CRLF) line ends and plain text", "text after %s on this line", l.cut)
			continue
		}
		f := fields(l.text)
		name, args := f[0], f[1:]
		i, known := hbgoIndex[name]
		key := name
		if known && hbgoDirectives[i].key != nil {
			key = hbgoDirectives[i].key(name, args)
		}
		if prev, ok := seen[key]; ok {
			ps.Warnf(file, l.n, fmt.Sprintf("delete one of the two lines (%d and %d)", prev, l.n), "%s is given twice; the last one wins", key)
		}
		seen[key] = l.n
		if !known {
			hint := "hbgo.cf takes " + strings.Join(allHbgoDirectives(), ", ")
			if _, ok := directiveIndex[name]; ok {
				hint = name + " belongs in ha.cf, not hbgo.cf"
			}
			errf(hint, "unknown hbgo.cf directive %q", name)
			continue
		}
		hbgoDirectives[i].apply(&hbgoLine{c: c, name: name, args: args, n: l.n, errf: errf, listenLine: &listenLine})
	}
	if c.MetricsListen != "" && !c.MetricsListenAny && !LoopbackAddr(c.MetricsListen) {
		ps.Errorf(file, listenLine, "listen on 127.0.0.1 or [::1], or add metrics_listen_any on to serve the metrics (cluster names, addresses) to the network",
			"metrics_listen %s is not a loopback address", c.MetricsListen)
		c.MetricsListen = ""
	}
	return c, ps
}

// allHbgoDirectives lists every hbgo.cf directive, sorted, for hints.
func allHbgoDirectives() []string {
	all := make([]string, 0, len(hbgoDirectives))
	for _, d := range hbgoDirectives {
		all = append(all, d.name)
	}
	sort.Strings(all)
	return all
}

// one returns the line's single value, or records that it takes exactly one.
func (l *hbgoLine) one(syntax string) (string, bool) {
	if len(l.args) != 1 {
		l.errf("write "+syntax, "%s takes exactly one value, got %d", l.name, len(l.args))
		return "", false
	}
	return l.args[0], true
}

// absPath reports whether v is an absolute path, recording an error if not.
func (l *hbgoLine) absPath(v string) bool {
	if !strings.HasPrefix(v, "/") {
		l.errf(fmt.Sprintf("write %s /absolute/path", l.name), "%s %s is not an absolute path", l.name, v)
		return false
	}
	return true
}

// setHbgoPath stores a single absolute path; syntax is the example the hint shows.
func setHbgoPath(syntax string, field func(*HbgoConfig) *string) func(*hbgoLine) {
	return func(l *hbgoLine) {
		if v, ok := l.one(syntax); ok && l.absPath(v) {
			*field(l.c) = v
		}
	}
}

// setHbgoBool stores a single on|off value.
func setHbgoBool(field func(*HbgoConfig) *bool) func(*hbgoLine) {
	return func(l *hbgoLine) {
		v, ok := l.one(l.name + " on|off")
		if !ok {
			return
		}
		b, ok := ParseBool(v)
		if !ok {
			l.errf(fmt.Sprintf("write %s on or %s off", l.name, l.name), "%s %s is not a boolean", l.name, v)
			return
		}
		*field(l.c) = b
	}
}

// setAgent reads "agent <Name> native|script".
func (l *hbgoLine) setAgent() {
	args := l.args
	if len(args) != 2 {
		l.errf("write agent <Name> native|script, e.g. agent IPaddr2 script", "agent takes a name and native|script")
		return
	}
	mode := AgentMode(lower(args[1]))
	switch mode {
	case AgentScript:
	case AgentNative:
		if !contains(NativeAgents, args[0]) {
			l.errf("hbgo has native agents for "+strings.Join(NativeAgents, ", ")+"; write agent "+args[0]+" script or delete the line",
				"agent %s has no native implementation", args[0])
			return
		}
	default:
		l.errf("write agent "+args[0]+" native or agent "+args[0]+" script", "agent mode %s is not native or script", args[1])
		return
	}
	l.c.Agents[args[0]] = mode
}

// setResourceTimeout reads "resource_timeout start|stop|status <time>".
func (l *hbgoLine) setResourceTimeout() {
	args := l.args
	if len(args) != 2 {
		l.errf("write resource_timeout start|stop|status <time>, e.g. resource_timeout stop 120", "resource_timeout takes an operation and a time")
		return
	}
	if !contains(ResourceOps, args[0]) {
		l.errf("write resource_timeout start|stop|status <time>", "resource_timeout operation %s is not start, stop or status", args[0])
		return
	}
	ms, ok := ParseTime(args[1])
	if !ok || ms <= 0 {
		l.errf(fmt.Sprintf("write resource_timeout %s 120 (seconds) or 500ms; there is no s suffix", args[0]), "resource_timeout %s %s is not a time above 0", args[0], args[1])
		return
	}
	l.c.Timeouts[args[0]] = time.Duration(ms) * time.Millisecond
}

// setRebootCommand reads "reboot_command /absolute/path [args]".
func (l *hbgoLine) setRebootCommand() {
	if len(l.args) == 0 || !strings.HasPrefix(l.args[0], "/") {
		l.errf("write reboot_command /absolute/path [args]", "reboot_command needs an absolute command path")
		return
	}
	l.c.RebootCommand = append([]string(nil), l.args...)
}

// setJournalSize reads "journal_size <bytes>".
func (l *hbgoLine) setJournalSize() {
	v, ok := l.one("journal_size <bytes>")
	if !ok {
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		l.errf("write journal_size with a number of bytes, e.g. journal_size 1048576", "journal_size %s is not a positive number of bytes", v)
		return
	}
	l.c.JournalSize = n
}

// setStopRetries reads "stop_retries <n>".
func (l *hbgoLine) setStopRetries() {
	v, ok := l.one("stop_retries <n>")
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		l.errf("write stop_retries with a whole number from 1 to 1000 (stock uses 10)", "stop_retries %s is not a number from 1 to 1000", v)
		return
	}
	l.c.StopRetries = n
}

// setLogFormat reads "logformat text|json".
func (l *hbgoLine) setLogFormat() {
	if v, ok := l.one("logformat text|json"); ok {
		if f, ok := parseLogFormat(v, l.errf); ok {
			l.c.LogFormat = f
		}
	}
}

// setMetricsListen reads "metrics_listen <ip>:<port>"; ParseHbgo checks it is loopback once metrics_listen_any is known.
func (l *hbgoLine) setMetricsListen() {
	v, ok := l.one("metrics_listen 127.0.0.1:9794")
	if !ok {
		return
	}
	if _, err := netip.ParseAddrPort(v); err != nil {
		l.errf("write metrics_listen with an IP address and a port, e.g. metrics_listen 127.0.0.1:9794", "metrics_listen %s is not an address:port", v)
		return
	}
	l.c.MetricsListen, *l.listenLine = v, l.n
}

// LoopbackAddr reports whether host:port names a loopback IP address.
func LoopbackAddr(hostport string) bool {
	ap, err := netip.ParseAddrPort(hostport)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Format writes an hbgo.cf that ParseHbgo reads back to the same settings;
// defaults are written too, so the file documents what is in force.
func (c *HbgoConfig) Format() string {
	var b strings.Builder
	b.WriteString("# hbgo.cf: hbgo's own settings (not read by stock heartbeat)\n")
	names := make([]string, 0, len(c.Agents))
	for n := range c.Agents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "agent %s %s\n", n, c.Agents[n])
	}
	for _, op := range ResourceOps {
		if d, ok := c.Timeouts[op]; ok {
			fmt.Fprintf(&b, "resource_timeout %s %dms\n", op, d.Milliseconds())
		}
	}
	if len(c.RebootCommand) > 0 {
		fmt.Fprintf(&b, "reboot_command %s\n", strings.Join(c.RebootCommand, " "))
	}
	fmt.Fprintf(&b, "journal %s\n", c.Journal)
	fmt.Fprintf(&b, "journal_size %d\n", c.JournalSize)
	fmt.Fprintf(&b, "control_socket %s\n", c.ControlSocket)
	if c.FastStart {
		b.WriteString("fast_start on\n")
	} else {
		b.WriteString("fast_start off\n")
	}
	fmt.Fprintf(&b, "stop_retries %d\n", c.StopRetries)
	c.formatWatch(&b)
	fmt.Fprintf(&b, "logformat %s\n", c.LogFormat)
	if c.MetricsTextfile != "" {
		fmt.Fprintf(&b, "metrics_textfile %s\n", c.MetricsTextfile)
	}
	if c.MetricsListen != "" {
		fmt.Fprintf(&b, "metrics_listen %s\n", c.MetricsListen)
	}
	if c.MetricsListenAny {
		b.WriteString("metrics_listen_any on\n")
	}
	return b.String()
}
