package main

import (
	"fmt"
	"os"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/haresources/resourcemanager"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/daemon"
	"hbgo/heartbeat/edge/hblog"
)

// resourceManager is the ResourceManager name (COMPAT §4.11): scripts and
// runbooks call it with listkeys, takegroup, givegroup, status, …
func resourceManager(args []string) int {
	c := hadir.Load(hadir.Options{Node: os.Getenv("HA_CURHOST")})
	host, _ := os.Hostname()
	var lg hblog.Logger = hblog.Discard
	var log executor.Logger = hblog.PIDTagger{Log: lg, PID: os.Getpid()}
	if c.HaCf != nil {
		if l, err := hblog.New(hblog.Options{Logfile: c.HaCf.Logfile, Debugfile: c.HaCf.Debugfile,
			Facility: c.HaCf.Logfacility, SyslogMsgFmt: c.HaCf.SyslogMsgFmt, Nodename: host, PID: os.Getpid(),
			Format: c.Hbgo.LogFormat}); err == nil {
			defer l.Close()
			lg = l
			log = hblog.PIDTagger{Log: l, PID: os.Getpid()}
		}
	}
	// Listings need only haresources; running resources needs ha.cf too.
	bind := func(r haresources.Resource) (executor.Binding, error) {
		return executor.Binding{}, fmt.Errorf("cannot run %s: %s/ha.cf cannot be read", r.Token, c.Dir)
	}
	if c.HaCf != nil {
		bind = daemon.Binder(c, daemon.ScriptEnv(c), log, true)
	}
	return resourcemanager.Main(args, resourcemanager.Env{Stdout: os.Stdout, Stderr: os.Stderr, Self: os.Args[0],
		Dir: c.Dir, Node: c.Node, Log: log, Bind: bind,
		// RecoverFromFailedStop: reboot now (hbgo.cf reboot_command in tests).
		Fence: func() error { daemon.Fence(c, lg); return nil }})
}
