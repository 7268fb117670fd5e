package watch

import (
	"context"
	"sync"
	"time"
)

// CheckFunc runs one status check under ctx (which carries the timeout)
// and says whether the resource runs, or why not.
type CheckFunc func(ctx context.Context) (running bool, cause string)

// Poller runs each held resource's check every interval; a check that says
// not running, or still runs at its timeout (the CheckFunc kills its
// process group when ctx ends), is a Failed event.
type Poller struct {
	Events chan<- Event
	Now    func() time.Time

	mu    sync.Mutex
	polls map[string]context.CancelFunc
}

// Hold starts polling resource every interval with timeout.
func (p *Poller) Hold(ctx context.Context, resource string, interval, timeout time.Duration, check CheckFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.polls == nil {
		p.polls = map[string]context.CancelFunc{}
	}
	if cancel := p.polls[resource]; cancel != nil {
		cancel()
	}
	pctx, cancel := context.WithCancel(ctx)
	p.polls[resource] = cancel
	go p.loop(pctx, resource, interval, timeout, check)
}

// Release stops polling resource.
func (p *Poller) Release(resource string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cancel := p.polls[resource]; cancel != nil {
		cancel()
		delete(p.polls, resource)
	}
}

// Close stops every poll.
func (p *Poller) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for r, cancel := range p.polls {
		cancel()
		delete(p.polls, r)
	}
}

func (p *Poller) loop(ctx context.Context, resource string, interval, timeout time.Duration, check CheckFunc) {
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		running, cause := check(cctx)
		timedOut := cctx.Err() == context.DeadlineExceeded
		cancel()
		if ctx.Err() != nil {
			return // released while the check ran: its answer is stale
		}
		if timedOut {
			running, cause = false, "status check hung: killed at its timeout of "+timeout.String()
		}
		if !running {
			now := time.Now()
			if p.Now != nil {
				now = p.Now()
			}
			send(p.Events, Event{Resource: resource, Kind: Failed, Cause: cause, At: now})
		}
		t.Reset(interval)
	}
}
