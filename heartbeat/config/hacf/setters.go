package hacf

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Value setters, generic ones for the plain directives (one table row
// each in parse.go) and one per directive with its own rules, in the spirit of stock's set_* functions
// (heartbeat/config.c). Each returns false on a value stock refuses, after
// reporting the problem; the caller records the raw value on success.

const timeHint = "write seconds (2, 1.5) or milliseconds attached to the number (500ms); there is no s suffix"

// timeValue parses v for directive name; min is the smallest legal value in ms.
func (p *parser) timeValue(name, v string, min int64, stock string) (time.Duration, bool) {
	ms, ok := ParseTime(v)
	if !ok {
		hint := timeHint
		lv := lower(v)
		switch {
		case strings.HasPrefix(lv, "ms") || strings.HasPrefix(lv, "us") || strings.HasPrefix(lv, "s"):
			hint = fmt.Sprintf("values are split on blanks, so %q became a value of its own; attach the unit to the number (%s 10ms)", v, name)
		case strings.HasSuffix(lv, "s") && !strings.HasSuffix(lv, "ms") && !strings.HasSuffix(lv, "us"):
			hint = fmt.Sprintf("write %s %s (bare numbers are seconds; there is no s suffix)", name, strings.TrimRight(v, "sS"))
		}
		p.errf(stock, hint, "%s %s is not a valid time", name, v)
		return 0, false
	}
	if ms < min {
		if min > 0 {
			p.errf(stock, fmt.Sprintf("write %s 1 (or a value such as 500ms)", name), "%s %s must be more than 0", name, v)
		}
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// intValue is stock's atoi with a range; a value atoi reads only in part
// (e.g. "3x") is accepted as stock does, with a warning.
func (p *parser) intValue(name, v string, lo, hi int64, stock string) (int, bool) {
	n, clean := atoi(v)
	if n < lo || n > hi {
		p.errf(stock, fmt.Sprintf("write %s with a whole number from %d to %d", name, lo, hi), "%s %s is out of range", name, v)
		return 0, false
	}
	if !clean {
		// hbgo: stock's atoi silently reads the leading digits; we accept the
		// same value but say so.
		p.warnf("", fmt.Sprintf("write %s %d", name, n), "%s %q is not a whole number; heartbeat reads it as %d", name, v, n)
	}
	return int(n), true
}

func (p *parser) boolValue(name, v, stock string) (bool, bool) {
	b, ok := ParseBool(v)
	if !ok {
		p.errf(stock, fmt.Sprintf("write %s on or %s off (true/false, yes/no, y/n, 1/0 also work)", name, name), "%s %s is not a boolean", name, v)
	}
	return b, ok
}

// stockFail is how stock reports a refused value: the line it logs at level
// (format takes the value); a zero stockFail means stock says nothing.
type stockFail struct {
	level  Level
	format string
}

// report logs stock's line for v and returns its text ("" for none).
func (f stockFail) report(p *parser, v string) string {
	if f.format == "" {
		return ""
	}
	t := fmt.Sprintf(f.format, v)
	p.log(f.level, "%s", t)
	return t
}

// text is stock's line for v without logging it.
func (f stockFail) text(v string) string {
	if f.format == "" {
		return ""
	}
	return fmt.Sprintf(f.format, v)
}

// setter is a directive's apply function.
type setter func(p *parser, v string) bool

// setString stores the value as it is.
func setString(field func(*Config) *string) setter {
	return func(p *parser, v string) bool { *field(p.cfg) = v; return true }
}

// setValue stores what read makes of the value; read gets stock's text for
// its problem report.
func setValue[T any](read func(p *parser, v, stock string) (T, bool), fail stockFail, field func(*Config) *T) setter {
	return func(p *parser, v string) bool {
		x, ok := read(p, v, fail.text(v))
		if !ok {
			fail.report(p, v)
			return false
		}
		*field(p.cfg) = x
		return true
	}
}

// setTime stores a time of at least min milliseconds.
func setTime(min int64, fail stockFail, field func(*Config) *time.Duration) setter {
	return setValue(func(p *parser, v, stock string) (time.Duration, bool) { return p.timeValue(p.cur, v, min, stock) }, fail, field)
}

// setInt stores a whole number in [lo, hi].
func setInt(lo, hi int64, fail stockFail, field func(*Config) *int) setter {
	return setValue(func(p *parser, v, stock string) (int, bool) { return p.intValue(p.cur, v, lo, hi, stock) }, fail, field)
}

// setBool stores a boolean.
func setBool(fail stockFail, field func(*Config) *bool) setter {
	return setValue(func(p *parser, v, stock string) (bool, bool) { return p.boolValue(p.cur, v, stock) }, fail, field)
}

// setEnum stores one of values (compared ignoring ASCII case when fold);
// hint is what to write instead, default "write <name> <values[0]> (or …)".
func setEnum(values []string, fold bool, fail stockFail, hint string, field func(*Config) *string) setter {
	list := strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
	return func(p *parser, v string) bool {
		key := v
		if fold {
			key = lower(v)
		}
		if slices.Contains(values, key) {
			*field(p.cfg) = v
			return true
		}
		h := hint
		if h == "" {
			h = fmt.Sprintf("write %s %s (or %s)", p.cur, values[0], strings.Join(values[1:], " or "))
		}
		p.errf(fail.report(p, v), h, "%s %s is not %s", p.cur, v, list)
		return false
	}
}

func (p *parser) setQuorumServer(v string) bool {
	// stock's set_quorum_server also overwrites the cluster name.
	p.cfg.QuorumServer, p.cfg.Cluster = v, v
	return true
}

func (p *parser) addNode(v string) bool {
	n := lower(v)
	for _, have := range p.cfg.Nodes {
		if have == n && p.line > 0 {
			// hbgo: stock declares the node twice (two membership slots).
			p.warnf("", "delete the repeated node entry", "node %s is declared twice", n)
		}
	}
	p.cfg.Nodes = append(p.cfg.Nodes, n)
	return true
}

func (p *parser) setWatchdog(v string) bool {
	if p.watchdogSet {
		stock := "heartbeat: Watchdog device multiply specified."
		p.refuse(LevelStderr, stock, "keep one watchdog line", "watchdog is given twice")
		return false
	}
	p.watchdogSet = true
	p.cfg.Watchdog = v
	return true
}

var bauds = []int{9600, 19200, 38400, 57600, 115200, 230400, 460800}

func (p *parser) setBaud(v string) bool {
	if p.baudSet {
		stock := "heartbeat: Baudrate multiply specified."
		p.refuse(LevelStderr, stock, "keep one baud line, above the serial lines", "baud is given twice")
		return false
	}
	p.baudSet = true
	n, clean := atoi(v)
	valid := false
	for _, b := range bauds {
		valid = valid || int64(b) == n
	}
	if !valid {
		stock := fmt.Sprintf("heartbeat: invalid baudrate [%s] specified.", v)
		p.refuse(LevelStderr, stock, "write baud with one of 9600, 19200, 38400, 57600, 115200, 230400, 460800", "baud %s is not a supported speed", v)
		return false
	}
	if !clean {
		p.warnf("", fmt.Sprintf("write baud %d", n), "baud %q is not a whole number; heartbeat reads it as %d", v, n)
	}
	if p.anyMedia {
		// Stock's message has no newline; it still means what it says.
		p.log(LevelStderr, "heartbeat: baudrate setting must precede media statements")
		if p.line > 0 {
			p.warnf("heartbeat: baudrate setting must precede media statements",
				"move the baud line above the media lines", "baud comes after media lines")
		}
	}
	p.cfg.Baud = int(n)
	return true
}

func (p *parser) setUDPPort(v string) bool {
	n, clean := atoi(v)
	if n <= 0 || n > 65535 {
		stock := fmt.Sprintf("heartbeat: invalid port [%s] specified.", v)
		if n <= 0 {
			p.log(LevelStderr, "%s", stock)
		} else {
			// hbgo: stock truncates ports above 65535 to 16 bits.
			stock = ""
		}
		p.errf(stock, "write udpport with a port number from 1 to 65535 (694 is heartbeat's)", "udpport %s is not a valid port", v)
		return false
	}
	if !clean {
		p.warnf("", fmt.Sprintf("write udpport %d", n), "udpport %q is not a whole number; heartbeat reads it as %d", v, n)
	}
	// COMPAT §2.1: the port is captured by the first bcast/ucast link.
	for _, kind := range []struct {
		seen bool
		port int
		name string
	}{{p.bcastSeen, p.bcastPort, MediumBcast}, {p.ucastSeen, p.ucastPort, MediumUcast}} {
		if kind.seen && kind.port != int(n) && p.line > 0 {
			p.warnf("", "move the udpport line above the media lines",
				"udpport %s comes after the first %s line, which keeps port %d (heartbeat reads ha.cf in order)", v, kind.name, kind.port)
		}
	}
	p.udpportSet = true
	p.cfg.UDPPort = int(n)
	return true
}

// facilities are the syslog facility names glibc knows (cl_syslogfac_str2int).
var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "local0": 16, "local1": 17, "local2": 18,
	"local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23, "security": 4, "none": -1,
}

func (p *parser) setFacility(v string) bool {
	// Stock compares facility names case-sensitively (testdata/stock/facility-case).
	if _, ok := facilities[v]; !ok {
		stock := fmt.Sprintf("Log facility(%s) not valid", v)
		p.refuse(LevelError, stock, "write logfacility with a syslog facility such as daemon, local0..local7, or none",
			"logfacility %s is not a syslog facility", v)
		return false
	}
	p.cfg.Logfacility = v
	return true
}

func (p *parser) setNiceFailback(v string) bool {
	// COMPAT §2.3 quirk: any boolean maps to auto_failback legacy, or off
	// when an auto_failback on|off line came earlier. Not recorded.
	_, ok := ParseBool(v)
	p.log(LevelError, "nice_failback flag is obsolete.. Use auto_failback {on, off, legacy} instead.")
	if ok {
		if p.boolFailback {
			p.log(LevelError, "'nice_failback %s' has been changed to 'auto_failback off'", v)
			p.cfg.AutoFailback = FailbackOff
			p.warnf(fmt.Sprintf("'nice_failback %s' has been changed to 'auto_failback off'", v),
				"delete the nice_failback line; auto_failback says it all", "nice_failback is obsolete; here it means auto_failback off")
		} else {
			p.log(LevelError, "nice_failback %s has been strictly interpreted as 'auto_failback legacy'", v)
			p.log(LevelError, "Consider converting to 'auto_failback on'.")
			p.log(LevelError, "When you do, then you can use ipfail, and hb_standby")
			p.cfg.AutoFailback = FailbackLegacy
			p.warnf(fmt.Sprintf("nice_failback %s has been strictly interpreted as 'auto_failback legacy'", v),
				"write auto_failback on (or off, or legacy) instead", "nice_failback is obsolete; it is read as auto_failback legacy")
		}
	} else {
		p.errf("", "write auto_failback on, off or legacy instead", "nice_failback %s is not a boolean (and nice_failback is obsolete)", v)
	}
	p.log(LevelError, "See documentation for details.")
	return ok
}

func (p *parser) setAutoFailback(v string) bool {
	if b, ok := ParseBool(v); ok {
		p.boolFailback = true
		p.cfg.AutoFailback = FailbackOff
		if b {
			p.cfg.AutoFailback = FailbackOn
		}
		return true
	}
	if lower(v) == "legacy" {
		p.boolFailback = false
		p.cfg.AutoFailback = FailbackLegacy
		return true
	}
	p.errf("", "write auto_failback on, off or legacy", "auto_failback %s is not on, off or legacy", v)
	return false
}

func (p *parser) setUseLogd(v string) bool {
	b, ok := p.boolValue("use_logd", v, "")
	if !ok {
		// Stock logs from an uninitialised flag here; on Debian 3.0.6 it
		// reads as off (testdata/stock/use-logd-bad).
		p.log(LevelWarn, "Logging daemon is disabled --enabling logging daemon is recommended")
		return false
	}
	p.cfg.UseLogd = b
	if !b {
		p.log(LevelWarn, "Logging daemon is disabled --enabling logging daemon is recommended")
	} else {
		p.log(LevelInfo, "Enabling logging daemon ")
		p.log(LevelInfo, "logfile and debug file are those specified in logd config file (default /etc/logd.cf)")
	}
	return true
}

func (p *parser) setCrm(v string) bool {
	// stock: crm is an alias that applies (and records) pacemaker.
	if !p.pacemaker("crm", v) {
		return false
	}
	p.cfg.Params["pacemaker"] = v
	return true
}

func (p *parser) setPacemaker(v string) bool { return p.pacemaker("pacemaker", v) }

func (p *parser) pacemaker(name, v string) bool {
	p.log(LevelInfo, "Pacemaker support: %s", v)
	switch lower(v) {
	case "respawn", "minimal", "manual", "valgrind":
	default:
		b, ok := ParseBool(v)
		if !ok {
			p.errf("", fmt.Sprintf("write %s no (hbgo runs haresources clusters only)", name), "%s %s is not a boolean or respawn|minimal|manual|valgrind", name, v)
			return false
		}
		if !b {
			p.cfg.Pacemaker = v
			return true
		}
	}
	p.cfg.Pacemaker = v
	// hbgo: stock would switch to Pacemaker and ignore haresources.
	p.errf("", fmt.Sprintf("remove the %s line, or keep this node on heartbeat+pacemaker", name),
		"%s %s: hbgo runs haresources (R1) clusters only", name, v)
	return true
}

func (p *parser) setEnv(v string) bool {
	i := strings.IndexByte(v, '=')
	if i <= 0 {
		// hbgo: stock reads past the end of a value without '=' (its
		// set_env only rejects an empty name).
		stock := ""
		if i == 0 {
			stock = fmt.Sprintf("set_env: invalid nvpair(%s)", v)
			p.log(LevelError, "%s", stock)
		}
		p.errf(stock, "write env NAME=value (values are split on blanks and commas)", "env %s is not NAME=value", v)
		return false
	}
	p.cfg.EnvVars = append(p.cfg.EnvVars, EnvVar{Line: p.line, Name: v[:i], Value: v[i+1:]})
	return true
}

func (p *parser) checkBool(v string) bool {
	stock := fmt.Sprintf("ha_config_check_boolean:Invalid directive value %s", v)
	_, ok := ParseBool(v)
	if !ok {
		p.refuse(LevelError, stock, "write on or off", "%s is not a boolean", v)
	}
	return ok
}

func (p *parser) acceptAny(string) bool { return true }

// Whole-line directives.

func (p *parser) setStonith(v string) bool {
	f := fields(v)
	if len(f) == 0 {
		p.log(LevelError, "No Stonith type given")
		p.errf("No Stonith type given", "write stonith <type> <config file>", "stonith line has no device type")
		return false
	}
	params := strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(v, whitespace), f[0]), whitespace)
	p.cfg.Stonith = append(p.cfg.Stonith, Stonith{Line: p.line, Type: f[0], Params: params})
	return true
}

func (p *parser) setStonithHost(v string) bool {
	f := fields(v)
	if len(f) == 0 {
		p.log(LevelError, "No Stonith hostname argument given")
		p.errf("No Stonith hostname argument given", "write stonith_host <host|*> <type> <parameters>", "stonith_host line has no host")
		return false
	}
	if len(f) < 2 {
		p.log(LevelError, "No Stonith type given")
		p.errf("No Stonith type given", "write stonith_host <host|*> <type> <parameters>", "stonith_host line has no device type")
		return false
	}
	rest := strings.TrimLeft(v, whitespace)
	rest = strings.TrimLeft(rest[len(f[0]):], whitespace)
	rest = strings.TrimLeft(rest[len(f[1]):], whitespace)
	p.cfg.Stonith = append(p.cfg.Stonith, Stonith{Line: p.line, Host: lower(f[0]), Type: f[1], Params: rest})
	return true
}

func (p *parser) setAPIAuth(v string) bool {
	bad := func(what string, stockFirst string) bool {
		if stockFirst != "" {
			p.log(LevelError, "%s", stockFirst)
		}
		stock := fmt.Sprintf("Invalid apiauth directive [%s]", v)
		p.log(LevelError, "%s", stock)
		p.log(LevelInfo, "Syntax: apiauth client [uid=uidlist] [gid=gidlist]")
		p.log(LevelInfo, "Where uidlist is a comma-separated list of uids,")
		p.log(LevelInfo, "and gidlist is a comma-separated list of gids")
		p.log(LevelInfo, "One or the other must be specified.")
		if stockFirst != "" {
			stock = stockFirst
		}
		p.errf(stock, "write apiauth <client> uid=<user,...> and/or gid=<group,...>", "%s", what)
		return false
	}
	f := fields(v)
	if len(f) == 0 {
		return bad("apiauth line has no client name", "")
	}
	a := APIAuth{Line: p.line, Client: f[0], Raw: v}
	var uidSeen, gidSeen bool
	for _, t := range f[1:] {
		switch {
		case strings.HasPrefix(t, "uid="):
			if uidSeen {
				return bad("apiauth "+a.Client+" has two uid= lists", "Duplicate uid list in apiauth")
			}
			uidSeen = true
			a.UIDs = splitList(t[4:])
		case strings.HasPrefix(t, "gid="):
			if gidSeen {
				return bad("apiauth "+a.Client+" has two gid= lists", "Duplicate gid list in apiauth")
			}
			gidSeen = true
			a.GIDs = splitList(t[4:])
		default:
			return bad(fmt.Sprintf("apiauth %s: %q is not uid=... or gid=...", a.Client, t), "Missing uid or gid in apiauth")
		}
	}
	if !uidSeen && !gidSeen {
		return bad("apiauth "+a.Client+" gives neither uid= nor gid=", "")
	}
	if p.apiClients[a.Client] {
		return bad("apiauth for client "+a.Client+" is given twice",
			fmt.Sprintf("Duplicate apiauth directive for API client %s: [%s]", a.Client, v))
	}
	p.apiClients[a.Client] = true
	p.cfg.APIAuth = append(p.cfg.APIAuth, a)
	return true
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (p *parser) addRespawn(v string) bool  { return p.addChild("respawn", v, false) }
func (p *parser) addFailfast(v string) bool { return p.addChild("failfast", v, true) }

func (p *parser) addChild(name, v string, failfast bool) bool {
	t := strings.TrimLeft(v, whitespace)
	f := fields(t)
	if len(f) == 0 {
		p.log(LevelError, "Invalid uid [] specified for client child")
		p.errf("Invalid uid [] specified for client child", fmt.Sprintf("write %s <user> /absolute/command [args]", name), "%s line is empty", name)
		return false
	}
	cmd := strings.TrimLeft(t[len(f[0]):], whitespace)
	if !strings.HasPrefix(cmd, "/") {
		stock := fmt.Sprintf("Client child command [%s] is not full pathname", cmd)
		p.refuse(LevelError, stock, fmt.Sprintf("write %s %s /absolute/path/to/command", name, f[0]), "%s command %q is not an absolute path", name, cmd)
		return false
	}
	p.cfg.Respawn = append(p.cfg.Respawn, Child{Line: p.line, User: f[0], Command: cmd, Path: fields(cmd)[0], Failfast: failfast})
	return true
}

// Media.

func (p *parser) udpPort() int {
	if p.cfg.UDPPort > 0 {
		return p.cfg.UDPPort
	}
	return DefaultUDPPort
}

func (p *parser) addMedium(m Medium) {
	m.Line = p.line
	p.cfg.Media = append(p.cfg.Media, m)
}

func (p *parser) addBcast(v string) bool {
	if !p.bcastSeen {
		p.bcastSeen, p.bcastPort = true, p.udpPort()
	}
	p.addMedium(Medium{Type: MediumBcast, Name: v, Iface: v, Port: p.bcastPort})
	return true
}

func (p *parser) addSerial(v string) bool {
	if !strings.HasPrefix(v, "/") {
		stock := fmt.Sprintf("glib: Serial port not full pathname [%s] in config file", v)
		p.log(LevelError, "%s", stock)
		p.log(LevelError, "Illegal serial [serial ring] in config file [%s]", v)
		p.errf(stock, "write serial /dev/ttyS0 (the full device path)", "serial device %s is not an absolute path", v)
		return false
	}
	p.addMedium(Medium{Type: MediumSerial, Name: v, Device: v, Baud: p.cfg.Baud})
	return true
}

func (p *parser) addPing(v string) bool {
	p.addMedium(Medium{Type: MediumPing, Name: v, Addrs: []string{v}})
	return true
}

func (p *parser) addPing6(v string) bool {
	p.addMedium(Medium{Type: MediumPing6, Name: v, Addrs: []string{v}})
	return true
}

func (p *parser) addUcast(v string) bool  { return p.ucast(MediumUcast, v) }
func (p *parser) addUcast6(v string) bool { return p.ucast(MediumUcast6, v) }

func (p *parser) ucast(kind, v string) bool {
	f := fields(v)
	if len(f) < 2 {
		stock := ""
		if kind == MediumUcast {
			stock = fmt.Sprintf("glib: ucast: [%s] missing target IP address/hostname", f[0])
			p.log(LevelError, "%s", stock)
		}
		p.errf(stock, fmt.Sprintf("write %s %s <peer address>", kind, f[0]), "%s %s has no peer address", kind, f[0])
		return false
	}
	if len(f) > 2 {
		// COMPAT §2.3: only the first address on the line is used.
		p.warnf("", fmt.Sprintf("write one %s line per peer: %s %s %s", kind, kind, f[0], f[2]),
			"%s line names %d addresses; heartbeat uses only the first, %s", kind, len(f)-1, f[1])
	}
	port := 0
	if kind == MediumUcast {
		if !p.ucastSeen {
			p.ucastSeen, p.ucastPort = true, p.udpPort()
		}
		port = p.ucastPort
	} else {
		port = p.udpPort()
	}
	p.addMedium(Medium{Type: kind, Name: f[0], Iface: f[0], Peer: f[1], Port: port})
	return true
}

// mcastNum reads field i of an mcast line as a whole number in [lo, hi].
func (p *parser) mcastNum(kind string, f []string, i int, what string, lo, hi int) (int, bool) {
	syntax := mediumSyntax(kind)
	if len(f) <= i {
		stock := ""
		if kind == MediumMcast {
			stock = fmt.Sprintf("glib: mcast [%s] missing %s", f[0], what)
			p.log(LevelError, "%s", stock)
		}
		p.errf(stock, "write "+syntax, "%s %s: missing %s", kind, f[0], what)
		return 0, false
	}
	n, err := strconv.Atoi(f[i])
	if err != nil || n < lo || n > hi {
		// hbgo: stock reads these fields with atoi and truncates them to
		// 8 or 16 bits, so "260" would pass as ttl 4; we refuse.
		stock := ""
		if kind == MediumMcast {
			a, _ := atoi(f[i])
			stock = fmt.Sprintf("glib:  mcast [%s] bad %s [%d]", f[0], what, a)
			p.log(LevelError, "%s", stock)
		}
		p.errf(stock, fmt.Sprintf("write a whole number from %d to %d (%s)", lo, hi, syntax), "%s %s: bad %s %s", kind, f[0], what, f[i])
		return 0, false
	}
	return n, true
}

func (p *parser) addMcast(v string) bool  { return p.mcast(MediumMcast, v) }
func (p *parser) addMcast6(v string) bool { return p.mcast(MediumMcast6, v) }

func (p *parser) mcast(kind, v string) bool {
	f := fields(v)
	syntax := mediumSyntax(kind)
	if len(f) < 2 {
		stock := ""
		if kind == MediumMcast {
			stock = fmt.Sprintf("glib: mcast [%s] missing mcast address", f[0])
			p.log(LevelError, "%s", stock)
		}
		p.errf(stock, "write "+syntax, "%s %s: missing multicast group", kind, f[0])
		return false
	}
	ip := net.ParseIP(f[1])
	if kind == MediumMcast {
		if ip == nil || ip.To4() == nil || !ip.IsMulticast() {
			stock := fmt.Sprintf("glib: mcast [%s] bad addr [%s]", f[0], f[1])
			p.refuse(LevelError, stock, "write an IPv4 multicast group in 224.0.0.0/4, e.g. 239.0.0.1", "mcast %s: %s is not an IPv4 multicast address", f[0], f[1])
			return false
		}
	} else if ip == nil || ip.To4() != nil || !ip.IsMulticast() {
		p.errf("", "write an IPv6 multicast group in ff00::/8, e.g. ff05::694", "mcast6 %s: %s is not an IPv6 multicast address", f[0], f[1])
		return false
	}
	port, ok := p.mcastNum(kind, f, 2, "port", 1, 65535)
	if !ok {
		return false
	}
	ttlName, ttlMax := "ttl", 4
	if kind == MediumMcast6 {
		ttlName, ttlMax = "hops", 255
	}
	ttl, ok := p.mcastNum(kind, f, 3, ttlName, 0, ttlMax)
	if !ok {
		return false
	}
	loop, ok := p.mcastNum(kind, f, 4, "loop", 0, 1)
	if !ok {
		return false
	}
	if len(f) > 5 {
		p.warnf("", "write "+syntax, "%s line has %d extra fields, ignored", kind, len(f)-5)
	}
	p.addMedium(Medium{Type: kind, Name: f[0], Iface: f[0], Group: f[1], Port: port, TTL: ttl, Loop: loop})
	return true
}

func (p *parser) addPingGroup(v string) bool {
	f := fields(v)
	if len(f) < 2 {
		p.errf("", "write ping_group <name> <address> [<address> ...]", "ping_group %s has no addresses", f[0])
		return false
	}
	p.addMedium(Medium{Type: MediumPingGroup, Name: f[0], Addrs: f[1:]})
	return true
}
