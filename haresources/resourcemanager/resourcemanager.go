// Package resourcemanager holds hbgo's ResourceManager command: stock's sub-commands (listkeys, takegroup, givegroup, status, verifyallidle, …) for the scripts and runbooks that call it (COMPAT §4.11).
package resourcemanager

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/haresources/planner"
	"hbgo/resource.d/agent"
)

// Env is what ResourceManager needs from the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	Self           string // the path it was called as ($0 in stock's texts)
	Dir            string // /etc/ha.d
	Node           string // HA_CURHOST: the local node name
	Log            executor.Logger
	Bind           executor.Binder
	// Fence reboots the node after a stop that failed with the resource
	// still running (stock: pkill -9 heartbeat; reboot -nf).
	Fence func() error
}

// Exit statuses of `status` (stock: we_own_resource).
const (
	running    = 0
	notRunning = 3
)

const tag = "ResourceManager(default)"

// Main runs `ResourceManager args…` and returns its exit code.
func Main(args []string, e Env) int {
	usage := func() int {
		fmt.Fprintf(e.Stderr, "usage: %s listkeys machine | takegroup key | givegroup key|status resource\n\n", e.Self)
		return 1
	}
	if len(args) == 0 {
		return usage()
	}
	arg := ""
	if len(args) > 1 {
		arg = args[1]
	}
	groups, err := e.groups()
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	ex := &executor.Executor{Groups: func() []haresources.Group { return groups }, Bind: e.Bind, Log: e.Log, StopRetries: executor.StopRetriesFromEnv()}
	ctx := context.Background()
	switch args[0] {
	case "listkeys":
		for _, k := range keysMatching(groups, arg) {
			fmt.Fprintln(e.Stdout, k)
		}
	case "allkeys":
		for _, k := range keysMatching(groups, ".*") {
			fmt.Fprintln(e.Stdout, k)
		}
	case "ourkeys", "otherkeys":
		ours := args[0] == "ourkeys"
		for _, g := range groups {
			if (g.Node == strings.ToLower(e.Node)) == ours {
				// cut -d' ' -f2- of a line ResourceManager ends with a blank.
				fmt.Fprintln(e.Stdout, strings.TrimPrefix(g.Text(), g.Node+" ")+" ")
			}
		}
	case "status":
		return e.status(ctx, arg)
	case "takegroup", "givegroup":
		return e.moveGroup(ctx, ex, groups, args[0], arg)
	case "statgroup":
		g, ok := haresources.ByKey(groups, arg)
		if !ok {
			return 0
		}
		fmt.Fprintln(e.Stdout, statGroup(ctx, ex, g))
	case "verifyallidle":
		return verifyAllIdle(ctx, e, groups)
	default:
		return usage()
	}
	return 0
}

// status runs the status of one resource token: exit 0 when running, else notRunning.
func (e Env) status(ctx context.Context, token string) int {
	res, err := haresources.ParseResource(token)
	if err != nil {
		return notRunning
	}
	b, err := e.Bind(res)
	if err != nil {
		e.Log.Script(tag, "ERROR: Cannot locate resource script "+res.Name)
		return notRunning
	}
	st, _ := b.Agent.Status(ctx)
	if agent.StatusRunning(st.Text) {
		return running
	}
	return notRunning
}

// moveGroup runs takegroup or givegroup (cmd) on the group key; a stop failure fences the node as stock does (COMPAT §4.8).
func (e Env) moveGroup(ctx context.Context, ex *executor.Executor, groups []haresources.Group, cmd, arg string) int {
	kind := planner.Take
	if cmd == "givegroup" {
		kind = planner.Give
	}
	if _, ok := haresources.ByKey(groups, arg); !ok {
		return 0 // stock: no matching line, nothing done
	}
	done := ex.Run(ctx, planner.Op{Kind: kind, Groups: []string{arg}, Why: "ip-request-resp"})
	for _, r := range done.Results {
		switch r.Outcome {
		case planner.StartFailed:
			return 1
		case planner.StopFailed:
			e.Log.Script(tag, "CRIT: Resource STOP failure. Reboot required!")
			e.Log.Script(tag, "CRIT: Killing heartbeat ungracefully!")
			if e.Fence == nil || e.Fence() != nil {
				e.Log.Script(tag, "CRIT: Unable to force reboot.")
			}
			return 1
		}
	}
	return 0
}

func (e Env) groups() ([]haresources.Group, error) {
	path := filepath.Join(e.Dir, "haresources")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil // stock: no file, no lines
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gs, probs := haresources.Parse(f, path)
	if probs.HasErrors() {
		return nil, probs.Err()
	}
	return gs, nil
}

// keysMatching is stock's KeyResources: the keys of the lines that match
// "^<pattern> " case-insensitively (egrep -i); an invalid pattern matches nothing.
func keysMatching(groups []haresources.Group, pattern string) []string {
	re, err := regexp.Compile("(?i)^" + pattern + " ")
	if err != nil {
		return nil
	}
	var keys []string
	for _, g := range groups {
		if re.MatchString(g.Text() + " ") {
			keys = append(keys, g.Key())
		}
	}
	return keys
}

// statGroup is ALL, SOME or NONE of g's resources running.
func statGroup(ctx context.Context, ex *executor.Executor, g haresources.Group) string {
	on := 0
	for _, r := range g.Resources {
		if b, err := ex.Bind(r); err == nil {
			if st, _ := b.Agent.Status(ctx); agent.StatusRunning(st.Text) {
				on++
			}
		}
	}
	switch on {
	case 0:
		return "NONE"
	case len(g.Resources):
		return "ALL"
	}
	return "SOME"
}

// verifyAllIdle warns about every group whose key resource runs already —
// what the init script checks before starting heartbeat (COMPAT §4.11).
func verifyAllIdle(ctx context.Context, e Env, groups []haresources.Group) int {
	n := 0
	for _, g := range groups {
		b, err := e.Bind(g.Resources[0])
		if err != nil {
			continue
		}
		if st, _ := b.Agent.Status(ctx); !agent.StatusRunning(st.Text) {
			continue
		}
		n++
		k := g.Key()
		e.Log.Script(tag, "CRITICAL: Resource "+k+" is active, and should not be!")
		e.Log.Script(tag, "CRITICAL: Non-idle resources can affect data integrity!")
		e.Log.Script(tag, "info: If you don't know what this means, then get help!")
		e.Log.Script(tag, "info: Read the docs and/or source to "+e.Self+" for more details.")
		fmt.Fprintf(e.Stderr, "CRITICAL: Resource %s is active, and should not be!\nCRITICAL: Non-idle resources can affect data integrity!\ninfo: If you don't know what this means, then get help!\ninfo: Read the docs and/or the source to %s for more details.\n", k, e.Self)
	}
	if n > 0 {
		e.Log.Script(tag, "CRITICAL: Non-idle resources will affect resource takeback!")
		e.Log.Script(tag, "CRITICAL: Non-idle resources may affect data integrity!")
	}
	return n
}
