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
	"hbgo/haresources/planner"
	"hbgo/heartbeat/config/hacf"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/edge/control"
	"hbgo/resource.d/agent"
	"hbgo/resource.d/ipaddr"
	"hbgo/resource.d/script"
	"hbgo/resource.d/watch"
)

// monShell runs the resource monitor (issue 15): the watchers of
// resource.d/watch feed the pure machine of haresources/monitor on the
// loop goroutine; its actions that touch the system run in goroutines that
// report back through n.later, so the loop never waits on them.
type monShell struct {
	m      *monitor.Machine
	w      hacf.Watch
	ctx    context.Context
	groups map[string]haresources.Group
	held   map[string]bool

	events chan watch.Event
	vips   *watch.VIPs
	arp    *watch.Conflicts
	mounts *watch.Mounts
	poll   *watch.Poller

	mu     sync.Mutex              // guards ips (written by hold goroutines)
	ips    map[string]ipaddr.Held  // resource → its VIP as start configured it
	hosts  map[string]*ipaddr.Host // resource → the agent's host (netlink, ARP sender)
	timer  *time.Timer
	saveMu sync.Mutex // one failure-count write at a time, the latest wins
	saving monitor.Counts
	dirty  bool
	// handing: groups the monitor handed over whose outcome is not known
	// yet (monHandCheck).
	handing map[string]bool
}

// startMonitor starts the watchers when hbgo.cf asks for any (vip_watch,
// the default, with a VIP in haresources, or a monitor line). With
// vip_watch off and no monitor line nothing runs and nothing is logged.
func (n *node) startMonitor(ctx context.Context) {
	if n.o.NoResources {
		return
	}
	w := hacf.DefaultWatch()
	if n.conf.Hbgo != nil {
		w = n.conf.Hbgo.Watch
	}
	cfg, groups, vipsWanted, mountsWanted := monitorPlan(n.groups(), w)
	if !vipsWanted && len(w.Monitors) == 0 {
		return
	}
	counts, err := failcount.Load(n.o.StateDir)
	if err != nil {
		n.log.Warnf("hbgo-monitor: %v; starting from no failures", err)
		counts = monitor.Counts{}
	}
	cfg.Counts, cfg.Threshold, cfg.Window = counts, w.FailoverThreshold, w.FailureWindow
	s := &monShell{m: monitor.New(cfg), w: w, ctx: ctx, groups: groups, held: map[string]bool{},
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
	go func() {
		<-ctx.Done()
		s.poll.Close()
		if s.arp != nil {
			s.arp.Close()
		}
	}()
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

// monSync tells the monitor which groups this node now holds (the
// planner's set, once no resource work is under way) and starts or stops
// their watchers. The loop calls it after every resource operation.
func (n *node) monSync() {
	s := n.mon
	if s == nil {
		return
	}
	n.monHandCheck()
	hold := n.m.Holds()
	busy := n.m.Busy()
	for key, g := range s.groups {
		class := planner.Foreign
		if g.Node == n.conf.Node {
			class = planner.Local
		}
		on := hold&class != 0 && !busy
		if on == s.held[key] || s.handing[key] {
			continue // a hand-over's outcome comes first (monHandCheck)
		}
		s.held[key] = on
		if on {
			n.monWatch(g, 0)
		} else {
			n.monUnwatch(g)
		}
		n.monStep(monitor.Held{Group: key, On: on})
	}
}

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

// onWatch feeds one watcher event to the monitor, with the peer's state as
// membership sees it now.
func (n *node) onWatch(ev watch.Event) {
	if n.mon == nil {
		return
	}
	n.monSync() // a group the planner is moving is no longer watched
	n.monStep(monitor.Peer{State: n.peerState()})
	switch ev.Kind {
	case watch.Vanished, watch.LinkUp:
		n.monStep(monitor.Vanished{Resource: ev.Resource, Cause: ev.Cause})
	case watch.Conflict:
		n.monStep(monitor.Conflict{Resource: ev.Resource, MAC: ev.MAC})
	case watch.Failed:
		n.monStep(monitor.Failed{Resource: ev.Resource, Cause: ev.Cause})
	}
}

func (n *node) peerState() string {
	for _, nd := range n.m.Snapshot().Nodes {
		if nd.Type == "normal" && nd.Name != n.conf.Node {
			return nd.Status
		}
	}
	return "dead"
}

// monStep runs the machine and carries out its actions.
func (n *node) monStep(ev monitor.Event) {
	s := n.mon
	for _, a := range s.m.Step(n.now(), ev) {
		n.monAction(a)
	}
	n.monArm()
}

// monArm wakes the loop at the machine's next deadline (a Go timer only
// while one is pending: an idle daemon has none).
func (n *node) monArm() {
	s := n.mon
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	at := s.m.NextDeadline()
	if at.IsZero() {
		return
	}
	s.timer = time.AfterFunc(max(time.Until(at), 0)+time.Millisecond, func() {
		select {
		case n.later <- func() { n.monSync(); n.monStep(monitor.Tick{}) }:
		case <-s.ctx.Done():
		}
	})
}

func (n *node) monAction(a monitor.Action) {
	s := n.mon
	switch a := a.(type) {
	case monitor.Log:
		n.logAction(hbnode.Log{Level: a.Level, Text: a.Text})
	case monitor.Journal:
		n.journalEv("monitor_"+a.Kind, "", map[string]string{"resource": a.Resource, "text": a.Text})
	case monitor.Persist:
		n.monSave(a.Counts)
	case monitor.Block:
		n.step(hbnode.Block{Group: a.Group, On: a.On, At: n.now()}) // the planner honours it
	case monitor.Restore:
		s.mu.Lock()
		h, ok := s.ips[a.Resource]
		host := s.hosts[a.Resource]
		s.mu.Unlock()
		if !ok {
			n.monStep(monitor.Restored{Resource: a.Resource, Err: "its address was never seen configured"})
			return
		}
		seq := n.resMu.ops.Load()
		go func() {
			start := time.Now()
			if !n.resMu.lockSince(seq) {
				n.monLater(monitor.Restored{Resource: a.Resource, Skipped: true})
				return
			}
			added, err := host.Restore(h)
			n.resMu.Unlock()
			took := time.Since(start)
			msg := ""
			if err != nil && !errors.Is(err, ipaddr.ErrLinkDown) {
				msg = err.Error()
			}
			n.monLater(monitor.Restored{Resource: a.Resource, Took: took, Err: msg, Present: !added && err == nil})
		}()
	case monitor.Reannounce:
		s.mu.Lock()
		h, ok := s.ips[a.Resource]
		host := s.hosts[a.Resource]
		s.mu.Unlock()
		if ok {
			go func() { _ = host.Announce(h, nil) }()
		}
	case monitor.HandOver:
		set := "foreign"
		if g, ok := s.groups[a.Group]; ok && g.Node == n.conf.Node {
			set = "local"
		}
		n.step(hbnode.Standby{Set: set, At: n.now()})
		// The outcome comes from the planner: the group leaves, or the
		// standby ends (refused, unanswered) with it still here.
		if s.handing == nil {
			s.handing = map[string]bool{}
		}
		s.handing[a.Group] = true
		n.monCheckLater(0)
		n.monCheckLater(planner.StandbyReplyTimeout + time.Second)
	case monitor.RestartFrom:
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
				n.monStep(monitor.OpDone{Op: "restart", Group: a.Group, Err: msg, Skipped: err == errRestartDropped})
				n.monSync()
			}:
			case <-s.ctx.Done():
			}
		}()
	}
}

func (n *node) monLater(ev monitor.Event) {
	select {
	case n.later <- func() { n.monStep(ev) }:
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
	n.monStep(monitor.Cleanup{Resource: res})
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
