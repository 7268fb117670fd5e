package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/heartbeat/hbconf"
	"hbgo/resource.d/script"
)

// env is the environment every resource script and hook gets (COMPAT §2.7,
// §4.4): HA_<directive> for every ha.cf parameter plus heartbeat's own.
func (n *node) env() []string {
	return ScriptEnv(n.conf)
}

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

// scriptBinder runs every resource through its script (resource.d, then
// /etc/init.d), as stock does; the daemon uses it when no native registry
// is wired in.
func scriptBinder(c *hbconf.Conf, env []string) executor.Binder {
	r := &haresources.Resolver{Dir: c.Dir, InitDir: "/etc/init.d"}
	run := &script.Runner{Env: env, Debugfile: c.HaCf.Debugfile}
	return func(res haresources.Resource) (executor.Binding, error) {
		rs := r.Resolve(res)
		if rs.Kind == haresources.Missing || rs.Path == "" {
			return executor.Binding{}, fmt.Errorf("%s", rs.Why)
		}
		if fi, err := os.Stat(rs.Path); err != nil || fi.IsDir() {
			return executor.Binding{}, fmt.Errorf("missing: %s", rs.Path)
		}
		return executor.Binding{Agent: run.New(rs.Path, res.Args), Script: filepath.Clean(rs.Path)}, nil
	}
}
