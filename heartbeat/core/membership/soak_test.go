package membership

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestSoakLossy runs two wired machines for ten simulated minutes with 10%
// random packet loss and resource traffic: lost packets must all be recovered
// by NS_rexmit, ACKs must keep the histories from filling up, and nobody may
// be declared dead or lose a packet for good.
func TestSoakLossy(t *testing.T) {
	e := newEnv()
	e.loss = 0.10
	e.lossRand = rand.New(rand.NewSource(7))
	run := func(cmd string) string {
		d := &datadriven.TestData{}
		fields := strings.Fields(cmd)
		d.Cmd = fields[0]
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			a := datadriven.CmdArg{Key: k}
			if v != "" {
				a.Vals = []string{v}
			}
			d.CmdArgs = append(d.CmdArgs, a)
		}
		return e.handle(t, d)
	}
	var log strings.Builder
	log.WriteString(run("start name=node1 deadtime=5s keepalive=1s"))
	log.WriteString(run("start name=node2 deadtime=5s keepalive=1s seed=2"))
	run("pair node1 node2")
	for i := 0; i < 600; i++ {
		log.WriteString(run("advance 1000ms"))
		if i%3 == 0 {
			log.WriteString(run("originate on=node1 t=resource rsc_hold=all"))
			log.WriteString(run("originate on=node2 t=resource rsc_hold=none"))
		}
	}
	// Let the recoveries in flight finish: a repeated NS_rexmit is served
	// once its ts has moved on (filterNS), so one may take a second more.
	e.loss = 0
	log.WriteString(run("advance 3000ms"))
	out := log.String()
	lost := len(regexp.MustCompile(`lost packet\(s\)`).FindAllString(out, -1))
	if lost == 0 {
		t.Fatalf("no packet was lost: the test exercises nothing")
	}
	for _, bad := range []string{"is dead", "filling up", "Cannot rexmit", "Irretrievably", "lost a lot"} {
		if strings.Contains(out, bad) {
			i := strings.Index(out, bad)
			t.Errorf("%q in the log:\n%s", bad, out[max(0, i-400):min(len(out), i+200)])
		}
	}
	for _, n := range []string{"node1", "node2"} {
		s := e.ms[n].Snapshot()
		if !s.CommUp {
			t.Errorf("%s: comm never came up", n)
		}
		for _, nn := range s.Nodes {
			if nn.Status != StActive {
				t.Errorf("%s sees %s %s", n, nn.Name, nn.Status)
			}
		}
		for _, x := range e.ms[n].nodes {
			if len(x.missing) > 0 {
				t.Errorf("%s still misses %d packets from %s", n, len(x.missing), x.name)
			}
		}
		if h := e.ms[n].seq - e.ms[n].histLow; h > 100 {
			t.Errorf("%s keeps %d messages in its history: ACKs do not free it", n, h)
		}
	}
	t.Logf("%d gaps recovered", lost)
}
