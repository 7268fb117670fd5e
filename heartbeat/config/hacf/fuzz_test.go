package hacf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// diffConfigs compares two Configs as settings: line numbers, the file name
// and the start-up log (which names the original spelling, e.g. udp) aside.
func diffConfigs(a, b *Config) string {
	return cmp.Diff(a, b,
		cmpopts.IgnoreFields(Config{}, "File", "StartupLog"),
		cmpopts.IgnoreFields(Medium{}, "Line"),
		cmpopts.IgnoreFields(Child{}, "Line"),
		cmpopts.IgnoreFields(APIAuth{}, "Line"),
		cmpopts.IgnoreFields(Stonith{}, "Line"),
		cmpopts.IgnoreFields(EnvVar{}, "Line"),
		cmpopts.IgnoreFields(Directive{}, "Line"),
		cmpopts.EquateEmpty())
}

// FuzzParse: Parse never panics, and every accepted input formats to an
// ha.cf that parses back to the same settings.
func FuzzParse(f *testing.F) {
	f.Add(base)
	f.Add(base + "keepalive 500ms\ndeadtime 10\nmcast eth1 239.0.0.1 694 1 0\n")
	f.Add("udp eth0\nnode A,b,\nlogfile /x\nnice_failback on\n")
	f.Add("respawn hacluster /usr/lib/heartbeat/ipfail\napiauth ipfail uid=hacluster\nlogfile /x\nucast eth0 1.2.3.4\nnode a\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, ps := Parse(strings.NewReader(in), "ha.cf")
		for _, p := range ps {
			if p.What == "" || p.Hint == "" {
				t.Errorf("problem without what or hint: %+v", p)
			}
		}
		if ps.HasErrors() {
			return
		}
		out := c.Format()
		c2, ps2 := Parse(strings.NewReader(out), "ha.cf")
		if ps2.HasErrors() {
			t.Fatalf("Format output rejected:\n%s\n%v", out, ps2.Err())
		}
		if d := diffConfigs(c, c2); d != "" {
			t.Fatalf("Parse(Format(c)) differs (-c +c2):\n%s\nformatted:\n%s", d, out)
		}
	})
}

// FuzzParseHbgo: ParseHbgo never panics and Format round-trips.
func FuzzParseHbgo(f *testing.F) {
	f.Add("agent IPaddr2 native\nresource_timeout stop 120\njournal /var/lib/x\nfast_start off\nstop_retries 3\n")
	f.Add("reboot_command /bin/echo reboot # test\ncontrol_socket /run/x.sock\njournal_size 4096\n")
	f.Add("monitor IPaddr::10.0.0.5/24/eth0 interval=2s timeout=5 on-fail=standby\nmonitor mysql\nfailover_threshold 2\nfailure_window 10m\nvip_watch off\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, ps := ParseHbgo(strings.NewReader(in), "hbgo.cf")
		if ps.HasErrors() {
			return
		}
		c2, ps2 := ParseHbgo(strings.NewReader(c.Format()), "hbgo.cf")
		if ps2.HasErrors() {
			t.Fatalf("Format output rejected:\n%s\n%v", c.Format(), ps2.Err())
		}
		if d := cmp.Diff(c, c2, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Monitor{}, "Line")); d != "" {
			t.Fatalf("(-c +c2):\n%s", d)
		}
	})
}
