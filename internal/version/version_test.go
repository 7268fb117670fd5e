package version

import (
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "3fb3c25b"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		v    string
		bi   *debug.BuildInfo
		want string
	}{
		{"v0.2.0-3-g3fb3c25", vcs, "hbgo v0.2.0-3-g3fb3c25 (commit 3fb3c25b-dirty)"},
		{"", vcs, "hbgo devel (commit 3fb3c25b-dirty)"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, "hbgo v1.0.0 (commit unknown)"},
		{"", nil, "hbgo devel (commit unknown)"},
	} {
		if got := from(c.v, c.bi).String(); got != c.want {
			t.Errorf("from(%q) = %q, want %q", c.v, got, c.want)
		}
	}
}
