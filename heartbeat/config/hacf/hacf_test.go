package hacf

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"hbgo/internal/diag"
)

// base is a valid ha.cf of 5 lines; test lines appended to it are line 6+.
const base = "logfile /var/log/ha-log\nuse_logd no\nauto_failback on\nbcast eth1\nnode node1 node2\n"

func parseString(t *testing.T, s string) (*Config, diag.Problems) {
	t.Helper()
	return ParseWith(strings.NewReader(s), "ha.cf", Options{})
}

func firstError(ps diag.Problems) string {
	for _, p := range ps {
		if p.Severity == diag.Error {
			return p.Error()
		}
	}
	return ""
}

func TestDirectives(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		line    string
		param   string // directive whose recorded raw value is checked
		raw     string
		get     func(*Config) any
		want    any
		wantErr string // full first error, "" = accepted
	}{
		// time values (COMPAT §2.2, PROTOCOL §10.1)
		{line: "keepalive 2", param: "keepalive", raw: "2", get: func(c *Config) any { return c.Keepalive }, want: 2000 * ms},
		{line: "keepalive 1.5", param: "keepalive", raw: "1.5", get: func(c *Config) any { return c.Keepalive }, want: 1500 * ms},
		{line: "keepalive 500ms", param: "keepalive", raw: "500ms", get: func(c *Config) any { return c.Keepalive }, want: 500 * ms},
		{line: "keepalive 500msec", param: "keepalive", raw: "500msec", get: func(c *Config) any { return c.Keepalive }, want: 500 * ms},
		{line: "keepalive 1500us", param: "keepalive", raw: "1500us", get: func(c *Config) any { return c.Keepalive }, want: 2 * ms},
		{line: "keepalive 100US", param: "keepalive", raw: "100US", get: func(c *Config) any { return c.Keepalive }, want: 0 * ms,
			wantErr: "ha.cf:6: error: keepalive 100US must be more than 0; write keepalive 1 (or a value such as 500ms)"},
		{line: "keepalive 0.1", param: "keepalive", raw: "0.1", get: func(c *Config) any { return c.Keepalive }, want: 100 * ms},
		{line: "keepalive 1 2", param: "keepalive", raw: "2", get: func(c *Config) any { return c.Keepalive }, want: 2000 * ms},
		{line: "keepalive 1s", wantErr: "ha.cf:6: error: keepalive 1s is not a valid time; write keepalive 1 (bare numbers are seconds; there is no s suffix)"},
		{line: "keepalive 0", wantErr: "ha.cf:6: error: keepalive 0 must be more than 0; write keepalive 1 (or a value such as 500ms)"},
		{line: "keepalive -1", wantErr: "ha.cf:6: error: keepalive -1 is not a valid time; " + timeHint},
		{line: "deadtime 10 ms", wantErr: `ha.cf:6: error: deadtime ms is not a valid time; values are split on blanks, so "ms" became a value of its own; attach the unit to the number (deadtime 10ms)`},
		{line: "deadtime 0", param: "deadtime", raw: "0", wantErr: "ha.cf:6: error: deadtime 0 must be more than twice keepalive 1000ms; write deadtime 3 or more"},
		{line: "deadtime 40", param: "deadtime", raw: "40", get: func(c *Config) any { return []time.Duration{c.Deadtime, c.Warntime, c.Initdead, c.Deadping} },
			want: []time.Duration{40 * time.Second, 20 * time.Second, 40 * time.Second, 40 * time.Second}},
		{line: "warntime 0", wantErr: "ha.cf:6: error: warntime 0 must be more than 0; write warntime 1 (or a value such as 500ms)"},
		{line: "warntime 4", param: "warntime", raw: "4", get: func(c *Config) any { return c.Warntime }, want: 4 * time.Second},
		{line: "initdead 60", param: "initdead", raw: "60", get: func(c *Config) any { return c.Initdead }, want: time.Minute},
		{line: "deadping 40", param: "deadping", raw: "40", get: func(c *Config) any { return c.Deadping }, want: 40 * time.Second},
		{line: "conn_logd_time 0", wantErr: "ha.cf:6: error: conn_logd_time 0 must be more than 0; write conn_logd_time 1 (or a value such as 500ms)"},
		// integers
		{line: "udpport 695", param: "udpport", raw: "695", get: func(c *Config) any { return c.UDPPort }, want: 695},
		{line: "udpport 0", wantErr: "ha.cf:6: error: udpport 0 is not a valid port; write udpport with a port number from 1 to 65535 (694 is heartbeat's)"},
		{line: "udpport 70000", wantErr: "ha.cf:6: error: udpport 70000 is not a valid port; write udpport with a port number from 1 to 65535 (694 is heartbeat's)"},
		{line: "hopfudge 3", param: "hopfudge", raw: "3", get: func(c *Config) any { return c.Hopfudge }, want: 3},
		{line: "hopfudge 256", wantErr: "ha.cf:6: error: hopfudge 256 is out of range; write hopfudge with a whole number from 0 to 255"},
		{line: "debug 3", param: "debug", raw: "3", get: func(c *Config) any { return c.Debug }, want: 3},
		{line: "debug 300", wantErr: "ha.cf:6: error: debug 300 is out of range; write debug with a whole number from 0 to 255"},
		{line: "memreserve 4000", param: "memreserve", raw: "4000", get: func(c *Config) any { return c.Memreserve }, want: 4000},
		{line: "memreserve 0", wantErr: "ha.cf:6: error: memreserve 0 is out of range; write memreserve with a whole number from 1 to 2147483647"},
		{line: "rtprio 50", param: "rtprio", raw: "50", get: func(c *Config) any { return c.RTPrio }, want: 50},
		{line: "rtprio 100", wantErr: "ha.cf:6: error: rtprio 100 is out of range; write rtprio with a whole number from 1 to 99"},
		{line: "max_rexmit_delay 0", wantErr: "ha.cf:6: error: max_rexmit_delay 0 is out of range; write max_rexmit_delay with a whole number from 1 to 2147483647"},
		{line: "compression_threshold 4", param: "compression_threshold", raw: "4", get: func(c *Config) any { return c.CompressionThreshold }, want: 4},
		{line: "compression_threshold 0", wantErr: "ha.cf:6: error: compression_threshold 0 is out of range; write compression_threshold with a whole number from 1 to 1048576"},
		// baud
		{line: "baud 38400", param: "baud", raw: "38400", get: func(c *Config) any { return c.Baud }, want: 38400},
		{line: "baud 12345", wantErr: "ha.cf:6: error: baud 12345 is not a supported speed; write baud with one of 9600, 19200, 38400, 57600, 115200, 230400, 460800"},
		{line: "baud 9600\nbaud 9600", wantErr: "ha.cf:7: error: baud is given twice; keep one baud line, above the serial lines"},
		{line: "watchdog /dev/watchdog\nwatchdog /dev/watchdog", wantErr: "ha.cf:7: error: watchdog is given twice; keep one watchdog line"},
		// booleans and keywords
		{line: "auto_failback off", param: "auto_failback", raw: "off", get: func(c *Config) any { return c.AutoFailback }, want: FailbackOff},
		{line: "auto_failback YES", param: "auto_failback", raw: "YES", get: func(c *Config) any { return c.AutoFailback }, want: FailbackOn},
		{line: "auto_failback Legacy", param: "auto_failback", raw: "Legacy", get: func(c *Config) any { return c.AutoFailback }, want: FailbackLegacy},
		{line: "auto_failback maybe", wantErr: "ha.cf:6: error: auto_failback maybe is not on, off or legacy; write auto_failback on, off or legacy"},
		{line: "realtime n", param: "realtime", raw: "n", get: func(c *Config) any { return c.Realtime }, want: false},
		{line: "realtime sure", wantErr: "ha.cf:6: error: realtime sure is not a boolean; write realtime on or realtime off (true/false, yes/no, y/n, 1/0 also work)"},
		{line: "syslogmsgfmt false", param: "syslogmsgfmt", raw: "false", get: func(c *Config) any { return c.SyslogMsgFmt }, want: false},
		{line: "hbgenmethod time", param: "hbgenmethod", raw: "time", get: func(c *Config) any { return c.HBGenMethod }, want: "time"},
		{line: "hbgenmethod clock", wantErr: "ha.cf:6: error: hbgenmethod clock is not file or time; write hbgenmethod file (or time)"},
		{line: "msgfmt netstring", param: "msgfmt", raw: "netstring", get: func(c *Config) any { return c.MsgFmt }, want: "netstring"},
		{line: "msgfmt xml", wantErr: "ha.cf:6: error: msgfmt xml is not classic or netstring; write msgfmt classic (or netstring)"},
		{line: "uuidfrom nodename", param: "uuidfrom", raw: "nodename", get: func(c *Config) any { return c.UUIDFrom }, want: "nodename"},
		{line: "uuidfrom mac", wantErr: "ha.cf:6: error: uuidfrom mac is not file or nodename; write uuidfrom file (or nodename)"},
		{line: "compression bz2", param: "compression", raw: "bz2", get: func(c *Config) any { return c.Compression }, want: "bz2"},
		{line: "logfacility local0", param: "logfacility", raw: "local0", get: func(c *Config) any { return c.Logfacility }, want: "local0"},
		{line: "logfacility bogus", wantErr: "ha.cf:6: error: logfacility bogus is not a syslog facility; write logfacility with a syslog facility such as daemon, local0..local7, or none"},
		{line: "record_config_changes maybe", wantErr: "ha.cf:6: error: maybe is not a boolean; write on or off"},
		{line: "cluster prod", param: "cluster", raw: "prod", get: func(c *Config) any { return c.Cluster }, want: "prod"},
		{line: "crm no", param: "pacemaker", raw: "no", get: func(c *Config) any { return c.ManagesResources() }, want: true},
		{line: "crm respawn", wantErr: "ha.cf:6: error: crm respawn: hbgo runs haresources (R1) clusters only; remove the crm line, or keep this node on heartbeat+pacemaker"},
		{line: "pacemaker on", wantErr: "ha.cf:6: error: pacemaker on: hbgo runs haresources (R1) clusters only; remove the pacemaker line, or keep this node on heartbeat+pacemaker"},
		{line: "autojoin any", wantErr: "ha.cf:6: error: autojoin any cannot be used with haresources; write autojoin none (or delete the autojoin line): hbgo runs haresources clusters, whose nodes are all declared with node lines"},
		{line: "autojoin sometimes", wantErr: "ha.cf:6: error: autojoin sometimes is not none, other or any; write autojoin none (or delete the line)"},
		{line: "env FOO=bar", get: func(c *Config) any { return c.EnvVars }, want: []EnvVar{{Line: 6, Name: "FOO", Value: "bar"}}},
		{line: "env FOO", wantErr: "ha.cf:6: error: env FOO is not NAME=value; write env NAME=value (values are split on blanks and commas)"},
		// node names (COMPAT §2.6)
		{line: "node NODE3,Node4", get: func(c *Config) any { return c.Nodes }, want: []string{"node1", "node2", "node3", "node4"}},
		// media (COMPAT §2.5)
		{line: "serial /dev/ttyS0", get: func(c *Config) any { return c.Media[1] }, want: Medium{Type: "serial", Name: "/dev/ttyS0", Line: 6, Device: "/dev/ttyS0", Baud: 19200}},
		{line: "serial ttyS0", wantErr: "ha.cf:6: error: serial device ttyS0 is not an absolute path; write serial /dev/ttyS0 (the full device path)"},
		{line: "ucast eth1 10.0.0.2", get: func(c *Config) any { return c.Media[1] }, want: Medium{Type: "ucast", Name: "eth1", Line: 6, Iface: "eth1", Peer: "10.0.0.2", Port: 694}},
		{line: "ucast eth1", wantErr: "ha.cf:6: error: ucast eth1 has no peer address; write ucast eth1 <peer address>"},
		{line: "mcast eth1 239.0.0.1 694 1 0", get: func(c *Config) any { return c.Media[1] }, want: Medium{Type: "mcast", Name: "eth1", Line: 6, Iface: "eth1", Group: "239.0.0.1", Port: 694, TTL: 1}},
		{line: "mcast eth1 239.0.0.1 694", wantErr: "ha.cf:6: error: mcast eth1: missing ttl; write mcast <interface> <group> <port> <ttl 0..4> <loop 0|1>"},
		{line: "mcast eth1 10.0.0.1 694 1 0", wantErr: "ha.cf:6: error: mcast eth1: 10.0.0.1 is not an IPv4 multicast address; write an IPv4 multicast group in 224.0.0.0/4, e.g. 239.0.0.1"},
		{line: "mcast eth1 239.0.0.1 694 5 0", wantErr: "ha.cf:6: error: mcast eth1: bad ttl 5; write a whole number from 0 to 4 (mcast <interface> <group> <port> <ttl 0..4> <loop 0|1>)"},
		{line: "mcast eth1 239.0.0.1 694 1 2", wantErr: "ha.cf:6: error: mcast eth1: bad loop 2; write a whole number from 0 to 1 (mcast <interface> <group> <port> <ttl 0..4> <loop 0|1>)"},
		{line: "mcast", wantErr: "ha.cf:6: error: mcast line has no arguments (stock heartbeat crashes on it); complete the line (mcast <interface> <group> <port> <ttl 0..4> <loop 0|1>) or delete it"},
		{line: "ping 10.0.0.254", get: func(c *Config) any { return c.Media[1] }, want: Medium{Type: "ping", Name: "10.0.0.254", Line: 6, Addrs: []string{"10.0.0.254"}}},
		{line: "ping_group grp1 10.0.0.1 10.0.0.2", get: func(c *Config) any { return c.Media[1] }, want: Medium{Type: "ping_group", Name: "grp1", Line: 6, Addrs: []string{"10.0.0.1", "10.0.0.2"}}},
		{line: "ping_group grp1", wantErr: "ha.cf:6: error: ping_group grp1 has no addresses; write ping_group <name> <address> [<address> ...]"},
		// whole-line directives
		{line: "respawn hacluster /usr/lib/heartbeat/ipfail -x", get: func(c *Config) any { return c.Respawn },
			want: []Child{{Line: 6, User: "hacluster", Command: "/usr/lib/heartbeat/ipfail -x", Path: "/usr/lib/heartbeat/ipfail"}}},
		{line: "failfast hacluster ipfail", wantErr: `ha.cf:6: error: failfast command "ipfail" is not an absolute path; write failfast hacluster /absolute/path/to/command`},
		{line: "apiauth ipfail gid=haclient uid=hacluster,root", get: func(c *Config) any { return c.APIAuth[0] },
			want: APIAuth{Line: 6, Client: "ipfail", UIDs: []string{"hacluster", "root"}, GIDs: []string{"haclient"}, Raw: "ipfail gid=haclient uid=hacluster,root"}},
		{line: "apiauth ipfail uid=a\napiauth ipfail gid=b", wantErr: "ha.cf:7: error: apiauth for client ipfail is given twice; write apiauth <client> uid=<user,...> and/or gid=<group,...>"},
		{line: "apiauth ipfail", wantErr: "ha.cf:6: error: apiauth ipfail gives neither uid= nor gid=; write apiauth <client> uid=<user,...> and/or gid=<group,...>"},
		{line: "stonith_host * baytech 10.0.0.3 mylogin mysecretpassword", get: func(c *Config) any { return c.Stonith },
			want: []Stonith{{Line: 6, Host: "*", Type: "baytech", Params: "10.0.0.3 mylogin mysecretpassword"}}},
		// lexical rules (COMPAT §2.1)
		{line: "  keepalive 2 # comment", param: "keepalive", raw: "2"},
		{line: "keepalive 2#3", param: "keepalive", raw: "2"},
		{line: "keepalive 2\r3", param: "keepalive", raw: "2"},
		{line: "keepalive 2\x00 3", param: "keepalive", raw: "2"},
		{line: "keepalive ,2,", param: "keepalive", raw: "2"},
		{line: "Keepalive 2", wantErr: `ha.cf:6: error: unknown directive "Keepalive"; directive names are lower case: write keepalive`},
		{line: "keepalve 2", wantErr: `ha.cf:6: error: unknown directive "keepalve"; did you mean keepalive? (hbgo's own settings go in hbgo.cf, not ha.cf)`},
		{line: "keepalive", param: "keepalive", raw: "1000ms"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			c, ps := parseString(t, base+tt.line+"\n")
			if got := firstError(ps); got != tt.wantErr {
				t.Fatalf("first error:\n got %q\nwant %q", got, tt.wantErr)
			}
			if tt.wantErr != "" {
				return
			}
			if tt.param != "" {
				if got := c.Params[tt.param]; got != tt.raw {
					t.Errorf("param %s = %q, want %q", tt.param, got, tt.raw)
				}
			}
			if tt.get != nil {
				if d := cmp.Diff(tt.want, tt.get(c)); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
			}
		})
	}
}

// TestRefusals has one case per refusal condition of COMPAT §2.4; all
// problems of a file come back from one run.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		local string
		want  []diag.Problem // error-severity problems, in order
	}{
		{"unknown directive", base + "foo bar\n", "", []diag.Problem{{File: "ha.cf", Line: 6, Severity: diag.Error,
			What: `unknown directive "foo"`, Hint: "remove the line or use a directive from ha.cf(5) (hbgo's own settings go in hbgo.cf)",
			Stock: "Illegal directive [foo] in /etc/ha.d//ha.cf"}}},
		{"no media, no nodes", "logfile /x\n", "", []diag.Problem{
			{File: "ha.cf", Severity: diag.Error, What: "no heartbeat media defined",
				Hint: "add a link such as bcast eth1, ucast eth1 <peer address> or serial /dev/ttyS0", Stock: "No heartbeat media defined"},
			{File: "ha.cf", Severity: diag.Error, What: "no nodes defined",
				Hint: "add a node line per cluster member: node <uname -n of each node>", Stock: "no nodes defined"}}},
		{"local node not listed", base, "Node3", []diag.Problem{{File: "ha.cf", Severity: diag.Error,
			What: "this node, node3, is not declared with a node line", Hint: "add node node3 (the name from uname -n or /etc/ha.d/nodeinfo)",
			Stock: "Current node [node3] not in configuration!"}}},
		{"deadtime too small", base + "keepalive 2\ndeadtime 4\ninitdead 20\n", "", []diag.Problem{{File: "ha.cf", Line: 7, Severity: diag.Error,
			What: "deadtime 4 must be more than twice keepalive 2", Hint: "write deadtime 5 or more (or a keepalive below 2)",
			Stock: "Dead time [4000] is too small compared to keeplive [2000]"}}},
		{"initdead below deadtime", base + "deadtime 8\ninitdead 5\n", "", []diag.Problem{{File: "ha.cf", Line: 7, Severity: diag.Error,
			What: "initdead 5 must not be less than deadtime 8", Hint: "write initdead 10 or more (at least 10 is advised)",
			Stock: "Initial dead time [5000] is smaller than deadtime [8000]"}}},
		{"deadping too small", base + "keepalive 2\ndeadtime 10\ndeadping 3\n", "", []diag.Problem{{File: "ha.cf", Line: 8, Severity: diag.Error,
			What: "deadping 3 must be more than twice keepalive 2", Hint: "write deadping 5 or more",
			Stock: "Ping dead time [3000] is too small compared to keeplive [2000]"}}},
		{"autojoin with haresources", base + "autojoin other\n", "", []diag.Problem{{File: "ha.cf", Line: 6, Severity: diag.Error,
			What:  "autojoin other cannot be used with haresources",
			Hint:  "write autojoin none (or delete the autojoin line): hbgo runs haresources clusters, whose nodes are all declared with node lines",
			Stock: "R1 style resource management conflicts with  autojoin set"}}},
		{"no logging and use_logd off", "use_logd off\nbcast eth1\nnode a\n", "", []diag.Problem{{File: "ha.cf", Line: 1, Severity: diag.Error,
			What: "no logging configured and use_logd is off", Hint: "add logfile /var/log/ha-log (or logfacility daemon), or write use_logd yes",
			Stock: "No log entry found in ha.cf and use_logd is set to off"}}},
		{"all at once", "keepalive 1s\nfoo\ndeadtime 1\n", "x", []diag.Problem{
			{File: "ha.cf", Line: 1, Severity: diag.Error, What: "keepalive 1s is not a valid time", Hint: "write keepalive 1 (bare numbers are seconds; there is no s suffix)"},
			{File: "ha.cf", Line: 2, Severity: diag.Error, What: `unknown directive "foo"`, Hint: "remove the line or use a directive from ha.cf(5) (hbgo's own settings go in hbgo.cf)", Stock: "Illegal directive [foo] in /etc/ha.d//ha.cf"},
			{File: "ha.cf", Severity: diag.Error, What: "no heartbeat media defined", Hint: "add a link such as bcast eth1, ucast eth1 <peer address> or serial /dev/ttyS0", Stock: "No heartbeat media defined"},
			{File: "ha.cf", Severity: diag.Error, What: "no nodes defined", Hint: "add a node line per cluster member: node <uname -n of each node>", Stock: "no nodes defined"},
			{File: "ha.cf", Severity: diag.Error, What: "this node, x, is not declared with a node line", Hint: "add node x (the name from uname -n or /etc/ha.d/nodeinfo)", Stock: "Current node [x] not in configuration!"},
			// Not "deadtime 1 must be more than twice keepalive 1": keepalive
			// was refused, the 1 s compared is its default (issue 17).
		}},
		// A refused value does not also fail the checks that compare it
		// (issue 17: initdead 20 "less than deadtime 30", the default).
		{"no follow-on errors", "node x\nbcast eth0\nlogfile /x\ndeadtime 10s0\ninitdead 20\ndeadping 1x\n", "x", []diag.Problem{
			{File: "ha.cf", Line: 4, Severity: diag.Error, What: "deadtime 10s0 is not a valid time", Hint: "write seconds (2, 1.5) or milliseconds attached to the number (500ms); there is no s suffix"},
			{File: "ha.cf", Line: 6, Severity: diag.Error, What: "deadping 1x is not a valid time", Hint: "write seconds (2, 1.5) or milliseconds attached to the number (500ms); there is no s suffix"},
		}},
		{"keepalive refused, deadtime still checked against the default", "node x\nbcast eth0\nlogfile /x\nkeepalive 2s\ninitdead 5\n", "x", []diag.Problem{
			{File: "ha.cf", Line: 4, Severity: diag.Error, What: "keepalive 2s is not a valid time", Hint: "write keepalive 2 (bare numbers are seconds; there is no s suffix)"},
			{File: "ha.cf", Line: 5, Severity: diag.Error, What: "initdead 5 must not be less than deadtime 30000ms", Hint: "write initdead 30 or more (at least 10 is advised)", Stock: "Initial dead time [5000] is smaller than deadtime [30000]"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := ParseWith(strings.NewReader(tt.in), "ha.cf", Options{LocalNode: tt.local})
			if d := cmp.Diff(tt.want, []diag.Problem(ps.Errors()), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	_, ps := parseString(t, "logfile /x\nudp eth1\nnode a b\ndeadtime 5\ninitdead 8\nnice_failback on\n")
	got := problemTexts(ps)
	want := []string{
		"ha.cf:2: warning: directive udp is the old name of bcast; write bcast instead of udp",
		"ha.cf:6: warning: nice_failback is obsolete; it is read as auto_failback legacy; write auto_failback on (or off, or legacy) instead",
		"ha.cf:5: warning: initdead 8 is less than 10 seconds; write initdead 10 or more: it covers slow network start-up",
		"ha.cf:0: warning: auto_failback legacy (the default) uses the old ip-request protocol; write auto_failback on (or off) on every node; hb_standby and ipfail need it",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestDerivedParams checks the raw values hbparameter reports and HA_* exports.
func TestDerivedParams(t *testing.T) {
	c, ps := parseString(t, "logfile /var/log/ha-log\nuse_logd no\nkeepalive 2\ndeadtime 10\nucast eth1 10.0.0.2\nauto_failback on\nnode node1 node2\n")
	if ps.HasErrors() {
		t.Fatal(ps.Err())
	}
	env := c.Env()
	for _, want := range []string{"HA_deadtime=10", "HA_keepalive=2", "HA_warntime=5000ms", "HA_initdead=20000ms", "HA_deadping=10000ms",
		"HA_udpport=694", "HA_auto_failback=on", "HA_debug=0", "HA_logfile=/var/log/ha-log", "HA_pacemaker=false", "HA_baud=19200"} {
		if !contains(env, want) {
			t.Errorf("Env() lacks %s: %v", want, env)
		}
	}
	for _, not := range []string{"HA_node=", "HA_ucast="} {
		for _, e := range env {
			if strings.HasPrefix(e, not) {
				t.Errorf("Env() has %s, which stock does not record", e)
			}
		}
	}
}

func TestInitdeadDerivation(t *testing.T) {
	for _, tt := range []struct {
		deadtime string
		want     string
	}{{"12", "12000ms"}, {"5", "12000ms"}, {"8", "16000ms"}, {"10", "20000ms"}} {
		c, _ := parseString(t, base+"deadtime "+tt.deadtime+"\n")
		if got := c.Params["initdead"]; got != tt.want {
			t.Errorf("deadtime %s: initdead = %s, want %s", tt.deadtime, got, tt.want)
		}
	}
}

func TestPortCapture(t *testing.T) {
	// COMPAT §2.1: udpport is captured by the first link of each kind.
	c, _ := parseString(t, "logfile /x\nbcast eth0\nudpport 700\nbcast eth1\nucast eth2 10.0.0.2\nmcast eth3 239.1.1.1 800 1 0\nnode a\n")
	var got []int
	for _, m := range c.Media {
		got = append(got, m.Port)
	}
	if d := cmp.Diff([]int{694, 694, 700, 800}, got); d != "" {
		t.Errorf("ports (-want +got):\n%s", d)
	}
}

func TestNiceFailbackAfterAutoFailback(t *testing.T) {
	c, _ := parseString(t, base+"nice_failback on\n")
	// COMPAT §2.3 quirk: behaviour becomes off while hbparameter still says on.
	if c.AutoFailback != FailbackOff || c.Params["auto_failback"] != "on" {
		t.Errorf("AutoFailback = %v, param %q; want off, \"on\"", c.AutoFailback, c.Params["auto_failback"])
	}
}

func TestCROnly(t *testing.T) {
	// Stock reads a CR-only file as its first line; hbgo says so.
	_, ps := parseString(t, strings.ReplaceAll(base, "\n", "\r"))
	got := problemTexts(ps)
	want := []string{
		"ha.cf:1: warning: text after a carriage return (CR) is ignored; use LF (or CRLF) line ends and plain text",
		"ha.cf:0: error: no heartbeat media defined; add a link such as bcast eth1, ucast eth1 <peer address> or serial /dev/ttyS0",
		"ha.cf:0: error: no nodes defined; add a node line per cluster member: node <uname -n of each node>",
		"ha.cf:0: warning: auto_failback legacy (the default) uses the old ip-request protocol; write auto_failback on (or off) on every node; hb_standby and ipfail need it",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestCRLF(t *testing.T) {
	in := strings.ReplaceAll(base+"keepalive 2\n", "\n", "\r\n")
	c, ps := parseString(t, in)
	if ps.HasErrors() || c.Params["keepalive"] != "2" || len(c.Nodes) != 2 {
		t.Errorf("CRLF file: %v %v", ps.Err(), c.Nodes)
	}
}

// TestRealConfigs parses every ha.cf of the shared harness and the recorded
// scenarios (copied into testdata/configs) with no error.
func TestRealConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/configs/*.cf")
	if len(files) < 10 {
		t.Fatalf("only %d configs", len(files))
	}
	r := strings.NewReplacer("@HBIF@", "eth1", "@PEER_HBIP@", "10.78.0.2", "@NODE1@", "node1", "@NODE2@", "node2")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, ps := ParseWith(strings.NewReader(r.Replace(string(b))), f, Options{LocalNode: "node1"})
			if ps.HasErrors() {
				t.Fatal(ps.Err())
			}
			if len(c.Links()) != 1 || len(c.Nodes) != 2 {
				t.Errorf("links %v nodes %v", c.Links(), c.Nodes)
			}
			c2, ps2 := Parse(strings.NewReader(c.Format()), f)
			if ps2.HasErrors() {
				t.Fatalf("Format output rejected: %v", ps2.Err())
			}
			if d := diffConfigs(c, c2); d != "" {
				t.Errorf("Parse(Format(c)) differs (-c +c2):\n%s", d)
			}
		})
	}
}

func TestLocalNode(t *testing.T) {
	uname := func() (string, error) { return "Node1", nil }
	for _, tt := range []struct {
		nodeinfo *string
		want     string
	}{
		{nil, "node1"},
		{ptr("Alpha\nbeta\n"), "alpha"},
		{ptr("alpha"), "node1"}, // no newline: ignored
		{ptr("\n"), "node1"},    // empty first line: ignored
	} {
		dir := t.TempDir()
		if tt.nodeinfo != nil {
			if err := os.WriteFile(filepath.Join(dir, "nodeinfo"), []byte(*tt.nodeinfo), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := LocalNode(dir, uname)
		if err != nil || got != tt.want {
			t.Errorf("nodeinfo %v: got %q, %v; want %q", tt.nodeinfo, got, err, tt.want)
		}
	}
}

func ptr(s string) *string { return &s }

func TestCheckLocalNodeLog(t *testing.T) {
	c, _ := parseString(t, base)
	if ps := c.CheckLocalNode("NODE2"); len(ps) != 0 {
		t.Errorf("NODE2 should match node2: %v", ps)
	}
	want := []LogLine{
		{LevelError, "Current node [x] not in configuration!"},
		{LevelInfo, "By default, cluster nodes are named by `uname -n` and must be declared with a 'node' directive in the ha.cf file."},
		{LevelInfo, "See also: http://linux-ha.org/wiki/Ha.cf#node_directive"},
	}
	if d := cmp.Diff(want, c.LocalNodeLog("x")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseTime(t *testing.T) {
	for _, tt := range []struct {
		in string
		ms int64
		ok bool
	}{
		{"2", 2000, true}, {"1.5", 1500, true}, {"500ms", 500, true}, {"100us", 0, true}, {"1500us", 2, true},
		{"500msec", 500, true}, {"0.0005", 1, true}, {".5", 500, true}, {"1.2.3", 1200, true}, {"5MS", 5, true},
		{"1s", -1, false}, {"ms", -1, false}, {"-1", -1, false}, {"1m", -1, false}, {"x", -1, false}, {"1e3", -1, false},
		{"9223372036854ms", 9223372036854, true}, {"9223372036855ms", -1, false}, {"10000000000", -1, false}, // a time.Duration's limit
	} {
		ms, ok := ParseTime(tt.in)
		if ms != tt.ms || ok != tt.ok {
			t.Errorf("ParseTime(%q) = %d, %v; want %d, %v", tt.in, ms, ok, tt.ms, tt.ok)
		}
	}
}

func TestDefaults(t *testing.T) {
	d := Defaults()
	if len(d) == 0 || d[0] != (Default{"cluster", "linux-ha", "the name of cluster"}) {
		t.Errorf("Defaults()[0] = %+v", d)
	}
	for _, x := range d {
		if x.Directive == "keepalive" && x.Default != "1000ms" {
			t.Errorf("keepalive default %q", x.Default)
		}
	}
}

func TestOptionsDir(t *testing.T) {
	_, ps := ParseWith(strings.NewReader(base+"foo\n"), "/etc/heartbeat/ha.cf", Options{Dir: "/etc/heartbeat"})
	if len(ps) == 0 || ps[0].Stock != "Illegal directive [foo] in /etc/heartbeat/ha.cf" || ps[0].File != "/etc/heartbeat/ha.cf" || ps[0].Line != 6 {
		t.Errorf("got %+v", ps)
	}
}

// TestRefusedValueKeepsOld checks the table-driven setters: a refused value
// leaves the field as it was and logs stock's line at stock's level.
func TestRefusedValueKeepsOld(t *testing.T) {
	for _, tc := range []struct {
		line string
		get  func(*Config) any
		want any
		log  LogLine // zero: stock logs nothing of its own
	}{
		{"hopfudge 256", func(c *Config) any { return c.Hopfudge }, 1, LogLine{}},
		{"keepalive 2\nkeepalive 0", func(c *Config) any { return c.Keepalive }, 2 * time.Second, LogLine{}},
		{"warntime 5\nwarntime x", func(c *Config) any { return c.Warntime }, 5 * time.Second, LogLine{Level: LevelStderr, Text: "Warn time [x] is invalid."}},
		{"rtprio 100", func(c *Config) any { return c.RTPrio }, 0, LogLine{Level: LevelError, Text: "Illegal realtime priority [100]"}},
		{"syslogmsgfmt maybe", func(c *Config) any { return c.SyslogMsgFmt }, true, LogLine{}},
		{"traditional_compression maybe", func(c *Config) any { return c.TraditionalCompression }, false,
			LogLine{Level: LevelError, Text: "set_traditional_compression:Invalid directive value maybe"}},
		{"compression bz2\ncompression lzo", func(c *Config) any { return c.Compression }, "bz2", LogLine{Level: LevelError, Text: "Compression module(lzo) not found"}},
		{"autojoin Other\nautojoin sometimes", func(c *Config) any { return c.Autojoin }, "Other", LogLine{Level: LevelError, Text: "Invalid autojoin directive [sometimes]"}},
	} {
		c, _ := Parse(strings.NewReader(tc.line+"\n"), "ha.cf")
		if d := cmp.Diff(tc.want, tc.get(c)); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.line, d)
		}
		if tc.log != (LogLine{}) && !slices.Contains(c.StartupLog, tc.log) {
			t.Errorf("%q: StartupLog %v lacks %v", tc.line, c.StartupLog, tc.log)
		}
	}
}

// problemTexts returns each problem as `file:line: severity: what; hint`.
func problemTexts(ps diag.Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}
