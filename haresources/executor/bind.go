package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"hbgo/haresources"
	"hbgo/resource.d/agent"
	"hbgo/resource.d/native"
	"hbgo/resource.d/script"
)

// BindConfig is what NewBinder needs of the configuration.
type BindConfig struct {
	Dir       string                       // the configuration directory (resource.d lives below it)
	Debugfile string                       // ha.cf's debugfile, for the script runner
	Force     map[string]haresources.Force // hbgo.cf's agent overrides
}

// Binder returns how this configuration's resources run (COMPAT §4.3,
// §12.1): the native agent when hbgo has one and the resource.d script is
// absent or the unmodified packaged one (or hbgo.cf forces it), else the
// script, found in resource.d then /etc/init.d. Agents are built once per
// resource token and kept, since a running agent holds state (an ARP sender
// to cancel, a Delay's pseudo-resource).
func NewBinder(c BindConfig, env []string, log agent.Logger, natives bool) Binder {
	var factories map[string]agent.Factory
	names := map[string]bool{}
	if natives {
		factories = native.Native(agent.Deps{Log: log, StateDir: "/run/resource-agents"})
		for k := range factories {
			names[k] = true
		}
	}
	r := &haresources.Resolver{Dir: c.Dir, InitDir: "/etc/init.d", DpkgInfoDir: "/var/lib/dpkg/info",
		DpkgStatus: "/var/lib/dpkg/status", Native: names, Force: c.Force}
	run := &script.Runner{Env: env, Debugfile: c.Debugfile}
	var mu sync.Mutex
	cache := map[string]Binding{}
	return func(res haresources.Resource) (Binding, error) {
		mu.Lock()
		defer mu.Unlock()
		if b, ok := cache[res.Token]; ok {
			return b, nil
		}
		rs := r.Resolve(res)
		var b Binding
		switch rs.Kind {
		case haresources.Native:
			a, err := factories[res.Name](res.Args)
			if err != nil {
				return Binding{}, fmt.Errorf("%s: %w", res.Token, err)
			}
			b = Binding{Agent: a, Script: rs.Path}
		case haresources.Script:
			if fi, err := os.Stat(rs.Path); err != nil || fi.IsDir() {
				return Binding{}, fmt.Errorf("missing: %s", rs.Path)
			}
			b = Binding{Agent: run.New(rs.Path, res.Args), Script: filepath.Clean(rs.Path)}
		default:
			return Binding{}, fmt.Errorf("%s", rs.Why)
		}
		cache[res.Token] = b
		return b, nil
	}
}
