package resourcemanager

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/resource.d/agent"
)

type fake struct{ running bool }

func (f *fake) Start(context.Context) error { f.running = true; return nil }
func (f *fake) Stop(context.Context) error  { f.running = false; return nil }
func (f *fake) Status(context.Context) (agent.Status, error) {
	if f.running {
		return agent.Status{Running: true, Text: "running"}, nil
	}
	return agent.Status{Text: "stopped"}, nil
}

type lines []string

func (l *lines) Script(tag, text string) { *l = append(*l, tag+": "+text) }

func setup(t *testing.T, text string, agents map[string]*fake) (Env, *strings.Builder, *strings.Builder, *lines) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "haresources"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	var log lines
	return Env{Stdout: &out, Stderr: &errb, Self: "/usr/share/heartbeat/ResourceManager", Dir: dir, Node: "node1", Log: &log,
		Bind: func(r haresources.Resource) (executor.Binding, error) {
			f, ok := agents[r.Token]
			if !ok {
				return executor.Binding{}, errors.New("missing")
			}
			return executor.Binding{Agent: f, Script: "/etc/ha.d/resource.d/" + r.Name}, nil
		}}, &out, &errb, &log
}

const hares = "node1 IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/data::ext4 svc\nnode2 10.0.0.6 svc2\n"

// TestListingsMatchStock compares with what stock's ResourceManager printed
// for this haresources (recorded in a private mount namespace, 2026-11-23).
func TestListingsMatchStock(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"listkeys", "node1"}, "IPaddr::10.0.0.5/24/eth0\n"},
		{[]string{"listkeys", "NODE2"}, "10.0.0.6\n"},
		{[]string{"allkeys"}, "IPaddr::10.0.0.5/24/eth0\n10.0.0.6\n"},
		{[]string{"ourkeys"}, "IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/data::ext4 svc \n"},
		{[]string{"otherkeys"}, "10.0.0.6 svc2 \n"},
	} {
		e, out, _, _ := setup(t, hares, nil)
		if rc := Main(tc.args, e); rc != 0 || out.String() != tc.want {
			t.Errorf("%v: rc %d, out %q, want %q", tc.args, rc, out.String(), tc.want)
		}
	}
}

func TestUsage(t *testing.T) {
	e, out, errb, _ := setup(t, hares, nil)
	if rc := Main([]string{"bogus"}, e); rc != 1 || out.Len() != 0 ||
		errb.String() != "usage: /usr/share/heartbeat/ResourceManager listkeys machine | takegroup key | givegroup key|status resource\n\n" {
		t.Errorf("rc %d stderr %q", rc, errb.String())
	}
}

func TestStatusTakeGiveAndVerify(t *testing.T) {
	ag := map[string]*fake{"IPaddr::10.0.0.5/24/eth0": {}, "Filesystem::/dev/sdb1::/data::ext4": {}, "svc": {}, "10.0.0.6": {running: true}, "svc2": {}}
	e, _, errb, log := setup(t, hares, ag)
	if rc := Main([]string{"status", "svc"}, e); rc != 3 {
		t.Errorf("status of a stopped resource: %d", rc)
	}
	if rc := Main([]string{"takegroup", "IPaddr::10.0.0.5/24/eth0"}, e); rc != 0 || !ag["svc"].running {
		t.Errorf("takegroup: %d", rc)
	}
	if rc := Main([]string{"status", "svc"}, e); rc != 0 {
		t.Errorf("status of a running resource: %d", rc)
	}
	if rc := Main([]string{"givegroup", "IPaddr::10.0.0.5/24/eth0"}, e); rc != 0 || ag["IPaddr::10.0.0.5/24/eth0"].running {
		t.Errorf("givegroup: %d", rc)
	}
	*log = nil
	if rc := Main([]string{"verifyallidle"}, e); rc != 1 {
		t.Errorf("verifyallidle with one active key: %d", rc)
	}
	want := []string{
		"ResourceManager(default): CRITICAL: Resource 10.0.0.6 is active, and should not be!",
		"ResourceManager(default): CRITICAL: Non-idle resources can affect data integrity!",
		"ResourceManager(default): info: If you don't know what this means, then get help!",
		"ResourceManager(default): info: Read the docs and/or source to /usr/share/heartbeat/ResourceManager for more details.",
		"ResourceManager(default): CRITICAL: Non-idle resources will affect resource takeback!",
		"ResourceManager(default): CRITICAL: Non-idle resources may affect data integrity!",
	}
	if d := cmp.Diff(want, []string(*log)); d != "" {
		t.Errorf("verifyallidle log (-want +got):\n%s", d)
	}
	if !strings.Contains(errb.String(), "info: Read the docs and/or the source to /usr/share/heartbeat/ResourceManager for more details.") {
		t.Errorf("stderr: %q", errb.String())
	}
}
