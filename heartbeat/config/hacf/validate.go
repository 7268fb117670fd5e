package hacf

import (
	"fmt"
	"strconv"
	"time"

	"hbgo/internal/diag"
)

// implicitAPIAuth are stock's built-in apiauth entries, added for clients
// ha.cf does not name (parse_config's defserv table).
var implicitAPIAuth = []APIAuth{
	{Client: "ipfail", UIDs: []string{"hacluster"}, Raw: "ipfail uid=hacluster", Implicit: true},
	{Client: "ccm", UIDs: []string{"hacluster"}, Raw: "ccm uid=hacluster", Implicit: true},
	{Client: "ping", GIDs: []string{"haclient"}, Raw: "ping gid=haclient", Implicit: true},
	{Client: "lha-snmpagent", UIDs: []string{"root"}, Raw: "lha-snmpagent uid=root", Implicit: true},
	{Client: "anon", GIDs: []string{"haclient"}, Raw: "anon gid=haclient", Implicit: true},
}

// lastLine returns the line of the last applied occurrence of name, or 0.
func (c *Config) lastLine(name string) int {
	for i := len(c.Directives) - 1; i >= 0; i-- {
		if c.Directives[i].Name == name {
			return c.Directives[i].Line
		}
	}
	return 0
}

// raw is the recorded text of a time directive, or its value when the
// directive was refused (and so never recorded).
func (c *Config) raw(name string, d time.Duration) string {
	if v, ok := c.Params[name]; ok {
		return v
	}
	return fmtMs(d.Milliseconds())
}

// fmtMs writes a millisecond count the way an admin would: whole seconds
// bare, anything else with ms.
func fmtMs(ms int64) string {
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10)
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// aboveSeconds is the smallest whole number of seconds strictly above ms.
func aboveSeconds(ms int64) int64 { return ms/1000 + 1 }

// finish is the part of stock's init_config that runs after parse_config:
// implicit apiauth, defaults, derived timings and the whole-file checks
// (COMPAT §2.4, PROTOCOL §10.2).
func (p *parser) finish(o Options) {
	c := p.cfg
	r := finishReport{p: p, on: p.applyDefaults(o)}
	if len(c.Media) == 0 {
		r.errAt(0, "No heartbeat media defined", "add a link such as bcast eth1, ucast eth1 <peer address> or serial /dev/ttyS0",
			"no heartbeat media defined")
	}
	p.checkHardening()
	if c.Warntime <= 0 {
		c.Warntime = c.Deadtime / 2
		c.Params["warntime"] = msText(c.Warntime) + "ms"
	}
	if len(c.Nodes) == 0 && lower(c.Autojoin) != "any" {
		r.errAt(0, "no nodes defined", "add a node line per cluster member: node <uname -n of each node>", "no nodes defined")
	}
	if o.LocalNode != "" {
		ps, lines := c.checkLocalNode(o.LocalNode)
		p.probs = append(p.probs, ps...)
		if r.on {
			c.StartupLog = append(c.StartupLog, lines...)
		}
	}
	c.Refused = p.failed
	p.checkTimings(r)
	if _, ok := c.Params["udpport"]; !ok {
		c.Params["udpport"] = strconv.Itoa(DefaultUDPPort)
	}
	if c.UDPPort == 0 {
		c.UDPPort = DefaultUDPPort
	}
	if c.AutoFailback == FailbackLegacy && c.ManagesResources() {
		r.logf(LevelWarn, "Deprecated 'legacy' auto_failback option selected.")
		r.logf(LevelWarn, "Please convert to 'auto_failback on'.")
		r.logf(LevelWarn, "See documentation for conversion details.")
		r.warnAt(c.lastLine("auto_failback"), "Deprecated 'legacy' auto_failback option selected.",
			"write auto_failback on (or off) on every node; hb_standby and ipfail need it",
			"auto_failback legacy (the default) uses the old ip-request protocol")
	}
	p.checkLogd(r.logf, r.errAt, r.warnAt)
	if c.ManagesResources() && lower(c.Autojoin) != "none" {
		line := c.lastLine("autojoin")
		r.errAt(line, "R1 style resource management conflicts with  autojoin set",
			"write autojoin none (or delete the autojoin line): hbgo runs haresources clusters, whose nodes are all declared with node lines",
			"autojoin %s cannot be used with haresources", c.Autojoin)
		r.logf(LevelError, "You need either unset autojoin or enable crm")
	}
}

// finishReport records finish's problems, and logs stock's lines unless stock would have stopped at a parse error.
type finishReport struct {
	p  *parser
	on bool // stock's lines go to the start-up log
}

func (r finishReport) logf(level Level, format string, args ...any) {
	if r.on {
		r.p.log(level, format, args...)
	}
}

// errAt records an error at line, logging stock's text when there is one.
func (r finishReport) errAt(line int, stock, hint, format string, args ...any) {
	if stock != "" {
		r.logf(LevelError, "%s", stock)
	}
	r.p.probs = append(r.p.probs, diag.Problem{File: r.p.file, Line: line, Severity: diag.Error,
		What: fmt.Sprintf(format, args...), Hint: hint, Stock: stock})
}

// warnAt records a warning at line.
func (r finishReport) warnAt(line int, stock, hint, format string, args ...any) {
	r.p.probs = append(r.p.probs, diag.Problem{File: r.p.file, Line: line, Severity: diag.Warning,
		What: fmt.Sprintf(format, args...), Hint: hint, Stock: stock})
}

// applyDefaults adds the implicit apiauth lines and the defaults of unset directives and debug; it reports whether stock's lines are still logged (false after a parse error).
func (p *parser) applyDefaults(o Options) bool {
	c := p.cfg
	for _, a := range implicitAPIAuth {
		if !p.apiClients[a.Client] {
			c.APIAuth = append(c.APIAuth, a)
		}
	}
	logOn := true
	if p.parseFail {
		// Stock stops here; our checks below still run (report everything)
		// but log nothing further.
		p.log(LevelError, "Heartbeat not started: configuration error.")
		logOn = false
	}
	saved := c.StartupLog
	p.line = 0
	for _, d := range directives {
		if d.def == "" {
			continue
		}
		if _, ok := c.Params[d.name]; !ok && !p.tried[d.name] || !ok && !p.parseFail {
			p.setDefault(d.name, d.def)
		}
	}
	if _, ok := c.Params["debug"]; !ok {
		c.Params["debug"] = strconv.Itoa(o.DebugLevel)
		c.Debug = o.DebugLevel
	}
	if !logOn {
		c.StartupLog = saved
	}
	return logOn
}

// refused reports whether any of the named directives had its value refused.
// A refused value leaves the default in place: a check comparing it
// would report a second, false error (deadtime 10s0 is not "less than
// initdead"), so checks that use a refused directive are skipped.
func (p *parser) refused(names ...string) bool {
	for _, n := range names {
		if p.failed[n] {
			return true
		}
	}
	return false
}

// checkTimings derives initdead and deadping when unset and checks deadtime, initdead and deadping against keepalive (PROTOCOL §10.2).
func (p *parser) checkTimings(r finishReport) {
	c := p.cfg
	ka, dt := c.Keepalive.Milliseconds(), c.Deadtime.Milliseconds()
	if dt <= 2*ka && !p.refused("deadtime", "keepalive") {
		line := c.lastLine("deadtime")
		if line == 0 {
			line = c.lastLine("keepalive")
		}
		hint := fmt.Sprintf("write deadtime %d or more", aboveSeconds(2*ka))
		if dt/2 >= 1 {
			hint += fmt.Sprintf(" (or a keepalive below %s)", fmtMs(dt/2))
		}
		r.errAt(line, fmt.Sprintf("Dead time [%d] is too small compared to keeplive [%d]", dt, ka), hint,
			"deadtime %s must be more than twice keepalive %s", c.raw("deadtime", c.Deadtime), c.raw("keepalive", c.Keepalive))
	}
	if c.Initdead < 0 {
		switch {
		case dt > 10000:
			c.Initdead = c.Deadtime
		case dt < 6000:
			c.Initdead = 12 * time.Second
		default:
			c.Initdead = 2 * c.Deadtime
		}
		c.Params["initdead"] = msText(c.Initdead) + "ms"
	}
	id := c.Initdead.Milliseconds()
	if p.refused("initdead", "deadtime") {
		// reported where the value was refused
	} else if id < dt {
		r.errAt(c.lastLine("initdead"), fmt.Sprintf("Initial dead time [%d] is smaller than deadtime [%d]", id, dt),
			fmt.Sprintf("write initdead %s or more (at least 10 is advised)", fmtMs(max(dt, 10000))),
			"initdead %s must not be less than deadtime %s", c.raw("initdead", c.Initdead), c.raw("deadtime", c.Deadtime))
	} else if id < 10000 {
		stock := fmt.Sprintf("Initial dead time [%d ms] may be too small!", id)
		r.logf(LevelWarn, "%s", stock)
		r.logf(LevelInfo, "Initial dead time accounts for slow network startup time")
		r.logf(LevelInfo, "It should be >= deadtime and >= 10 seconds")
		r.warnAt(c.lastLine("initdead"), stock, "write initdead 10 or more: it covers slow network start-up",
			"initdead %s is less than 10 seconds", c.Params["initdead"])
	}
	if c.Deadping < 0 {
		c.Deadping = c.Deadtime
		c.Params["deadping"] = msText(c.Deadping) + "ms"
	} else if dp := c.Deadping.Milliseconds(); dp <= 2*ka && !p.refused("deadping", "keepalive") {
		r.errAt(c.lastLine("deadping"), fmt.Sprintf("Ping dead time [%d] is too small compared to keeplive [%d]", dp, ka),
			fmt.Sprintf("write deadping %d or more", aboveSeconds(2*ka)),
			"deadping %s must be more than twice keepalive %s", c.raw("deadping", c.Deadping), c.raw("keepalive", c.Keepalive))
	}
}

// checkLogd is stock's check_logd_usage.
func (p *parser) checkLogd(logf func(Level, string, ...any), errAt, warnAt func(int, string, string, string, ...any)) {
	c := p.cfg
	v, set := c.Params["use_logd"]
	useLogd := false
	if set {
		useLogd, _ = ParseBool(v)
	}
	fac := -1
	if c.Logfacility != "" {
		fac = facilities[c.Logfacility]
	}
	if c.Logfile == "" && c.Debugfile == "" && fac <= 0 {
		if !set {
			logf(LevelInfo, "No log entry found in ha.cf -- use logd")
			c.Params["use_logd"] = "yes"
			c.UseLogd = true
			logf(LevelInfo, "Enabling logging daemon ")
			logf(LevelInfo, "logfile and debug file are those specified in logd config file (default /etc/logd.cf)")
			return
		}
		if !useLogd {
			errAt(c.lastLine("use_logd"), "No log entry found in ha.cf and use_logd is set to off",
				"add logfile /var/log/ha-log (or logfacility daemon), or write use_logd yes",
				"no logging configured and use_logd is off")
		}
		return
	}
	if !set || !useLogd {
		logf(LevelWarn, "Logging daemon is disabled --enabling logging daemon is recommended")
		return
	}
	// Stock tests its logfile and debugfile buffers for NULL, which they
	// never are, so both names always appear.
	what := "logfile/debugfile"
	if fac > 0 {
		what += "/logfacility"
	}
	logf(LevelWarn, "logd is enabled but %s is still configured in ha.cf", what)
}

// CheckLocalNode reports whether the local node name is declared
// (COMPAT §2.6, stock's `Current node [x] not in configuration!`).
func (c *Config) CheckLocalNode(name string) diag.Problems {
	ps, _ := c.checkLocalNode(name)
	return ps
}

// LocalNodeLog returns the lines stock logs for the local-node check.
func (c *Config) LocalNodeLog(name string) []LogLine {
	_, l := c.checkLocalNode(name)
	return l
}

func (c *Config) checkLocalNode(name string) (diag.Problems, []LogLine) {
	n := lower(name)
	if c.HasNode(n) {
		return nil, nil
	}
	if lower(c.Autojoin) == "any" {
		return nil, []LogLine{{LevelInfo, fmt.Sprintf("Current node [%s] added to configuration.", n)}}
	}
	stock := fmt.Sprintf("Current node [%s] not in configuration!", n)
	lines := []LogLine{
		{LevelError, stock},
		{LevelInfo, "By default, cluster nodes are named by `uname -n` and must be declared with a 'node' directive in the ha.cf file."},
		{LevelInfo, "See also: http://linux-ha.org/wiki/Ha.cf#node_directive"},
	}
	hint := fmt.Sprintf("add node %s (the name from uname -n or %snodeinfo)", n, c.Dir)
	return diag.Problems{{File: c.File, Line: 0, Severity: diag.Error,
		What: fmt.Sprintf("this node, %s, is not declared with a node line", n), Hint: hint, Stock: stock}}, lines
}
