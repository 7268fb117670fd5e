package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/haresources/resourcemanager"
	"hbgo/heartbeat/hbconf"
	"hbgo/heartbeat/hblog"
)

// resourceManager is the ResourceManager name (COMPAT §4.11): scripts and
// runbooks call it with listkeys, takegroup, givegroup, status, …
func resourceManager(args []string) int {
	c := hbconf.Load(hbconf.Options{Node: os.Getenv("HA_CURHOST")})
	host, _ := os.Hostname()
	var log executor.Logger = pidTagger{l: hblog.Discard, pid: os.Getpid()}
	if c.HaCf != nil {
		if l, err := hblog.New(hblog.Options{Logfile: c.HaCf.Logfile, Debugfile: c.HaCf.Debugfile,
			Facility: c.HaCf.Logfacility, SyslogMsgFmt: c.HaCf.SyslogMsgFmt, Nodename: host, PID: os.Getpid()}); err == nil {
			defer l.Close()
			log = pidTagger{l: l, pid: os.Getpid()}
		}
	}
	// Listings need only haresources; running resources needs ha.cf too.
	bind := func(r haresources.Resource) (executor.Binding, error) {
		return executor.Binding{}, fmt.Errorf("cannot run %s: %s/ha.cf cannot be read", r.Token, c.Dir)
	}
	if c.HaCf != nil {
		bind = executor.NewBinder(c, executor.ScriptEnv(c), log, true)
	}
	return resourcemanager.Main(args, resourcemanager.Env{Stdout: os.Stdout, Stderr: os.Stderr, Self: os.Args[0],
		Dir: c.Dir, Node: c.Node, Log: log, Bind: bind, Fence: fence})
}

// pidTagger writes script lines with this process's pid, as stock's
// shell functions do.
type pidTagger struct {
	l   hblog.Logger
	pid int
}

func (p pidTagger) Script(tag, text string) {
	if !strings.HasSuffix(tag, "]") {
		tag = fmt.Sprintf("%s[%d]", tag, p.pid)
	}
	p.l.Script(tag, text)
}

// fence is ResourceManager's RecoverFromFailedStop: reboot now, so the peer
// can take over a shared disk safely (COMPAT §4.8). HBGO_REBOOT_COMMAND
// replaces the reboot in tests.
func fence() error {
	if c := os.Getenv("HBGO_REBOOT_COMMAND"); c != "" {
		return exec.Command("/bin/sh", "-c", c).Run()
	}
	syscall.Sync()
	return syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART)
}
