package main

import (
	"flag"
	"fmt"
	"io"

	"hbgo/heartbeat/hbconf"
)

// checkCmd is `heartbeat check [-dir DIR] [-node NAME]`.
func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("heartbeat check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "/etc/ha.d", "configuration directory")
	node := fs.String("node", "", "check the configuration as this node's (default: nodeinfo or uname -n)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: heartbeat check [-dir DIR] [-node NAME]")
		return 2
	}
	c := hbconf.Load(hbconf.Options{Dir: *dir, Node: *node, Validators: nativeValidators()})
	for _, p := range c.Problems.Sorted() {
		fmt.Fprintln(stderr, p.Error())
	}
	if !c.Ok() {
		return c.ExitCode()
	}
	fmt.Fprintf(stdout, "%s: configuration OK for node %s\n", *dir, c.Node)
	return 0
}
