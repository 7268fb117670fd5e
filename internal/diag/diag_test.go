package diag

import (
	"errors"
	"fmt"
	"testing"
)

func TestProblemFormatAndErr(t *testing.T) {
	var ps Problems
	ps.Warnf("/etc/ha.d/ha.cf", 9, "write initdead 10 or more", "initdead 5 is below 10 s")
	if ps.HasErrors() || ps.Err() != nil {
		t.Fatal("a warning made the config fail")
	}
	ps.Errorf("/etc/ha.d/ha.cf", 4, "write deadtime 5 or more", "deadtime 4 must be more than twice keepalive 2")
	ps.Errorf("/etc/ha.d/authkeys", 0, "chmod 600 /etc/ha.d/authkeys", "mode 0644 is readable by others")
	want := "/etc/ha.d/ha.cf:4: error: deadtime 4 must be more than twice keepalive 2; write deadtime 5 or more"
	if got := ps[1].Error(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if n := len(ps.Errors()); n != 2 {
		t.Errorf("Errors() has %d", n)
	}
	s := ps.Sorted()
	if s[0].File != "/etc/ha.d/authkeys" || s[1].Line != 4 || s[2].Line != 9 {
		t.Errorf("Sorted: %v", s)
	}
	err := fmt.Errorf("loading: %w", ps.Err())
	got, ok := AsProblems(err)
	if !ok || len(got) != 3 {
		t.Fatalf("AsProblems through a wrap: %v %v", got, ok)
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatal("errors.As does not find *ConfigError")
	}
}
