package main

import (
	"hbgo/haresources/executor"
	"hbgo/heartbeat/hbconf"
	"hbgo/resource.d/agent"
)

// nativeBinder wires resource.d's native agents in; until the registry lands
// every resource runs its script (nil makes the daemon do that).
var nativeBinder func(c *hbconf.Conf, env []string, log agent.Logger) executor.Binder

func nativeValidators() map[string]func(args []string) error { return nil }
