package main

import "hbgo/heartbeat/daemon"

// nativeValidators are the native agents' argument checks for loading haresources.
func nativeValidators() map[string]func(args []string) error { return daemon.Validators() }
