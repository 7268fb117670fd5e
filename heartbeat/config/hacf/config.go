package hacf

import (
	"sort"
	"time"
)

// Stock defaults and limits (COMPAT §2.3, PROTOCOL §10.2).
const (
	DefaultDir       = "/etc/ha.d/" // stock's HA_D; its paths read "/etc/ha.d//ha.cf"
	DefaultUDPPort   = 694          // used when /etc/services has no ha-cluster/udp
	DefaultBaud      = 19200
	DefaultKeepalive = 1000 * time.Millisecond
	DefaultDeadtime  = 30000 * time.Millisecond
)

// AutoFailback is the resource failback policy (COMPAT §5.5).
type AutoFailback int

const (
	// FailbackLegacy is stock's default: the old ip-request protocol.
	FailbackLegacy AutoFailback = iota
	// FailbackOn moves resources back to their home node when it returns.
	FailbackOn
	// FailbackOff leaves resources where they are.
	FailbackOff
)

func (a AutoFailback) String() string {
	switch a {
	case FailbackOn:
		return "on"
	case FailbackOff:
		return "off"
	}
	return "legacy"
}

// Medium kinds, named by their ha.cf directive.
const (
	MediumBcast     = "bcast"
	MediumUcast     = "ucast"
	MediumMcast     = "mcast"
	MediumSerial    = "serial"
	MediumPing      = "ping"
	MediumPingGroup = "ping_group"
	MediumPing6     = "ping6"
	MediumUcast6    = "ucast6"
	MediumMcast6    = "mcast6"
)

// Medium is one heartbeat link or ping node declared in ha.cf.
type Medium struct {
	Type  string // one of the Medium* constants
	Name  string // link name as stock reports it (COMPAT §2.5)
	Line  int
	Iface string // bcast, ucast, mcast, ucast6, mcast6
	Peer  string // ucast/ucast6 target, as written (not resolved)
	Group string // mcast/mcast6 group address
	// Port is the UDP port: mcast's own field; for bcast/ucast the udpport
	// in force when the first link of that kind was declared (COMPAT §2.1),
	// else 694 (CheckHost flags an /etc/services ha-cluster entry that differs).
	Port   int
	TTL    int      // mcast TTL 0..4 (mcast6: hops)
	Loop   int      // mcast loopback 0 or 1
	Device string   // serial device path
	Baud   int      // serial speed in force when the link was declared
	Addrs  []string // ping/ping6: the one address; ping_group: members
}

// IsPing reports whether the medium defines a ping node rather than a link.
func (m Medium) IsPing() bool {
	return m.Type == MediumPing || m.Type == MediumPing6 || m.Type == MediumPingGroup
}

// Child is a respawn or failfast client (COMPAT §2.3).
type Child struct {
	Line     int
	User     string
	Command  string // the whole command line, as written
	Path     string // its first word
	Failfast bool   // reboot the node if it dies abnormally
}

// APIAuth is one apiauth entry; Implicit marks stock's built-in defaults.
type APIAuth struct {
	Line     int
	Client   string
	UIDs     []string
	GIDs     []string
	Raw      string // the directive remainder, as stock echoes it
	Implicit bool
}

// Stonith is a legacy `stonith` or `stonith_host` line.
type Stonith struct {
	Line   int
	Host   string // stonith_host only: host name (lower-cased) or "*"
	Type   string
	Params string // config file (stonith) or parameter text (stonith_host)
}

// EnvVar is an `env NAME=value` directive, exported to children as HA_NAME.
type EnvVar struct {
	Line  int
	Name  string
	Value string
}

// Directive is one applied directive in file order: option-list lines
// appear once per token, `udp` appears as bcast.
type Directive struct {
	Line  int
	Name  string
	Value string
}

// Level is a heartbeat log level as printed in ha-log.
type Level string

// Log levels of StartupLog lines.
const (
	LevelError Level = "ERROR"
	LevelWarn  Level = "WARN"
	LevelInfo  Level = "info"
	// LevelStderr marks text stock prints with fprintf on stderr, not ha-log.
	LevelStderr Level = "stderr"
)

// LogLine is one line heartbeat 3.0.6 logs while reading its configuration.
type LogLine struct {
	Level Level
	Text  string
}

// Config is a parsed ha.cf.
type Config struct {
	File string // name used in problems
	Dir  string // config directory as stock spells it in log text

	Keepalive, Deadtime, Warntime, Initdead, Deadping time.Duration
	ConnLogdTime                                      time.Duration

	UDPPort int // the last udpport, else 694 (see Medium.Port for what links use)
	// Refused names the directives whose value in the file was refused: the
	// field holds the default, and checks comparing it would mislead.
	Refused map[string]bool
	Baud    int

	Nodes   []string // lower-cased, declaration order
	Media   []Medium // links and ping nodes, declaration order
	Respawn []Child
	APIAuth []APIAuth
	Stonith []Stonith
	EnvVars []EnvVar

	AutoFailback           AutoFailback
	Logfile                string
	Debugfile              string
	Logfacility            string // "" = none
	UseLogd                bool
	SyslogMsgFmt           bool
	Debug                  int
	Watchdog               string
	Realtime               bool
	RTPrio                 int // 0 = not set
	Hopfudge               int
	HBGenMethod            string
	Autojoin               string
	Pacemaker              string // raw crm/pacemaker value
	UUIDFrom               string
	MsgFmt                 string
	Compression            string
	CompressionThreshold   int // KiB
	TraditionalCompression bool
	MaxRexmitDelay         int // ms
	Coredumps              bool
	Coreroot               string
	LogBadpack             bool
	UseApphbd              bool
	Memreserve             int // KiB
	Cluster                string
	QuorumServer           string

	// Directives is every applied directive in file order.
	Directives []Directive
	// Params is what stock records (SetParameterValue): the raw text of the
	// last occurrence, or the default / derived default (`5000ms`); it is what
	// `cl_status hbparameter` prints and what Env exports.
	Params map[string]string
	// StartupLog is what heartbeat 3.0.6 logs while reading this file, in its
	// order (parse lines, then the checks of init_config). Environment
	// dependent lines (core dump advice, logd connection) are not included.
	StartupLog []LogLine
}

// Param returns the recorded raw value of a directive, as hbparameter prints it.
func (c *Config) Param(name string) (string, bool) {
	v, ok := c.Params[name]
	return v, ok
}

// Env returns HA_<directive>=<raw value> for every recorded directive plus
// the env directives' HA_<NAME>=<value>, sorted (COMPAT §2.7).
func (c *Config) Env() []string {
	out := make([]string, 0, len(c.Params)+len(c.EnvVars))
	for k, v := range c.Params {
		out = append(out, "HA_"+k+"="+v)
	}
	for _, e := range c.EnvVars {
		out = append(out, "HA_"+e.Name+"="+e.Value)
	}
	sort.Strings(out)
	return out
}

// HasNode reports whether name (any case) is a declared node.
func (c *Config) HasNode(name string) bool {
	l := lower(name)
	for _, n := range c.Nodes {
		if n == l {
			return true
		}
	}
	return false
}

// Links returns the non-ping media: the links every node has.
func (c *Config) Links() []Medium {
	var out []Medium
	for _, m := range c.Media {
		if !m.IsPing() {
			out = append(out, m)
		}
	}
	return out
}

// PingNodes returns the ping and ping_group media.
func (c *Config) PingNodes() []Medium {
	var out []Medium
	for _, m := range c.Media {
		if m.IsPing() {
			out = append(out, m)
		}
	}
	return out
}

// ManagesResources reports whether haresources (R1) mode is in force, i.e.
// pacemaker/crm is off.
func (c *Config) ManagesResources() bool {
	return !pacemakerOn(c.Pacemaker)
}

func pacemakerOn(v string) bool {
	switch lower(v) {
	case "respawn", "minimal", "manual", "valgrind":
		return true
	}
	b, ok := ParseBool(v)
	return ok && b
}
