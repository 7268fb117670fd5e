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
	}
}

var hbgoDirectives = []string{"agent", "control_socket", "fast_start", "journal", "journal_size", "logformat", "metrics_listen", "metrics_listen_any", "metrics_textfile", "reboot_command", "resource_timeout", "stop_retries"}

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
		key := name
		switch name {
		case "agent":
			if len(args) == 2 {
				key += " " + args[0]
			}
		case "resource_timeout":
			if len(args) == 2 {
				key += " " + args[0]
			}
		default:
			key = watchKey(name, args)
		}
		if prev, ok := seen[key]; ok {
			ps.Warnf(file, l.n, fmt.Sprintf("delete one of the two lines (%d and %d)", prev, l.n), "%s is given twice; the last one wins", key)
		}
		seen[key] = l.n
		one := func(syntax string) (string, bool) {
			if len(args) != 1 {
				errf("write "+syntax, "%s takes exactly one value, got %d", name, len(args))
				return "", false
			}
			return args[0], true
		}
		absPath := func(v string) bool {
			if !strings.HasPrefix(v, "/") {
				errf(fmt.Sprintf("write %s /absolute/path", name), "%s %s is not an absolute path", name, v)
				return false
			}
			return true
		}
		switch name {
		case "agent":
			if len(args) != 2 {
				errf("write agent <Name> native|script, e.g. agent IPaddr2 script", "agent takes a name and native|script")
				continue
			}
			mode := AgentMode(lower(args[1]))
			switch mode {
			case AgentScript:
			case AgentNative:
				if !contains(NativeAgents, args[0]) {
					errf("hbgo has native agents for "+strings.Join(NativeAgents, ", ")+"; write agent "+args[0]+" script or delete the line",
						"agent %s has no native implementation", args[0])
					continue
				}
			default:
				errf("write agent "+args[0]+" native or agent "+args[0]+" script", "agent mode %s is not native or script", args[1])
				continue
			}
			c.Agents[args[0]] = mode
		case "resource_timeout":
			if len(args) != 2 {
				errf("write resource_timeout start|stop|status <time>, e.g. resource_timeout stop 120", "resource_timeout takes an operation and a time")
				continue
			}
			if !contains(ResourceOps, args[0]) {
				errf("write resource_timeout start|stop|status <time>", "resource_timeout operation %s is not start, stop or status", args[0])
				continue
			}
			ms, ok := ParseTime(args[1])
			if !ok || ms <= 0 {
				errf(fmt.Sprintf("write resource_timeout %s 120 (seconds) or 500ms; there is no s suffix", args[0]), "resource_timeout %s %s is not a time above 0", args[0], args[1])
				continue
			}
			c.Timeouts[args[0]] = time.Duration(ms) * time.Millisecond
		case "reboot_command":
			if len(args) == 0 || !strings.HasPrefix(args[0], "/") {
				errf("write reboot_command /absolute/path [args]", "reboot_command needs an absolute command path")
				continue
			}
			c.RebootCommand = append([]string(nil), args...)
		case "journal":
			if v, ok := one("journal /var/lib/heartbeat/hbgo-journal"); ok && absPath(v) {
				c.Journal = v
			}
		case "control_socket":
			if v, ok := one("control_socket /run/heartbeat/hbgo.sock"); ok && absPath(v) {
				c.ControlSocket = v
			}
		case "journal_size":
			if v, ok := one("journal_size <bytes>"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n <= 0 {
					errf("write journal_size with a number of bytes, e.g. journal_size 1048576", "journal_size %s is not a positive number of bytes", v)
					continue
				}
				c.JournalSize = n
			}
		case "fast_start":
			if v, ok := one("fast_start on|off"); ok {
				b, ok := ParseBool(v)
				if !ok {
					errf("write fast_start on or fast_start off", "fast_start %s is not a boolean", v)
					continue
				}
				c.FastStart = b
			}
		case "stop_retries":
			if v, ok := one("stop_retries <n>"); ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 1000 {
					errf("write stop_retries with a whole number from 1 to 1000 (stock uses 10)", "stop_retries %s is not a number from 1 to 1000", v)
					continue
				}
				c.StopRetries = n
			}
		case "logformat":
			if v, ok := one("logformat text|json"); ok {
				if f, ok := parseLogFormat(v, errf); ok {
					c.LogFormat = f
				}
			}
		case "metrics_textfile":
			if v, ok := one("metrics_textfile /var/lib/prometheus/node-exporter/hbgo.prom"); ok && absPath(v) {
				c.MetricsTextfile = v
			}
		case "metrics_listen":
			if v, ok := one("metrics_listen 127.0.0.1:9794"); ok {
				if _, err := netip.ParseAddrPort(v); err != nil {
					errf("write metrics_listen with an IP address and a port, e.g. metrics_listen 127.0.0.1:9794", "metrics_listen %s is not an address:port", v)
					continue
				}
				c.MetricsListen, listenLine = v, l.n
			}
		case "metrics_listen_any":
			if v, ok := one("metrics_listen_any on|off"); ok {
				b, ok := ParseBool(v)
				if !ok {
					errf("write metrics_listen_any on or metrics_listen_any off", "metrics_listen_any %s is not a boolean", v)
					continue
				}
				c.MetricsListenAny = b
			}
		default:
			if c.parseWatch(name, args, l.n, errf) {
				continue
			}
			hint := "hbgo.cf takes " + strings.Join(allHbgoDirectives(), ", ")
			if _, ok := directiveIndex[name]; ok {
				hint = name + " belongs in ha.cf, not hbgo.cf"
			}
			errf(hint, "unknown hbgo.cf directive %q", name)
		}
	}
	if c.MetricsListen != "" && !c.MetricsListenAny && !LoopbackAddr(c.MetricsListen) {
		ps.Errorf(file, listenLine, "listen on 127.0.0.1 or [::1], or add metrics_listen_any on to serve the metrics (cluster names, addresses) to the network",
			"metrics_listen %s is not a loopback address", c.MetricsListen)
		c.MetricsListen = ""
	}
	return c, ps
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
