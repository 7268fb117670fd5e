package daemon

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"hbgo/haresources"
	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/config/hadir"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/resource.d/agent"
	"hbgo/resource.d/ipaddr"
	"hbgo/resource.d/script"
	"hbgo/resource.d/watch"
)

// rereadHbgo applies a changed hbgo.cf on a reload (SIGHUP, heartbeat -r).
// The watch settings take effect at once: monitor lines, failover_threshold
// and failure_window. A setting the running daemon cannot change (vip_watch,
// and every other hbgo.cf directive: sockets, sinks and agents are set up
// at start) keeps its old value, and a WARN line names it. An hbgo.cf with
// errors changes nothing. Under -M (NoResources) no resource runs, so no
// monitor does: the watch settings are recorded, and each line naming one
// says it is not in effect (it once read "monitor X added", as if X were
// watched from then on).
func (n *node) rereadHbgo(at time.Time, c *hadir.Conf) {
	n.log.Infof("hbgo: rereading %s.", hacf.HbgoFile)
	bad := false
	for _, p := range c.Problems.Errors() {
		if filepath.Base(p.File) == hacf.HbgoFile {
			n.log.Errorf("%s", p.Error())
			bad = true
		}
	}
	if bad || c.Hbgo == nil {
		n.log.Errorf("hbgo: %s has errors: the settings in use are kept", hacf.HbgoFile)
		return
	}
	n.mtimes[2] = at
	old := n.conf.Hbgo
	if old == nil {
		old = hacf.DefaultHbgo()
	}
	watched := !n.o.NoResources
	for _, w := range restartOnly(old, c.Hbgo) {
		if !watched && strings.HasPrefix(w, "vip_watch ") {
			continue // under -M it watches nothing either way: told with the watch settings below
		}
		n.log.Warnf("hbgo: %s: %s; the old value stays in use until heartbeat restarts (systemctl restart heartbeat)", hacf.HbgoFile, w)
	}
	w := c.Hbgo.Watch
	if watched {
		w.VIPWatch = old.Watch.VIPWatch
	}
	changes := watchChanges(old.Watch, w, watched)
	if len(changes) == 0 {
		return
	}
	h := *old
	h.Watch = w
	n.conf.Hbgo = &h
	for _, l := range changes {
		if !watched {
			l += noResourcesNote
		}
		n.log.Infof("hbgo: %s: %s", hacf.HbgoFile, l)
	}
	if n.m != nil && watched {
		n.monApply(w)
	}
}

// noResourcesNote ends a watch-settings line of a reload under -M.
const noResourcesNote = "; not in effect: heartbeat -M runs no resources, so nothing is watched"

// restartOnly names the hbgo.cf settings that differ between old and nw
// and only a restart applies.
func restartOnly(old, nw *hacf.HbgoConfig) []string {
	var out []string
	if old.Watch.VIPWatch != nw.Watch.VIPWatch {
		out = append(out, fmt.Sprintf("vip_watch %s needs a restart to take effect (vip_watch %s stays in effect)", onOff(nw.Watch.VIPWatch), onOff(old.Watch.VIPWatch)))
	}
	for _, d := range []struct {
		name     string
		old, new any
	}{
		{"agent", old.Agents, nw.Agents},
		{"resource_timeout", old.Timeouts, nw.Timeouts},
		{"reboot_command", old.RebootCommand, nw.RebootCommand},
		{"journal", old.Journal, nw.Journal},
		{"journal_size", old.JournalSize, nw.JournalSize},
		{"control_socket", old.ControlSocket, nw.ControlSocket},
		{"fast_start", old.FastStart, nw.FastStart},
		{"stop_retries", old.StopRetries, nw.StopRetries},
		{"logformat", old.LogFormat, nw.LogFormat},
		{"metrics_textfile", old.MetricsTextfile, nw.MetricsTextfile},
		{"metrics_listen", old.MetricsListen, nw.MetricsListen},
		{"metrics_listen_any", old.MetricsListenAny, nw.MetricsListenAny},
		{"lazy_read", old.LazyRead, nw.LazyRead},
	} {
		if !reflect.DeepEqual(d.old, d.new) {
			out = append(out, d.name+" changed and needs a restart to take effect")
		}
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// watchChanges describes, one line each, how the watch settings nw differ
// from old; watched: a monitor may run (not -M), so a removed line's
// consequence is told.
func watchChanges(old, nw hacf.Watch, watched bool) []string {
	var out []string
	if old.VIPWatch != nw.VIPWatch { // only under -M: else a restart-only setting
		out = append(out, fmt.Sprintf("vip_watch is now %s (was %s)", onOff(nw.VIPWatch), onOff(old.VIPWatch)))
	}
	if old.FailoverThreshold != nw.FailoverThreshold {
		out = append(out, fmt.Sprintf("failover_threshold is now %d (was %d)", nw.FailoverThreshold, old.FailoverThreshold))
	}
	if old.FailureWindow != nw.FailureWindow {
		out = append(out, fmt.Sprintf("failure_window is now %s (was %s)", nw.FailureWindow, old.FailureWindow))
	}
	was, now := map[string]hacf.Monitor{}, map[string]hacf.Monitor{}
	var targets []string
	for _, m := range old.Monitors {
		was[m.Target] = m
		targets = append(targets, m.Target)
	}
	for _, m := range nw.Monitors {
		now[m.Target] = m
		if _, ok := was[m.Target]; !ok {
			targets = append(targets, m.Target)
		}
	}
	sort.Strings(targets)
	for _, t := range targets {
		o, had := was[t]
		m, has := now[t]
		desc := fmt.Sprintf("(interval %s, timeout %s, on-fail %s)", m.Interval, m.Timeout, m.OnFail)
		switch {
		case !has && watched:
			out = append(out, "monitor "+t+" removed: a failure of it is only logged now")
		case !has:
			out = append(out, "monitor "+t+" removed")
		case !had:
			out = append(out, "monitor "+t+" added "+desc)
		case o.Interval != m.Interval || o.Timeout != m.Timeout || o.OnFail != m.OnFail:
			out = append(out, "monitor "+t+" changed "+desc)
		}
	}
	return out
}

// monApply puts new watch settings into effect: the machine's on-fail,
// threshold and window, and the polls and mount watches of the groups this
// node holds. VIP watches are left as they are (vip_watch does not change
// at run time). With no monitor running yet, it starts one if w asks for it.
func (n *node) monApply(w hacf.Watch) {
	s := n.mon
	if s == nil {
		if n.monCtx != nil {
			if cfg := n.startMonitor(n.monCtx); cfg != nil {
				n.step(hbnode.WatchSettings{Config: *cfg, At: n.now()})
			}
		}
		return
	}
	for key, g := range s.groups {
		if s.held[key] {
			n.monUnpoll(g)
		}
	}
	cfg, _, _, mountsWanted := monitorPlan(n.groups(), w)
	cfg.Threshold, cfg.Window = w.FailoverThreshold, w.FailureWindow
	n.step(hbnode.WatchSettings{Config: cfg, At: n.now()})
	s.w = w
	if mountsWanted && s.mounts == nil {
		s.mounts = &watch.Mounts{Events: s.events}
		ready := make(chan struct{})
		go func() {
			if err := s.mounts.Run(s.ctx, ready); err != nil && s.ctx.Err() == nil {
				n.monLaterLog(fmt.Errorf("%w; unmounts are no longer seen", err))
			}
		}()
		select { // the mount table read before the watches below
		case <-ready:
		case <-time.After(time.Second):
		}
	}
	for key, g := range s.groups {
		if s.held[key] {
			n.monRepoll(g)
		}
	}
}

// nativeVIP reports whether the VIP watch, not a poll, watches r.
func (n *node) nativeVIP(r haresources.Resource) bool {
	if !isIP(r) || n.mon.vips == nil {
		return false
	}
	b, err := n.exec.Bind(r)
	if err != nil {
		return false
	}
	_, ok := agent.Native(b.Agent).(*ipaddr.Agent)
	return ok
}

// monUnpoll stops the polls and mount watches of g (not its VIP watches).
func (n *node) monUnpoll(g haresources.Group) {
	s := n.mon
	for _, r := range g.Resources {
		if n.nativeVIP(r) {
			continue
		}
		s.poll.Release(r.Token)
		if s.mounts != nil && r.Name == "Filesystem" && len(r.Args) >= 2 {
			s.mounts.Release(mountPoint(r.Args[1]))
		}
	}
}

// monRepoll starts the polls and mount watches of g as s.w now says, as
// monWatch does for a group that was just started.
func (n *node) monRepoll(g haresources.Group) {
	s := n.mon
	for _, r := range g.Resources {
		mon, monitored := s.w.MonitorFor(r.Token, r.Name)
		if !monitored || n.nativeVIP(r) {
			continue
		}
		b, err := n.exec.Bind(r)
		if err != nil {
			continue
		}
		if r.Name == "Filesystem" && s.mounts != nil && len(r.Args) >= 2 {
			if _, isScript := b.Agent.(*script.Script); !isScript {
				s.mounts.Hold(r.Token, mountPoint(r.Args[1]))
				continue
			}
		}
		s.poll.Hold(s.ctx, r.Token, mon.Interval, mon.Timeout, checkFor(b))
	}
}
