package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/haresources/failcount"
	"hbgo/haresources/monitor"
	"hbgo/heartbeat/config/hacf"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/control"
	"hbgo/resource.d/agent"
	"hbgo/resource.d/ipaddr"
	"hbgo/resource.d/script"
	"hbgo/resource.d/watch"
)

// monShell is the resource monitor's I/O (issue 15): the watchers of
// resource.d/watch report to the node machine (heartbeat/core/node, which
// composes haresources/monitor) through n.later; the machine's monitor
// actions (Watch, Restore, Reannounce, RestartFrom, SaveCounts) are carried
// out here, those that touch the system in goroutines that report back as
// node events, so the loop never waits on them.
type monShell struct {
	w      hacf.Watch
	ctx    context.Context
	groups map[string]haresources.Group
	held   map[string]bool // groups whose watches run (the machine's Watch actions)

	events chan watch.Event
	vips   *watch.VIPs
	arp    *watch.Conflicts
	mounts *watch.Mounts
	poll   *watch.Poller

	mu     sync.Mutex              // guards ips (written by hold goroutines)
	ips    map[string]ipaddr.Held  // resource → its VIP as start configured it
	hosts  map[string]*ipaddr.Host // resource → the agent's host (netlink, ARP sender)
	saveMu sync.Mutex              // one failure-count write at a time, the latest wins
	saving monitor.Counts
	dirty  bool
}

// startMonitor starts the watchers when hbgo.cf asks for any (vip_watch,
// the default, with a VIP in haresources, or a monitor line) and returns
// the monitor's configuration for the node machine, with the failure
// counts on disk. With vip_watch off and no monitor line nothing runs,
// nothing is logged and it returns nil.
func (n *node) startMonitor(ctx context.Context) *monitor.Config {
	if n.o.NoResources {
		return nil
	}
	w := hacf.DefaultWatch()
	if n.conf.Hbgo != nil {
		w = n.conf.Hbgo.Watch
	}
	cfg, groups, vipsWanted, mountsWanted := monitorPlan(n.groups(), w)
	if !vipsWanted && len(w.Monitors) == 0 {
		return nil
	}
	counts, err := failcount.Load(n.o.StateDir)
	if err != nil {
		n.log.Warnf("hbgo-monitor: %v; starting from no failures", err)
		counts = monitor.Counts{}
	}
	cfg.Counts, cfg.Threshold, cfg.Window = counts, w.FailoverThreshold, w.FailureWindow
	s := &monShell{w: w, ctx: ctx, groups: groups, held: map[string]bool{},
		events: make(chan watch.Event, 64), ips: map[string]ipaddr.Held{}, hosts: map[string]*ipaddr.Host{}}
	s.poll = &watch.Poller{Events: s.events}
	n.mon = s // before the goroutines below, which reach it through n
	if vipsWanted {
		s.vips = &watch.VIPs{Events: s.events}
		s.arp = &watch.Conflicts{Events: s.events}
		ready := make(chan struct{})
		go func() {
			if err := s.vips.Run(ctx, ready); err != nil && ctx.Err() == nil {
				n.monLaterLog(fmt.Errorf("%w; removed VIPs are no longer restored", err))
			}
		}()
		select { // subscribed before any group starts, so no removal is missed
		case <-ready:
		case <-time.After(time.Second):
		}
	}
	if mountsWanted {
		s.mounts = &watch.Mounts{Events: s.events}
		go func() {
			if err := s.mounts.Run(ctx, nil); err != nil && ctx.Err() == nil {
				n.monLaterLog(fmt.Errorf("%w; unmounts are no longer seen", err))
			}
		}()
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-s.events:
				select {
				case n.later <- func() { n.onWatch(ev) }:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	context.AfterFunc(ctx, func() { // no goroutine parked until then
		s.poll.Close()
		if s.arp != nil {
			s.arp.Close()
		}
	})
	return &cfg
}

// monitorPlan is the monitor's view of haresources under hbgo.cf's watch
// settings, and which event watchers it needs.
func monitorPlan(gs []haresources.Group, w hacf.Watch) (cfg monitor.Config, groups map[string]haresources.Group, vips, mounts bool) {
	groups = map[string]haresources.Group{}
	for _, g := range gs {
		mg := monitor.Group{Key: g.Key()}
		for _, r := range g.Resources {
			mr := monitor.Resource{Name: r.Token, OnFail: monitor.Repair}
			mon, ok := w.MonitorFor(r.Token, r.Name)
			if ok {
				mr.OnFail = monitor.OnFail(mon.OnFail)
			}
			if isIP(r) && w.VIPWatch {
				vips = true
			}
			if ok && r.Name == "Filesystem" {
				mounts = true
			}
			mg.Resources = append(mg.Resources, mr)
		}
		groups[g.Key()] = g
		cfg.Groups = append(cfg.Groups, mg)
	}
	return cfg, groups, vips, mounts
}

func isIP(r haresources.Resource) bool { return r.Name == "IPaddr" || r.Name == "IPaddr2" }

// monWatch starts the watchers of g's resources from index from on, off the loop.
func (n *node) monWatch(g haresources.Group, from int) {
	s := n.mon
	for _, r := range g.Resources[from:] {
		r := r
		mon, monitored := s.w.MonitorFor(r.Token, r.Name)
		b, err := n.exec.Bind(r)
		if err != nil {
			continue
		}
		switch {
		case isIP(r) && s.vips != nil:
			ag, ok := agent.Native(b.Agent).(*ipaddr.Agent)
			if !ok {
				break // a script stands in: polled below if a monitor line names it
			}
			go func() {
				h, err := ag.Snapshot()
				if err != nil {
					return // not configured: the start failed, the planner knows
				}
				s.mu.Lock()
				s.ips[r.Token], s.hosts[r.Token] = h, ag.Host
				s.mu.Unlock()
				s.vips.Hold(r.Token, h.IP, h.LinkIndex, h.Iface)
				if ifi, err := net.InterfaceByIndex(h.LinkIndex); err == nil {
					_ = s.arp.Hold(s.ctx, r.Token, h.IP, ifi) // an interface without ARP: no conflict watch
				}
			}()
			continue
		case !monitored:
			continue
		case r.Name == "Filesystem" && s.mounts != nil && len(r.Args) >= 2:
			if _, isScript := b.Agent.(*script.Script); !isScript {
				s.mounts.Hold(r.Token, mountPoint(r.Args[1]))
				continue
			}
		}
		if monitored {
			s.poll.Hold(s.ctx, r.Token, mon.Interval, mon.Timeout, checkFor(b))
		}
	}
}

// checkFor is the status check of a bound resource: an init.d script by its
// LSB exit code, a resource.d script by heartbeat's status text, a native
// agent by its own status.
func checkFor(b executor.Binding) watch.CheckFunc {
	if sc, ok := b.Agent.(*script.Script); ok {
		return watch.ScriptCheck(sc, !strings.Contains(b.Script, "/resource.d/"))
	}
	return watch.AgentCheck(agent.Native(b.Agent)) // no wrapper line every interval
}

// mountPoint is a Filesystem mount point as mountinfo shows it.
func mountPoint(p string) string {
	if q := strings.TrimRight(p, "/"); q != "" {
		return q
	}
	return "/"
}

func (n *node) monUnwatch(g haresources.Group) {
	s := n.mon
	for _, r := range g.Resources {
		s.poll.Release(r.Token)
		if s.mounts != nil && r.Name == "Filesystem" && len(r.Args) >= 2 {
			s.mounts.Release(mountPoint(r.Args[1]))
		}
		s.mu.Lock()
		h, ok := s.ips[r.Token]
		delete(s.ips, r.Token)
		s.mu.Unlock()
		if ok {
			s.vips.Release(h.IP)
			s.arp.Release(h.IP)
		}
	}
}

// onWatch hands one watcher event to the node machine, which tells the
// monitor (with the planner's holdings and the peer's state first).
func (n *node) onWatch(ev watch.Event) {
	if n.mon == nil {
		return
	}
	at := n.now()
	switch ev.Kind {
	case watch.Vanished, watch.LinkUp:
		n.step(hbnode.Vanished{Resource: ev.Resource, Cause: ev.Cause, At: at})
	case watch.Conflict:
		n.step(hbnode.Conflict{Resource: ev.Resource, MAC: ev.MAC, At: at})
	case watch.Failed:
		n.step(hbnode.Failed{Resource: ev.Resource, Cause: ev.Cause, At: at})
	}
}

// monAct carries out one of the machine's monitor actions; the result of
// one that touches the system comes back as a node event through n.later.
func (n *node) monAct(a hbnode.Action) {
	s := n.mon
	if s == nil {
		return
	}
	switch a := a.(type) {
	case hbnode.Watch:
		g, ok := s.groups[a.Group]
		if !ok || s.held[a.Group] == a.On {
			return
		}
		s.held[a.Group] = a.On
		if a.On {
			n.monWatch(g, 0)
		} else {
			n.monUnwatch(g)
		}
	case hbnode.SaveCounts:
		n.monSave(a.Counts)
	case hbnode.Restore:
		s.mu.Lock()
		h, ok := s.ips[a.Resource]
		host := s.hosts[a.Resource]
		s.mu.Unlock()
		if !ok {
			n.step(hbnode.Restored{Resource: a.Resource, Err: "its address was never seen configured", At: n.now()})
			return
		}
		seq := n.resMu.ops.Load()
		go func() {
			start := time.Now()
			if !n.resMu.lockSince(seq) {
				n.monLater(hbnode.Restored{Resource: a.Resource, Skipped: true})
				return
			}
			added, err := host.Restore(h)
			n.resMu.Unlock()
			took := time.Since(start)
			msg := ""
			if err != nil && !errors.Is(err, ipaddr.ErrLinkDown) {
				msg = err.Error()
			}
			n.monLater(hbnode.Restored{Resource: a.Resource, Took: took, Err: msg, Present: !added && err == nil})
		}()
	case hbnode.Reannounce:
		s.mu.Lock()
		h, ok := s.ips[a.Resource]
		host := s.hosts[a.Resource]
		s.mu.Unlock()
		if ok {
			go func() { _ = host.Announce(h, nil) }()
		}
	case hbnode.RestartFrom:
		g, ok := s.groups[a.Group]
		if !ok {
			return
		}
		from := len(g.Resources) - len(a.Start)
		n.monUnwatchFrom(g, from)
		seq := n.resMu.ops.Load()
		go func() {
			err := n.monRestart(g, from, seq)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			select {
			case n.later <- func() {
				if err == nil {
					n.monWatch(g, from)
				}
				n.step(hbnode.RestartDone{Group: a.Group, Err: msg, Skipped: err == errRestartDropped, At: n.now()})
			}:
			case <-s.ctx.Done():
			}
		}()
	}
}

// monLater hands a Restored back to the loop, stamped when the loop takes it.
func (n *node) monLater(ev hbnode.Restored) {
	select {
	case n.later <- func() { ev.At = n.now(); n.step(ev) }:
	case <-n.mon.ctx.Done():
	}
}

func (n *node) monUnwatchFrom(g haresources.Group, from int) {
	n.monUnwatch(haresources.Group{Node: g.Node, Resources: g.Resources[from:]})
}

// errRestartDropped: a planner op ran between the decision and the restart.
var errRestartDropped = errors.New("a cluster resource operation ran first; restart dropped")

// monRestart stops g's resources from index from on in reverse, then starts
// them in order, with ResourceManager's log lines; it holds the resource
// lock so no planner op runs at the same time.
func (n *node) monRestart(g haresources.Group, from int, seq uint64) error {
	if !n.resMu.lockSince(seq) {
		return errRestartDropped
	}
	defer n.resMu.Unlock()
	const tag = "ResourceManager(default)"
	log := n.scriptLog()
	rs := g.Resources[from:]
	for i := len(rs) - 1; i >= 0; i-- {
		b, err := n.exec.Bind(rs[i])
		if err != nil {
			return fmt.Errorf("%s: %w", rs[i].Token, err)
		}
		log.Script(tag, fmt.Sprintf("info: Running %s %s stop", b.Script, strings.Join(rs[i].Args, " ")))
		ctx, cancel := withTimeout(n.mon.ctx, n.exec.StopTimeout)
		err = b.Agent.Stop(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%s stop: %w", rs[i].Token, err)
		}
	}
	for _, r := range rs {
		b, err := n.exec.Bind(r)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Token, err)
		}
		log.Script(tag, fmt.Sprintf("info: Running %s %s start", b.Script, strings.Join(r.Args, " ")))
		ctx, cancel := withTimeout(n.mon.ctx, n.exec.StartTimeout)
		err = b.Agent.Start(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%s start: %w", r.Token, err)
		}
	}
	return nil
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// monSave writes the failure counts off the loop; writes never overlap and
// the last counts asked for are the ones left on disk.
func (n *node) monSave(c monitor.Counts) {
	s := n.mon
	s.saveMu.Lock()
	s.saving, s.dirty = c, true
	s.saveMu.Unlock()
	go func() {
		s.saveMu.Lock()
		defer s.saveMu.Unlock()
		if !s.dirty {
			return
		}
		s.dirty = false
		if err := failcount.Save(n.o.StateDir, s.saving); err != nil {
			n.monLaterLog(err)
		}
	}()
}

func (n *node) monLaterLog(err error) {
	select {
	case n.later <- func() { n.log.Errorf("hbgo-monitor: %v", err) }:
	case <-n.mon.ctx.Done():
	}
}

// monCleanup answers `heartbeat cleanup [RESOURCE]`.
func (n *node) monCleanup(res string) control.Reply {
	if n.mon == nil {
		c, err := failcount.Load(n.o.StateDir)
		if err != nil {
			return control.Reply{Error: err.Error()}
		}
		if res == "" {
			clear(c)
		} else {
			delete(c, res)
		}
		if err := failcount.Save(n.o.StateDir, c); err != nil {
			return control.Reply{Error: err.Error()}
		}
		return control.Reply{OK: true}
	}
	if res != "" {
		if _, ok := n.findResource(res); !ok {
			return control.Reply{Error: fmt.Sprintf("no resource %s in haresources (write it as haresources does, e.g. IPaddr::10.0.0.5/24/eth0)", res)}
		}
	}
	n.step(hbnode.Cleanup{Resource: res, At: n.now()})
	return control.Reply{OK: true}
}

func (n *node) findResource(tok string) (haresources.Resource, bool) {
	for _, g := range n.mon.groups {
		for _, r := range g.Resources {
			if r.Token == tok {
				return r, true
			}
		}
	}
	return haresources.Resource{}, false
}

// resLock serialises resource operations: the planner's ops and the
// monitor's restores and restarts never run at the same time, and a
// monitor action decided before a planner op ran is dropped (the op may
// have given the group away).
type resLock struct {
	sync.Mutex
	ops atomic.Uint64 // planner ops begun
}

// beginOp takes the lock for a planner op.
func (l *resLock) beginOp() {
	l.Lock()
	l.ops.Add(1)
}

// lockSince takes the lock for a monitor action decided when ops was seq;
// false (and unlocked) when a planner op ran since.
func (l *resLock) lockSince(seq uint64) bool {
	l.Lock()
	if l.ops.Load() != seq {
		l.Unlock()
		return false
	}
	return true
}
