package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"hbgo/haresources"
	"hbgo/heartbeat/hbconf"
	"hbgo/resource.d/agent"
	"hbgo/resource.d/native"
	"hbgo/resource.d/script"
)

// ScriptEnv builds the script environment for a configuration.
func ScriptEnv(c *hbconf.Conf) []string {
	cf := c.HaCf
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	env = append(env, cf.Env()...)
	dir := strings.TrimSuffix(c.Dir, "/")
	logfile, debugfile := cf.Logfile, cf.Debugfile
	if logfile == "" {
		logfile = "/dev/null"
	}
	if debugfile == "" {
		debugfile = "/dev/null"
	}
	logd := "no"
	if cf.UseLogd {
		logd = "yes"
	}
	env = append(env,
		"HA_CURHOST="+c.Node,
		"HA_DIR="+dir,
		"HA_FUNCS="+dir+"/shellfuncs",
		"HA_DATEFMT=%Y/%m/%d_%T\t",
		"OCF_ROOT=/usr/lib/ocf",
		"HA_LOGFILE="+logfile,
		"HA_DEBUGLOG="+debugfile,
		"HA_LOGD="+logd,
	)
	if cf.Logfacility != "" && cf.Logfacility != "none" {
		env = append(env, "HA_LOGFACILITY="+cf.Logfacility)
	}
	if cf.AutoFailback.String() != "legacy" {
		env = append(env, "HA_NICEFAILBACK=yes")
	}
	for _, e := range cf.EnvVars {
		env = append(env, fmt.Sprintf("HA_%s=%s", e.Name, e.Value))
	}
	return env
}

// Binder returns how this configuration's resources run (COMPAT §4.3,
// §12.1): the native agent when hbgo has one and the resource.d script is
// absent or the unmodified packaged one (or hbgo.cf forces it), else the
// script, found in resource.d then /etc/init.d. Agents are built once per
// resource token and kept, since a running agent holds state (an ARP sender
// to cancel, a Delay's pseudo-resource).
func NewBinder(c *hbconf.Conf, env []string, log agent.Logger, natives bool) Binder {
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
	run := &script.Runner{Env: env, Debugfile: c.HaCf.Debugfile}
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
