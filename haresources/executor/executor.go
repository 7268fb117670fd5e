// Package executor runs the planner's group operations with resource agents, one group at a time in heartbeat's order, logging as ResourceManager does.
package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"hbgo/haresources"
	"hbgo/haresources/planner"
	"hbgo/resource.d/agent"
)

// Binding is a resource bound to what runs it.
type Binding struct {
	Agent agent.Agent
	// Script is the script path ResourceManager would run, as it names it in
	// its log lines; a native agent logs the script it stands in for.
	Script string
}

// Binder binds a resource to its agent; an error means no script can be
// found (stock: "Cannot locate resource script <name>").
type Binder func(res haresources.Resource) (Binding, error)

// Logger writes the script-style lines ResourceManager would have written.
type Logger interface {
	Script(tag, text string)
}

// Executor runs planner.Ops. It is used from one goroutine at a time: ops
// run one after another, as stock's resource children do.
type Executor struct {
	// Groups returns haresources as it is now: stock's scripts re-read the
	// file before every group operation, and so does hbgo (the caller keeps
	// the last good copy when an edit does not parse).
	Groups func() []haresources.Group
	Bind   Binder
	Log    Logger
	// StopRetries is how often a failed stop is retried, 1 s apart (stock:
	// HA_STOPRETRYMAX, default 10; ≤ 0 means forever — COMPAT §4.8).
	StopRetries int
	RetryDelay  time.Duration // default 1 s
	Sleep       func(ctx context.Context, d time.Duration) error
	// Timeouts are hbgo's opt-in per-operation limits (hbgo.cf
	// resource_timeout); zero means none, as in heartbeat (COMPAT §4.9).
	StartTimeout, StopTimeout, StatusTimeout time.Duration
}

const rmTag = "ResourceManager(default)"

// StopRetriesFromEnv is HA_STOPRETRYMAX from the environment, default 10
// (COMPAT §4.8).
func StopRetriesFromEnv() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("HA_STOPRETRYMAX"), &n); err == nil {
		return n
	}
	return 10
}

// Run carries out op and reports what happened to each group.
func (e *Executor) Run(ctx context.Context, op planner.Op) planner.OpDone {
	done := planner.OpDone{OpID: op.ID}
	groups := index(e.Groups())
	for _, key := range op.Groups {
		g, ok := groups[key]
		if !ok {
			// The group vanished from haresources since the planner saw it:
			// nothing to start; for a stop, nothing is known to be running.
			e.Log.Script(rmTag, fmt.Sprintf("ERROR: no resource group with key %s in haresources", key))
			out := planner.Stopped
			if op.Kind == planner.Take {
				out = planner.StartFailed
			}
			done.Results = append(done.Results, planner.GroupResult{Key: key, Outcome: out})
			continue
		}
		sep := pathSep(op.Why)
		if op.Kind == planner.Take {
			done.Results = append(done.Results, e.take(ctx, g, sep))
		} else {
			done.Results = append(done.Results, e.give(ctx, g, sep))
		}
	}
	return done
}

// pathSep reproduces how stock's scripts spell resource paths in ha-log:
// "/etc/ha.d//resource.d/X" when ResourceManager runs under harc (mach_down,
// ip-request, ip-request-resp — the paths of initial acquisition and
// takeover), "/etc/ha.d/resource.d/X" when the daemon's own children run it
// (standby, shutdown) — COMPAT §8.3, captured ha-logs.
func pathSep(why string) string {
	switch why {
	case "mach_down", "ip-request", "ip-request-resp", "req_our_resources":
		return "//"
	}
	return "/"
}

func logPath(script, sep string) string {
	if sep == "//" && strings.HasPrefix(script, "/etc/ha.d/resource.d/") {
		return "/etc/ha.d//resource.d/" + strings.TrimPrefix(script, "/etc/ha.d/resource.d/")
	}
	return script
}

func index(gs []haresources.Group) map[string]haresources.Group {
	m := make(map[string]haresources.Group, len(gs))
	for _, g := range gs {
		m[g.Key()] = g
	}
	return m
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

func (e *Executor) bind(r haresources.Resource) (Binding, bool) {
	b, err := e.Bind(r)
	if err != nil {
		e.Log.Script(rmTag, fmt.Sprintf("ERROR: Cannot locate resource script %s", r.Name))
		return Binding{}, false
	}
	return b, true
}

// running asks status; a binding failure or status error counts as not
// running, as ResourceManager reads only the text (COMPAT §4.5).
func (e *Executor) running(ctx context.Context, b Binding) bool {
	c, cancel := withTimeout(ctx, e.StatusTimeout)
	defer cancel()
	st, err := b.Agent.Status(c)
	if err != nil && st.Text == "" {
		return false
	}
	return agent.StatusRunning(st.Text)
}

func opLine(path string, r haresources.Resource, op string) string {
	return fmt.Sprintf("info: Running %s %s %s", path, strings.Join(r.Args, " "), op)
}

func (e *Executor) returnCode(path string, err error) {
	rc := 1
	var ce interface{ ExitCode() int }
	if errors.As(err, &ce) {
		rc = ce.ExitCode()
	}
	e.Log.Script(rmTag, fmt.Sprintf("ERROR: Return code %d from %s", rc, path))
}

// take starts g left to right (COMPAT §4.6): resources already running are
// skipped; the first failure stops the whole group in reverse, including
// resources never started and the failed one.
func (e *Executor) take(ctx context.Context, g haresources.Group, sep string) planner.GroupResult {
	e.Log.Script(rmTag, "info: Acquiring resource group: "+g.Text())
	for i, r := range g.Resources {
		b, ok := e.bind(r)
		if ok && e.running(ctx, b) {
			continue
		}
		var err error
		path := ""
		if ok {
			path = logPath(b.Script, sep)
			e.Log.Script(rmTag, opLine(path, r, "start"))
			c, cancel := withTimeout(ctx, e.StartTimeout)
			err = b.Agent.Start(c)
			cancel()
		} else {
			err = errors.New("cannot locate resource script")
		}
		if err == nil {
			continue
		}
		if path != "" {
			e.returnCode(path, err)
		}
		e.Log.Script(rmTag, "CRIT: Giving up resources due to failure of "+r.Token)
		res := e.give(ctx, g, sep)
		if res.Outcome == planner.StopFailed {
			return res
		}
		return planner.GroupResult{Key: g.Key(), Outcome: planner.StartFailed, FailedAt: i}
	}
	return planner.GroupResult{Key: g.Key(), Outcome: planner.Started}
}

// give stops g right to left (COMPAT §4.7–4.8). A failing stop is retried
// StopRetries times; if status still says running the result is StopFailed
// with StillRunning (the planner fences); if not, stock's three
// "probably not LSB-compliant" lines are written and the group goes on.
func (e *Executor) give(ctx context.Context, g haresources.Group, sep string) planner.GroupResult {
	e.Log.Script(rmTag, "info: Releasing resource group: "+g.Text())
	res := planner.GroupResult{Key: g.Key(), Outcome: planner.Stopped}
	for i := len(g.Resources) - 1; i >= 0; i-- {
		r := g.Resources[i]
		b, ok := e.bind(r)
		if !ok {
			continue // nothing can be running that no script can start
		}
		path := logPath(b.Script, sep)
		// As ResourceManager: every attempt logs its Running line and, on
		// failure, the return code; between attempts it sleeps 1 s and logs
		// the retry (COMPAT §4.8, §11.4).
		var err error
		for try := 0; ; try++ {
			e.Log.Script(rmTag, opLine(path, r, "stop"))
			if err = e.stop(ctx, b); err == nil {
				break
			}
			e.returnCode(path, err)
			if (e.StopRetries > 0 && try >= e.StopRetries) || ctx.Err() != nil {
				break
			}
			if e.sleep(ctx, e.retryDelay()) != nil {
				break
			}
			e.Log.Script(rmTag, fmt.Sprintf("info: Retrying failed stop operation [%s]", r.Token))
		}
		if err == nil {
			continue
		}
		if e.running(ctx, b) {
			if res.Outcome != planner.StopFailed {
				res = planner.GroupResult{Key: g.Key(), Outcome: planner.StopFailed, FailedAt: i, StillRunning: true}
			}
			continue
		}
		e.Log.Script(rmTag, fmt.Sprintf("ERROR: Resource script for %s probably not LSB-compliant.", r.Token))
		e.Log.Script(rmTag, fmt.Sprintf("WARN: it (%s) MUST succeed on a stop when already stopped", r.Token))
		e.Log.Script(rmTag, "WARN: Machine reboot narrowly avoided!")
	}
	return res
}

func (e *Executor) stop(ctx context.Context, b Binding) error {
	c, cancel := withTimeout(ctx, e.StopTimeout)
	defer cancel()
	return b.Agent.Stop(c)
}

func (e *Executor) retryDelay() time.Duration {
	if e.RetryDelay > 0 {
		return e.RetryDelay
	}
	return time.Second
}

func (e *Executor) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	return agent.SleepCtx(ctx, d)
}

// Prepare binds every resource once, so the work of resolving (reading
// dpkg's md5 lists to tell a packaged script from a patched one) happens at
// start-up, not on the takeover path; it returns the resources that cannot
// be bound, for a warning.
func (e *Executor) Prepare() []string {
	var missing []string
	for _, g := range e.Groups() {
		for _, r := range g.Resources {
			if _, err := e.Bind(r); err != nil {
				missing = append(missing, r.Token)
			}
		}
	}
	return missing
}

// Held returns the keys of groups whose first resource reports running: what
// stock's verifyallidle and startup checks look at (COMPAT §1 item 4, §4.11).
func (e *Executor) Held(ctx context.Context) []string {
	var keys []string
	for _, g := range e.Groups() {
		if len(g.Resources) == 0 {
			continue
		}
		b, err := e.Bind(g.Resources[0])
		if err != nil {
			continue
		}
		if e.running(ctx, b) {
			keys = append(keys, g.Key())
		}
	}
	return keys
}
