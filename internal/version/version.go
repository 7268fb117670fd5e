// Package version says which hbgo build is running: its version and the commit it was built from.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is set at build time (Makefile: -ldflags "-X hbgo/internal/version.Version=$(git describe)");
// empty means a plain `go build`, and the module version or "devel" is reported instead.
var Version = ""

// Commit is set at build time too (-X hbgo/internal/version.Commit=$(git rev-parse HEAD)): builds
// with -buildvcs=false (a GOFLAGS default on some machines) record no vcs.revision.
var Commit = ""

// Stock is the heartbeat release hbgo answers for (scripts compare it).
const Stock = "3.0.6"

// Info is one build's identity.
type Info struct {
	Version string // git describe or the module version; "devel" when unknown
	Commit  string // vcs.revision, with "-dirty" for a modified tree; "unknown" when not recorded
}

// Get returns this binary's identity from the link-time Version and the build info.
func Get() Info {
	in := from(Version, readBuildInfo())
	if Commit != "" {
		in.Commit = Commit
	}
	return in
}

func readBuildInfo() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

func from(v string, bi *debug.BuildInfo) Info {
	in := Info{Version: v, Commit: "unknown"}
	if bi != nil {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && in.Commit != "unknown" {
			in.Commit += "-dirty"
		}
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	return in
}

// String is "hbgo VERSION (commit COMMIT)", as -V and the ha-log banner say it.
func (i Info) String() string {
	return "hbgo " + strings.TrimSpace(i.Version) + " (commit " + i.Commit + ")"
}
