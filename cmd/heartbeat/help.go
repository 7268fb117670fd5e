package main

import (
	"fmt"
	"io"
	"os"

	"hbgo/heartbeat/command/decode"
	"hbgo/heartbeat/command/pcmkexport"
	"hbgo/heartbeat/command/timeline"
	"hbgo/internal/version"
)

// subcommand is one of hbgo's own `heartbeat WORD` commands.
type subcommand struct {
	name, args, what string
	run              func(args []string) int
}

// subcommands are hbgo's own commands, in the order help lists them:
// adding one is one line here.
var subcommands = []subcommand{
	{"check", "[-dir DIR] [-node NAME]", "check ha.cf, haresources, authkeys and hbgo.cf as the daemon reads them",
		func(a []string) int { return checkCmd(a, os.Stdout, os.Stderr) }},
	{"log", "[-since TIME] [FILE...]", "failover incidents in ha-log: who held the group, outage, each step",
		func(a []string) int { return timeline.Main(a, os.Stdout, os.Stderr) }},
	{"decode", "[-authkeys FILE] FILE...", "print and verify heartbeat packets from a capture",
		func(a []string) int { return decode.Main(a, os.Stdout, os.Stderr) }},
	{"status", "[--json]", "this node, the peer, links, groups, drops and warnings on one screen; exit 0 healthy, 1 degraded, 3 not running",
		func(a []string) int { return statusCmd(a, os.Stdout, os.Stderr, queryStatus) }},
	{"cleanup", "[RESOURCE]", "clear this node's failure counts (all, or one resource's) so it may hold the group again",
		func(a []string) int { return cleanupCmd(a, os.Stdout, os.Stderr) }},
	{"export", "pacemaker [-dir DIR] [-o DIR]", "write the configuration as a Pacemaker CIB, corosync.conf, pcs/crmsh commands and a report",
		func(a []string) int { return pcmkexport.Main(a, os.Stdout, os.Stderr) }},
}

// findSubcommand returns the subcommand called name, or nil.
func findSubcommand(name string) *subcommand {
	for i := range subcommands {
		if subcommands[i].name == name {
			return &subcommands[i]
		}
	}
	return nil
}

// isHelp reports whether args are an explicit request for help.
func isHelp(args []string) bool {
	return len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
}

// writeHelp prints stock's usage text (its first line byte for byte) and
// then hbgo's own commands, one line each.
func writeHelp(w io.Writer) {
	io.WriteString(w, usage[1:]) // stock's text without the blank line it prints after getopt's complaint
	fmt.Fprintf(w, "\nhbgo's own commands (%s; each takes -h):\n", version.Get())
	width := 0
	for _, c := range subcommands {
		width = max(width, len(c.name)+1+len(c.args))
	}
	for _, c := range subcommands {
		fmt.Fprintf(w, "  heartbeat %-*s  %s\n", width, c.name+" "+c.args, c.what)
	}
}

// versionLine is heartbeat -V: stock's version first (scripts parse the
// first word), then which hbgo build this is.
func versionLine() string {
	return version.Stock + " (node: hbgo) " + version.Get().String()
}
