package hacf

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseHbgo(t *testing.T) {
	in := `# hbgo's own settings
agent IPaddr2 native   # comment anywhere
agent Filesystem SCRIPT
agent MailTo script
resource_timeout stop 120
resource_timeout start 1500ms
reboot_command /usr/local/sbin/fence-test node1
journal /var/lib/hb/j
journal_size 4096
control_socket /run/x.sock
fast_start off
stop_retries 3
logformat JSON
lazy_read off
`
	c, ps := ParseHbgo(strings.NewReader(strings.ReplaceAll(in, "\n", "\r\n")), "hbgo.cf")
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	want := &HbgoConfig{
		File:          "hbgo.cf",
		Agents:        map[string]AgentMode{"IPaddr2": AgentNative, "Filesystem": AgentScript, "MailTo": AgentScript},
		Timeouts:      map[string]time.Duration{"stop": 120 * time.Second, "start": 1500 * time.Millisecond},
		RebootCommand: []string{"/usr/local/sbin/fence-test", "node1"},
		Journal:       "/var/lib/hb/j",
		JournalSize:   4096,
		ControlSocket: "/run/x.sock",
		FastStart:     false,
		StopRetries:   3,
		Watch:         DefaultWatch(),
		LogFormat:     "json",
		LazyRead:      false,
	}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	d := DefaultHbgo()
	if d.FastStart || !d.LazyRead || d.StopRetries != 10 || d.Journal != "/var/lib/heartbeat/hbgo-journal" || d.ControlSocket != "/run/heartbeat/hbgo.sock" || len(d.Timeouts) != 0 {
		t.Errorf("defaults: %+v", d)
	}
}

// TestParseHbgoMetrics: the metrics sinks are off by default; a
// non-loopback listener needs metrics_listen_any on, in any order.
func TestParseHbgoMetrics(t *testing.T) {
	d := DefaultHbgo()
	if d.MetricsTextfile != "" || d.MetricsListen != "" || d.MetricsListenAny {
		t.Errorf("metrics on by default: %+v", d)
	}
	for _, tt := range []struct{ in, listen string }{
		{"metrics_listen 127.0.0.1:9794", "127.0.0.1:9794"},
		{"metrics_listen [::1]:9794", "[::1]:9794"},
		{"metrics_listen 0.0.0.0:9794\nmetrics_listen_any on", "0.0.0.0:9794"},
		{"metrics_listen_any on\nmetrics_listen 192.0.2.1:9794", "192.0.2.1:9794"},
	} {
		c, ps := ParseHbgo(strings.NewReader(tt.in+"\nmetrics_textfile /var/lib/node_exporter/hbgo.prom\n"), "hbgo.cf")
		if len(ps) != 0 || c.MetricsListen != tt.listen || c.MetricsTextfile != "/var/lib/node_exporter/hbgo.prom" {
			t.Errorf("%q: %+v %v", tt.in, c, ps)
		}
		back, ps := ParseHbgo(strings.NewReader(c.Format()), "hbgo.cf")
		if len(ps) != 0 || !cmp.Equal(c, back, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "File" }, cmp.Ignore())) {
			t.Errorf("%q: Format does not read back: %v\n%s", tt.in, ps, c.Format())
		}
	}
}

func TestParseHbgoErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"agent MailTo native", "hbgo.cf:1: error: agent MailTo has no native implementation; hbgo has native agents for Delay, Filesystem, IPaddr, IPaddr2, SendArp, drbddisk; write agent MailTo script or delete the line"},
		{"agent IPaddr fast", "hbgo.cf:1: error: agent mode fast is not native or script; write agent IPaddr native or agent IPaddr script"},
		{"agent IPaddr", "hbgo.cf:1: error: agent takes a name and native|script; write agent <Name> native|script, e.g. agent IPaddr2 script"},
		{"resource_timeout monitor 10", "hbgo.cf:1: error: resource_timeout operation monitor is not start, stop or status; write resource_timeout start|stop|status <time>"},
		{"resource_timeout stop 10s", "hbgo.cf:1: error: resource_timeout stop 10s is not a time above 0; write resource_timeout stop 120 (seconds) or 500ms; there is no s suffix"},
		{"reboot_command reboot -f", "hbgo.cf:1: error: reboot_command needs an absolute command path; write reboot_command /absolute/path [args]"},
		{"journal rel/path", "hbgo.cf:1: error: journal rel/path is not an absolute path; write journal /absolute/path"},
		{"journal_size 1M", "hbgo.cf:1: error: journal_size 1M is not a positive number of bytes; write journal_size with a number of bytes, e.g. journal_size 1048576"},
		{"fast_start maybe", "hbgo.cf:1: error: fast_start maybe is not a boolean; write fast_start on or fast_start off"},
		{"logformat yaml", "hbgo.cf:1: error: logformat yaml is not text or json; write logformat text (heartbeat's lines, the default) or logformat json"},
		{"stop_retries 0", "hbgo.cf:1: error: stop_retries 0 is not a number from 1 to 1000; write stop_retries with a whole number from 1 to 1000 (stock uses 10)"},
		{"control_socket", "hbgo.cf:1: error: control_socket takes exactly one value, got 0; write control_socket /run/heartbeat/hbgo.sock"},
		{"keepalive 2", "hbgo.cf:1: error: unknown hbgo.cf directive \"keepalive\"; keepalive belongs in ha.cf, not hbgo.cf"},
		{"bogus", "hbgo.cf:1: error: unknown hbgo.cf directive \"bogus\"; hbgo.cf takes agent, control_socket, failover_threshold, failure_window, fast_start, journal, journal_size, lazy_read, logformat, metrics_listen, metrics_listen_any, metrics_textfile, monitor, reboot_command, resource_timeout, stop_retries, vip_watch"},
		{"metrics_textfile hbgo.prom", "hbgo.cf:1: error: metrics_textfile hbgo.prom is not an absolute path; write metrics_textfile /absolute/path"},
		{"metrics_listen localhost:9794", "hbgo.cf:1: error: metrics_listen localhost:9794 is not an address:port; write metrics_listen with an IP address and a port, e.g. metrics_listen 127.0.0.1:9794"},
		{"metrics_listen 0.0.0.0:9794", "hbgo.cf:1: error: metrics_listen 0.0.0.0:9794 is not a loopback address; listen on 127.0.0.1 or [::1], or add metrics_listen_any on to serve the metrics (cluster names, addresses) to the network"},
		{"metrics_listen 192.0.2.1:9794\nmetrics_listen_any off", "hbgo.cf:1: error: metrics_listen 192.0.2.1:9794 is not a loopback address; listen on 127.0.0.1 or [::1], or add metrics_listen_any on to serve the metrics (cluster names, addresses) to the network"},
		{"metrics_listen_any yes please", "hbgo.cf:1: error: metrics_listen_any takes exactly one value, got 2; write metrics_listen_any on|off"},
	} {
		_, ps := ParseHbgo(strings.NewReader(tt.in+"\n"), "hbgo.cf")
		if got := firstError(ps); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
	_, ps := ParseHbgo(strings.NewReader("journal /a\njournal /b\n"), "hbgo.cf")
	if len(ps) != 1 || ps[0].Error() != "hbgo.cf:2: warning: journal is given twice; the last one wins; delete one of the two lines (1 and 2)" {
		t.Errorf("repeat: %v", ps)
	}
}
