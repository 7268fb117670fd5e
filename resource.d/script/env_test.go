package script

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// forged is a message whose fields try to replace what hbgo sets for rc.d
// scripts: HA_FUNCS is the file the scripts source, so replacing it runs
// the sender's code as root.
var forged = []Field{
	{Name: "t", Value: "ip-request"},
	{Name: "src", Value: "node2"},
	{Name: "FUNCS", Value: "/tmp/evil"},
	{Name: "DIR", Value: "/tmp"},
	{Name: "CURHOST", Value: "node2"},
	{Name: "DONTASK", Value: "yes"},
	{Name: "NICEFAILBACK", Value: "yes"},
	{Name: "OSTATUS", Value: "dead"},
	{Name: "deadtime", Value: "1"},
	{Name: "x=y", Value: "z"},
	{Name: "PATH", Value: "/tmp"},
	{Name: "info", Value: "a\x00b"},
}

// TestMessageEnvReserved: MessageEnv leaves out the fields named after a
// variable hbgo sets, names that are not environment names and values with
// a NUL byte (before, every string field became HA_<name>).
func TestMessageEnvReserved(t *testing.T) {
	got := MessageEnv(forged, "active")
	want := []string{"HA_t=ip-request", "HA_src=node2", "HA_deadtime=1", "HA_PATH=/tmp", "HA_OSTATUS=active"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// TestMessageEnvNeverOverrides: run as an rc.d hook is (Script.Message), a
// message adds its fields to the environment but replaces none of the
// daemon's HA_ variables, ha.cf's directives included.
func TestMessageEnvNeverOverrides(t *testing.T) {
	p := writeScript(t, `echo "$HA_FUNCS|$HA_DIR|$HA_CURHOST|$HA_deadtime|$HA_DONTASK|$HA_src|$HA_t|$HA_OSTATUS|$PATH"`)
	r := &Runner{Env: []string{"PATH=/usr/bin:/bin", "HA_FUNCS=/etc/ha.d/shellfuncs", "HA_DIR=/etc/ha.d", "HA_CURHOST=node1", "HA_deadtime=10"}}
	s := r.New(p, nil)
	s.Message = MessageEnv(forged, "active")
	st, err := s.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "/etc/ha.d/shellfuncs|/etc/ha.d|node1|10||node2|ip-request|active|/usr/bin:/bin"
	if got := strings.TrimSpace(st.Text); got != want {
		t.Errorf("script saw %q, want %q", got, want)
	}
}

func TestAddEnv(t *testing.T) {
	got := AddEnv([]string{"A=1", "B=2"}, []string{"B=x", "C=3", "C=4"})
	if diff := cmp.Diff([]string{"A=1", "B=2", "C=3"}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if AddEnv(nil, nil) == nil {
		t.Error("AddEnv(nil, nil) is nil: an empty environment would become the daemon's")
	}
}
