package daemon

import (
	"fmt"
	"hbgo/haresources/executor"
	"hbgo/heartbeat/config/hadir"
	"hbgo/resource.d/agent"
	"hbgo/resource.d/native"
	"strings"
)

// env is the environment every resource script and hook gets (COMPAT §2.7,
// §4.4): HA_<directive> for every ha.cf parameter plus heartbeat's own.
func (n *node) env() []string {
	return ScriptEnv(n.conf)
}

// ScriptEnv builds the environment every resource script and hook gets
// for a configuration (COMPAT §2.7, §4.4).
func ScriptEnv(c *hadir.Conf) []string {
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

// Binder returns how this configuration's resources run (see executor.NewBinder).
func Binder(c *hadir.Conf, env []string, log agent.Logger, natives bool) executor.Binder {
	return executor.NewBinder(BindConfigOf(c), env, log, natives)
}

// Validators returns the native agents' argument checks for loading
// haresources, with their hints (the same checks `heartbeat check` runs).
func Validators() map[string]func(args []string) error { return native.Validators() }

// BindConfigOf narrows a configuration to what the executor's binder needs.
func BindConfigOf(c *hadir.Conf) executor.BindConfig {
	return executor.BindConfig{Dir: c.Dir, Debugfile: c.HaCf.Debugfile, Force: c.Force}
}
