package daemon

import (
	"hbgo/haresources/executor"
	"hbgo/heartbeat/hbconf"
	"hbgo/resource.d/agent"
	"hbgo/resource.d/native"
)

// env is the environment every resource script and hook gets (COMPAT §2.7,
// §4.4): HA_<directive> for every ha.cf parameter plus heartbeat's own.
func (n *node) env() []string {
	return ScriptEnv(n.conf)
}

// ScriptEnv builds the script environment for a configuration.
func ScriptEnv(c *hbconf.Conf) []string { return executor.ScriptEnv(c) }

// Binder returns how this configuration's resources run (see executor.NewBinder).
func Binder(c *hbconf.Conf, env []string, log agent.Logger, natives bool) executor.Binder {
	return executor.NewBinder(c, env, log, natives)
}

// Validators returns the native agents' argument checks for loading
// haresources, with their hints (the same checks `heartbeat check` runs).
func Validators() map[string]func(args []string) error { return native.Validators() }
