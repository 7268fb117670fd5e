// Package delay is the native Delay test agent: start and stop sleep, status answers at once.
package delay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"hbgo/resource.d/agent"
)

// DefaultStart is the wrapper's intended default when no argument is given
// (COMPAT §6.6; stock actually falls through to the RA's 20 s).
const DefaultStart = 10 * time.Second

// Agent is one Delay resource. Unlike stock, whose status maps to a monitor
// that sleeps 30 s, status answers instantly from the state (COMPAT §6.6).
type Agent struct {
	StartDelay, StopDelay time.Duration // how long start and stop sleep
	Sleep                 func(ctx context.Context, d time.Duration) error
	Log                   agent.Logger // nil: no log lines
	Tag                   string       // the log tag, Delay(Delay_<startdelay>)
	// StateFile marks the pseudo-resource as started ("" = in memory only,
	// forgotten when the daemon restarts).
	StateFile string

	mu      sync.Mutex
	running bool
}

// Parse reads Delay's optional start and stop seconds; stop defaults to start.
func Parse(args []string) (start, stop time.Duration, err error) {
	if len(args) > 2 {
		return 0, 0, &agent.ArgError{Agent: "Delay", What: fmt.Sprintf("takes at most two arguments, got %d", len(args)),
			Hint: "write Delay::<start seconds>[::<stop seconds>]"}
	}
	sec := func(s string) (time.Duration, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > 86400 || strings.ContainsAny(s, "eExXpP_") {
			return 0, &agent.ArgError{Agent: "Delay", What: fmt.Sprintf("%q is not a number of seconds", s),
				Hint: "write Delay::<start seconds>[::<stop seconds>], e.g. Delay::5::2"}
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	start = DefaultStart
	if len(args) > 0 {
		if start, err = sec(args[0]); err != nil {
			return 0, 0, err
		}
	}
	stop = start
	if len(args) > 1 {
		if stop, err = sec(args[1]); err != nil {
			return 0, 0, err
		}
	}
	return start, stop, nil
}

// New builds a Delay agent; stateDir "" keeps the state in memory.
func New(args []string, deps agent.Deps) (*Agent, error) {
	start, stop, err := Parse(args)
	if err != nil {
		return nil, err
	}
	inst := "10" // the wrapper's instance is Delay_<startdelay>, 10 when not given
	if len(args) > 0 {
		inst = args[0]
	}
	a := &Agent{StartDelay: start, StopDelay: stop, Sleep: deps.Sleeper(), Log: deps.Log, Tag: "Delay(Delay_" + inst + ")"}
	if deps.StateDir != "" {
		// ha_pseudo_resource names the file after OCF_RESOURCE_INSTANCE,
		// Delay_<arg> for the legacy wrapper.
		a.StateFile = filepath.Join(deps.StateDir, "Delay_"+strings.Join(args, "_"))
	}
	return a, nil
}

// Start sleeps the start delay (ended early by ctx) and marks the resource started.
func (a *Agent) Start(ctx context.Context) error {
	if err := a.Sleep(ctx, a.StartDelay); err != nil {
		return fmt.Errorf("Delay start: %w", err)
	}
	agent.Logf(a.Log, a.Tag, "%s", agent.Delayed(a.StartDelay))
	return a.set(true)
}

// Stop sleeps the stop delay and marks the resource stopped.
func (a *Agent) Stop(ctx context.Context) error {
	if err := a.Sleep(ctx, a.StopDelay); err != nil {
		return fmt.Errorf("Delay stop: %w", err)
	}
	agent.Logf(a.Log, a.Tag, "%s", agent.Delayed(a.StopDelay))
	return a.set(false)
}

func (a *Agent) set(on bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.running = on
	if a.StateFile == "" {
		return nil
	}
	if on {
		if err := os.WriteFile(a.StateFile, nil, 0o644); err != nil {
			return fmt.Errorf("Delay: mark started: %w", err)
		}
		return nil
	}
	if err := os.Remove(a.StateFile); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("Delay: mark stopped: %w", err)
	}
	return nil
}

// Status answers from the state file, or memory when there is none.
func (a *Agent) Status(ctx context.Context) (agent.Status, error) {
	a.mu.Lock()
	on := a.running
	a.mu.Unlock()
	if a.StateFile != "" {
		_, err := os.Stat(a.StateFile)
		on = err == nil
	}
	if on {
		return agent.Status{Running: true, Text: agent.TextRunning}, nil
	}
	return agent.Status{Text: agent.TextStopped}, nil
}
