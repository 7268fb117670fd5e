package hacf

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"hbgo/internal/diag"
)

// class is how the rest of a directive line is consumed (COMPAT §2.1).
type class int

const (
	optionList  class = iota // split on blanks and commas, one apply per token
	wholeLine                // the raw remainder is one argument
	wholeMedium              // the remainder is parsed by the medium
)

// directive describes one ha.cf keyword.
type directive struct {
	name    string
	class   class
	record  bool   // stock records the value (hbparameter, HA_<name>)
	def     string // stock's built-in default, "" = none
	explain string // heartbeat -D description
	apply   setter
}

// directives is stock's Directives[] table in its order, then the
// whole-line directives and the media plugins of Debian 3.0.6.
var directives []directive

// directiveIndex maps a name to its entry in directives.
var directiveIndex map[string]int

func init() {
	directives = []directive{
		{"cluster", optionList, true, "linux-ha", "the name of cluster", setString(func(c *Config) *string { return &c.Cluster })},
		{"node", optionList, false, "", "", (*parser).addNode},
		{"hopfudge", optionList, true, "1", "# of hops above cluster size", setInt(0, 255, stockFail{}, func(c *Config) *int { return &c.Hopfudge })},
		{"keepalive", optionList, true, "1000ms", "keepalive time", setTime(1, stockFail{}, func(c *Config) *time.Duration { return &c.Keepalive })},
		{"deadtime", optionList, true, "30000ms", "node deadtime", setTime(0, stockFail{}, func(c *Config) *time.Duration { return &c.Deadtime })},
		{"deadping", optionList, true, "", "ping deadtime", setTime(0, stockFail{}, func(c *Config) *time.Duration { return &c.Deadping })},
		{"initdead", optionList, true, "", "initial deadtime", setTime(0, stockFail{}, func(c *Config) *time.Duration { return &c.Initdead })},
		{"warntime", optionList, true, "", "warning time", setTime(1, stockFail{LevelStderr, "Warn time [%s] is invalid."}, func(c *Config) *time.Duration { return &c.Warntime })},
		{"watchdog", optionList, true, "", "watchdog device", (*parser).setWatchdog},
		{"baud", optionList, true, "19200", "baud rate", (*parser).setBaud},
		{"udpport", optionList, true, "", "UDP port number", (*parser).setUDPPort},
		{"logfacility", optionList, true, "", "syslog log facility", (*parser).setFacility},
		{"logfile", optionList, true, "", "log file", setString(func(c *Config) *string { return &c.Logfile })},
		{"debugfile", optionList, true, "", "debug file", setString(func(c *Config) *string { return &c.Debugfile })},
		{"nice_failback", optionList, false, "", "", (*parser).setNiceFailback},
		{"auto_failback", optionList, true, "legacy", "auto failback", (*parser).setAutoFailback},
		{"rtprio", optionList, true, "", "realtime priority", setInt(1, 99, stockFail{LevelError, "Illegal realtime priority [%s]"}, func(c *Config) *int { return &c.RTPrio })},
		{"hbgenmethod", optionList, true, "file", "protocol generation computation method", setEnum([]string{"file", "time"}, false, stockFail{LevelError, "Illegal hb generation method [%s]"}, "", func(c *Config) *string { return &c.HBGenMethod })},
		{"realtime", optionList, true, "true", "enable realtime behavior?", setBool(stockFail{}, func(c *Config) *bool { return &c.Realtime })},
		{"debug", optionList, true, "", "debug level", setInt(0, 255, stockFail{}, func(c *Config) *int { return &c.Debug })},
		{"msgfmt", optionList, true, "classic", "message format in the wire", setEnum([]string{"classic", "netstring"}, false, stockFail{}, "", func(c *Config) *string { return &c.MsgFmt })},
		{"use_logd", optionList, true, "", "use logging daemon", (*parser).setUseLogd},
		{"conn_logd_time", optionList, true, "60", "the interval to reconnect to logd", setTime(1, stockFail{}, func(c *Config) *time.Duration { return &c.ConnLogdTime })},
		{"use_apphbd", optionList, false, "", "register with apphbd", setBool(stockFail{}, func(c *Config) *bool { return &c.UseApphbd })},
		{"log_badpack", optionList, true, "true", "warn about bad packets", setBool(stockFail{}, func(c *Config) *bool { return &c.LogBadpack })},
		{"syslogmsgfmt", optionList, true, "true", "log to files in syslog format", setBool(stockFail{}, func(c *Config) *bool { return &c.SyslogMsgFmt })},
		{"coredumps", optionList, true, "true", "enable Linux-HA core dumps", setBool(stockFail{}, func(c *Config) *bool { return &c.Coredumps })},
		{"coreroot", optionList, true, "", "set root directory of core dump area", setString(func(c *Config) *string { return &c.Coreroot })},
		{"crm", optionList, false, "", "historical alias for 'pacemaker'", (*parser).setCrm},
		{"pacemaker", optionList, true, "false", "enable Pacemaker resource management", (*parser).setPacemaker},
		{"autojoin", optionList, true, "none", "set automatic join mode/style", setEnum([]string{"none", "other", "any"}, true, stockFail{LevelError, "Invalid autojoin directive [%s]"}, "write autojoin none (or delete the line)", func(c *Config) *string { return &c.Autojoin })},
		{"uuidfrom", optionList, true, "file", "set the source for uuid", setEnum([]string{"file", "nodename"}, false, stockFail{LevelError, "Invalid uuidfrom directive [%s]"}, "", func(c *Config) *string { return &c.UUIDFrom })},
		{"compression", optionList, true, "zlib", "set compression module", setEnum([]string{"zlib", "bz2"}, false, stockFail{LevelError, "Compression module(%s) not found"}, "", func(c *Config) *string { return &c.Compression })},
		{"compression_threshold", optionList, true, "2", "set compression threshold", setInt(1, 1<<20, stockFail{LevelError, "set_compression_threshold: compress_threshhold(%s) invalid"}, func(c *Config) *int { return &c.CompressionThreshold })},
		{"traditional_compression", optionList, true, "no", "set traditional_compression", setBool(stockFail{LevelError, "set_traditional_compression:Invalid directive value %s"}, func(c *Config) *bool { return &c.TraditionalCompression })},
		{"env", optionList, false, "", "set environment variable for respawn clients", (*parser).setEnv},
		{"max_rexmit_delay", optionList, true, "250", "set the maximum rexmit delay time", setInt(1, 1<<31-1, stockFail{LevelError, "Invalid max_rexmit_delay time(%s)"}, func(c *Config) *int { return &c.MaxRexmitDelay })},
		{"record_config_changes", optionList, true, "on", "record changes to the cib (valid only with: pacemaker on)", (*parser).checkBool},
		{"record_pengine_inputs", optionList, true, "on", "record the input used by the policy engine (valid only with: pacemaker on)", (*parser).checkBool},
		{"enable_config_writes", optionList, true, "on", "write configuration changes to disk (valid only with: pacemaker on)", (*parser).checkBool},
		{"memreserve", optionList, true, "6500", "number of kbytes to preallocate in heartbeat", setInt(1, 1<<31-1, stockFail{}, func(c *Config) *int { return &c.Memreserve })},
		{"quorum_server", optionList, true, "", "the name or ip of quorum server", (*parser).setQuorumServer},
		// Pacemaker-only, present in 3.0.6 (accepted by stock; see testdata/stock/illegal-directives).
		{"crm_daemon_dir", optionList, true, "", "", (*parser).acceptAny},
		{"crmd_spawns_pengine", optionList, true, "", "", (*parser).checkBool},

		{"stonith", wholeLine, false, "", "", (*parser).setStonith},
		{"stonith_host", wholeLine, false, "", "", (*parser).setStonithHost},
		{"apiauth", wholeLine, false, "", "", (*parser).setAPIAuth},
		{"respawn", wholeLine, false, "", "", (*parser).addRespawn},
		{"failfast", wholeLine, false, "", "", (*parser).addFailfast},

		{MediumBcast, optionList, false, "", "", (*parser).addBcast},
		{MediumSerial, optionList, false, "", "", (*parser).addSerial},
		{MediumPing, optionList, false, "", "", (*parser).addPing},
		{MediumPing6, optionList, false, "", "", (*parser).addPing6},
		{MediumUcast, wholeMedium, false, "", "", (*parser).addUcast},
		{MediumUcast6, wholeMedium, false, "", "", (*parser).addUcast6},
		{MediumMcast, wholeMedium, false, "", "", (*parser).addMcast},
		{MediumMcast6, wholeMedium, false, "", "", (*parser).addMcast6},
		{MediumPingGroup, wholeMedium, false, "", "", (*parser).addPingGroup},
	}
	directiveIndex = make(map[string]int, len(directives))
	for i, d := range directives {
		directiveIndex[d.name] = i
	}
}

// Options are the environment facts Parse cannot learn from the file.
type Options struct {
	// Dir is the config directory as stock spells it in its log text
	// (default DefaultDir, giving "/etc/ha.d//ha.cf").
	Dir string
	// LocalNode, when set, runs the local-node check in stock's order.
	LocalNode string
	// DebugLevel is the -d level recorded as `debug` when ha.cf sets none.
	DebugLevel int
}

// Parse reads an ha.cf and validates it (COMPAT §2); see ParseWith.
func Parse(r io.Reader, file string) (*Config, diag.Problems) {
	return ParseWith(r, file, Options{})
}

// ParseWith reads an ha.cf exactly as heartbeat 3.0.6 does and runs every
// pure check of COMPAT §2.4, reporting all problems in one run.
func ParseWith(r io.Reader, file string, o Options) (*Config, diag.Problems) {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	p := &parser{
		file:      file,
		stockPath: o.Dir + "/ha.cf",
		cfg: &Config{
			File:         file,
			Dir:          o.Dir,
			Keepalive:    DefaultKeepalive,
			Deadtime:     DefaultDeadtime,
			Initdead:     -1,
			Deadping:     -1,
			Hopfudge:     1,
			Baud:         DefaultBaud,
			SyslogMsgFmt: true,
			Params:       map[string]string{},
		},
		apiClients: map[string]bool{},
		tried:      map[string]bool{},
		failed:     map[string]bool{},
	}
	lines, err := readLines(r)
	if err != nil {
		p.probs = append(p.probs, diag.Problem{File: file, Severity: diag.Error,
			What: fmt.Sprintf("cannot read the file: %v", err), Hint: "check the file and the disk"})
	}
	for _, l := range lines {
		p.line = l.n
		p.parseLine(l)
	}
	p.finish(o)
	return p.cfg, p.probs
}

// parser holds the state of one Parse run.
type parser struct {
	cfg       *Config
	probs     diag.Problems
	file      string
	stockPath string
	line      int
	cur       string // the option-list directive being applied
	parseFail bool   // stock's parse_config failed: its later checks never run

	baudSet, watchdogSet bool
	anyMedia             bool // any_media_statements_yet
	bcastPort, ucastPort int  // -1 until the plugin captured udpport
	bcastSeen, ucastSeen bool
	udpportSet           bool
	boolFailback         bool // stock's nice_failback global: auto_failback set to a boolean
	apiClients           map[string]bool
	tried                map[string]bool // directives that appeared in the file
	failed               map[string]bool // directives with a refused value in the file: checks that use them are skipped
}

func (p *parser) log(level Level, format string, args ...any) {
	p.cfg.StartupLog = append(p.cfg.StartupLog, LogLine{Level: level, Text: fmt.Sprintf(format, args...)})
}

// errf reports an error on the current line; stock is heartbeat's text.
func (p *parser) errf(stock, hint, format string, args ...any) {
	p.probs = append(p.probs, diag.Problem{File: p.file, Line: p.line, Severity: diag.Error,
		What: fmt.Sprintf(format, args...), Hint: hint, Stock: stock})
}

// refuse logs stock's line at level, as stock does, and reports the error
// on the current line with that text.
func (p *parser) refuse(level Level, stock, hint, format string, args ...any) {
	p.log(level, "%s", stock)
	p.errf(stock, hint, format, args...)
}

// warnf reports a warning on the current line.
func (p *parser) warnf(stock, hint, format string, args ...any) {
	p.probs = append(p.probs, diag.Problem{File: p.file, Line: p.line, Severity: diag.Warning,
		What: fmt.Sprintf(format, args...), Hint: hint, Stock: stock})
}

func (p *parser) parseLine(l rawLine) {
	if l.long {
		// hbgo: stock's fgets splits a line longer than its 5 KB buffer into
		// several lines, the tail read as a directive of its own.
		p.errf("", "split the line into several directives of the same name", "line longer than %d bytes", maxLine)
		p.parseFail = true
		return
	}
	if l.cut != "" {
		// hbgo: stock silently ignores the rest of the line (COMPAT §2.1);
		// a file with CR-only line ends is read as its first line alone.
		p.warnf("", "use LF (or CRLF) line ends and plain text", "text after %s is ignored", l.cut)
		if l.text == "" {
			return
		}
	}
	name, rest := splitDirective(l.text)
	if name == "udp" {
		// COMPAT §2.1: legacy alias, rewritten with a warning.
		p.log(LevelWarn, "WARNING: directive 'udp' replaced by 'bcast'")
		p.warnf("WARNING: directive 'udp' replaced by 'bcast'", "write bcast instead of udp",
			"directive udp is the old name of bcast")
		name = MediumBcast
	}
	i, ok := directiveIndex[name]
	if !ok {
		stock := fmt.Sprintf("Illegal directive [%s] in %s", name, p.stockPath)
		p.log(LevelError, "%s", stock)
		p.errf(stock, unknownHint(name), "unknown directive %q", name)
		p.parseFail = true
		return
	}
	d := directives[i]
	switch d.class {
	case optionList:
		for _, tok := range optionTokens(rest) {
			p.applyOption(d, tok)
		}
	default:
		// hbgo: an empty ucast/mcast/... line makes stock 3.0.6 crash with a
		// segfault (testdata/stock/empty-values); refuse it instead.
		if d.class == wholeMedium && strings.TrimLeft(rest, whitespace) == "" {
			p.errf("", fmt.Sprintf("complete the line (%s) or delete it", mediumSyntax(name)),
				"%s line has no arguments (stock heartbeat crashes on it)", name)
			p.parseFail = true
			return
		}
		n := len(p.probs)
		ok := d.apply(p, rest)
		if d.class == wholeLine || ok {
			// stock sets any_media_statements_yet after whole-line
			// directives (even failed ones) and whole-line media, but not
			// after option-list media such as bcast or serial.
			p.anyMedia = true
		}
		if !ok {
			p.parseFail = true
			if len(p.probs) == n {
				p.errf("", "see ha.cf(5)", "invalid %s line %q", name, rest)
			}
			return
		}
		p.cfg.Directives = append(p.cfg.Directives, Directive{Line: p.line, Name: name, Value: rest})
	}
}

// applyOption is stock's add_option: apply, then record on success.
func (p *parser) applyOption(d directive, v string) bool {
	n := len(p.probs)
	if p.line > 0 {
		p.tried[d.name] = true
	}
	p.cur = d.name
	if !d.apply(p, v) {
		p.parseFail = true
		if p.line > 0 {
			p.failed[d.name] = true
		}
		if len(p.probs) == n {
			p.errf("", "see ha.cf(5) for the values "+d.name+" takes", "invalid %s value %q", d.name, v)
		}
		return false
	}
	if p.line > 0 {
		p.cfg.Directives = append(p.cfg.Directives, Directive{Line: p.line, Name: d.name, Value: v})
	}
	if d.record {
		p.cfg.Params[d.name] = v
	}
	return true
}

// setDefault applies a stock default the way init_config does (add_option),
// attributing any problem to the whole file.
func (p *parser) setDefault(name, v string) {
	d := directives[directiveIndex[name]]
	p.applyOption(d, v)
}

func unknownHint(name string) string {
	l := lower(name)
	if _, ok := directiveIndex[l]; ok && l != name {
		return fmt.Sprintf("directive names are lower case: write %s", l)
	}
	if best := closest(name); best != "" {
		return fmt.Sprintf("did you mean %s? (hbgo's own settings go in hbgo.cf, not ha.cf)", best)
	}
	return "remove the line or use a directive from ha.cf(5) (hbgo's own settings go in hbgo.cf)"
}

// closest returns the known directive within edit distance 2 of name.
func closest(name string) string {
	best, bd := "", 3
	names := make([]string, 0, len(directives))
	for _, d := range directives {
		names = append(names, d.name)
	}
	sort.Strings(names)
	for _, n := range names {
		if d := editDistance(name, n); d < bd {
			best, bd = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func mediumSyntax(name string) string {
	switch name {
	case MediumUcast, MediumUcast6:
		return name + " <interface> <peer address>"
	case MediumMcast:
		return "mcast <interface> <group> <port> <ttl 0..4> <loop 0|1>"
	case MediumMcast6:
		return "mcast6 <interface> <group> <port> <hops> <loop 0|1>"
	case MediumPingGroup:
		return "ping_group <name> <address> ..."
	}
	return name + " ..."
}

// lower is glib's g_strdown: ASCII-only lower-casing.
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func msText(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
