package planner

import (
	"slices"
	"strings"
	"time"
)

// onShutdone handles t=shutdone (PROTOCOL §7.5, §11.7). Stock's
// process_resources starts a standby-style acquisition child before the
// takeover, and req_our_resources' child beats it to the wire while
// mach_down waits behind both; the Ops are ordered to give that sequence.
func (p *Planner) onShutdone(from string, fromMe bool) {
	nice := p.commUp && p.nice
	if fromMe {
		if nice {
			p.local.state = stShutdown
			p.local.hold = None
			p.audit()
		}
		return
	}
	if from != p.cfg.Peer {
		return
	}
	acquire := None
	if nice {
		p.peer.stable = true
		p.peer.holds = None
		if p.local.hold != All && !p.shutdown.inProgress {
			switch p.local.hold {
			case Foreign:
				acquire = Local
			case Local:
				acquire = Foreign
			default:
				acquire = All
			}
			p.standby.state = sbDone // "Take over resources immediately"
		}
		p.audit()
	}
	p.peer.hasRsc = false
	p.peer.stable = false
	p.peer.holds = None
	p.logf(Info, "Received shutdown notice from '%s'.", from)
	if p.shutdown.inProgress {
		p.logf(Info, "Resource takeover cancelled - shutdown in progress.")
		return
	}
	p.logf(Info, "Resources being acquired from %s.", from)
	p.takeoverState()
	p.reqOurResources(true)
	if acquire != None {
		// Stock's set re-acquires what we hold or take right now (PROTOCOL
		// §11.7); the op starts only the rest (goStandby), so each group
		// starts once: req_our_resources' and mach_down's are theirs.
		p.goStandby(sbOther, acquire, p.groupsOfNode(from)...)
	}
	p.machDown(from)
}

// recoverDead is stock's hb_rsc_recover_dead_resources (PROTOCOL §11.4).
func (p *Planner) recoverDead(node string) {
	if p.standby.state != sbNot {
		p.logf(Info, "Cancelling pending standby operation")
		p.standby.state = sbNot
		p.standby.deadline = time.Time{}
		if !p.peer.stable && p.local.hold == All {
			p.peer.stable = true
		}
	}
	if p.shutdown.inProgress {
		if p.local.state != stStable && p.local.state != stShutdown {
			p.logf(Error, "recover_dead_resources() during shutdown: state %d", p.local.state)
		}
		return
	}
	p.failback.owed = true
	needStonith := true
	if p.peer.heard {
		if p.nice {
			needStonith = p.peer.holds != None
		} else {
			needStonith = p.peer.hasRsc
		}
	}
	if needStonith {
		if p.cfg.Stonith {
			p.takeover.stonithNode = node
			p.emit(Stonith{node})
			return
		}
		p.send(StonithResult{Node: node, Result: "n_stnth"})
		p.logf(Warn, "No STONITH device configured.")
		p.logf(Warn, "Shared disks are not protected.")
		p.takeoverFrom(node)
		return
	}
	p.logf(Info, "Dead node %s gave up resources.", node)
	p.send(StonithResult{Node: node, Result: "unneeded"})
	if !p.nice {
		p.takeoverFrom(node)
		return
	}
	if p.local.hold == All {
		p.peer.stable = true
		return
	}
	if p.local.hold&Local == 0 {
		p.reqOurResources(true)
	}
	if p.local.hold&Foreign == 0 {
		p.takeoverFrom(node)
	}
}

func (p *Planner) onStonithDone(ev StonithDone) {
	if ev.Node != p.takeover.stonithNode {
		return
	}
	p.send(StonithResult{Node: ev.Node, Result: ev.Result})
	if ev.Result == "OK" {
		p.takeover.stonithNode = ""
		p.logf(Info, "node %s now reset.", ev.Node)
		p.takeoverFrom(ev.Node)
		return
	}
	if ev.Result != "badhost" {
		// stock's reset child logs "Device <dev> cannot reset host <n>."
		// instead for S_BADHOST (hb_resource.c Initiate_Reset); the
		// STONITH runner logs that line.
		p.logf(Error, "Host %s not reset!", ev.Node)
	}
	p.logf(Error, "STONITH of %s failed.  Retrying...", ev.Node)
	p.takeover.stonithRetryAt = p.now.Add(StonithRetry)
}

// takeoverFrom is stock's takeover_from_node: our own groups, then mach_down.
func (p *Planner) takeoverFrom(node string) {
	if p.shutdown.inProgress {
		p.logf(Info, "Resource takeover cancelled - shutdown in progress.")
		return
	}
	p.logf(Info, "Resources being acquired from %s.", node)
	p.takeoverState()
	// The peer's status change to dead runs rc.d/status at once, before
	// takeover_from_node forks its req_our_resources child (the captured
	// logs: harc's pid is the lower, its line comes first).
	p.script("harc", "info: Running /etc/ha.d//rc.d/status status")
	p.reqOurResources(true)
	p.machDownTake(node)
}

// takeoverState notes that mach_down is out acquiring the peer's groups.
func (p *Planner) takeoverState() {
	if p.nice {
		p.local.hold |= Foreign
		p.peer.holds = None
		p.peer.stable = true
		p.takeover.inProgress = true
	}
	p.peer.heard = true
}

// machDown queues rc.d/status with st=dead, i.e. mach_down: it takes every
// group of node and waits its turn behind the resource work already
// ordered, even with nothing to take (stock's queued harc job).
func (p *Planner) machDown(node string) {
	p.script("harc", "info: Running /etc/ha.d//rc.d/status status")
	p.machDownTake(node)
}

// machDownTake is mach_down's own work, after harc has started it.
func (p *Planner) machDownTake(node string) {
	keys := p.dropFailed(p.groupsOfNode(node), false)
	for _, k := range keys {
		p.script("mach_down", "info: Taking over resource group %s", k)
	}
	p.emitOp(&opInfo{kind: Take, groups: keys, why: "mach_down", node: node})
}

// onShutdown starts a graceful stop; before comm up it waits for it (COMPAT §5.7).
func (p *Planner) onShutdown() {
	if !p.commUp {
		if !p.shutdown.atUp {
			p.logf(Warn, "Shutdown delayed until Communication is up.")
			p.shutdown.atUp = true
		}
		return
	}
	p.shutdown.inProgress = true
	p.giveup(false)
}

// giveup is stock's hb_giveup_resources (PROTOCOL §11.7); force skips the quiescence test (healed partition).
func (p *Planner) giveup(force bool) {
	if !force && !p.isStable() {
		if !p.shutdown.needed {
			p.logf(Warn, "Shutdown delayed until current resource activity finishes.")
			p.shutdown.needed = true
		}
		return
	}
	p.shutdown.needed = false
	p.shutdown.inProgress = true
	if p.shutdown.giveupStarted {
		p.logf(Info, "Heartbeat shutdown already underway.")
		return
	}
	p.shutdown.giveupStarted = true
	p.local.hold = None
	p.local.state = stShutdown
	p.sendHeld(false, "shutdown")
	p.childf("hb_giveup_resources", Info, "Giving up all HA resources.")
	var keys []string
	for _, g := range p.cfg.Groups {
		keys = append(keys, g.Key())
	}
	p.emitOp(&opInfo{kind: Give, groups: keys, why: "shutdown"})
}

func (p *Planner) onIPRequest(m IPRequest, from string) {
	p.script("harc", "info: Running /etc/ha.d//rc.d/ip-request ip-request")
	key := m.Key
	if p.groups.held[key] || p.groups.pending[key] > 0 {
		p.emitOp(&opInfo{kind: Give, groups: []string{key}, why: "ip-request", node: from})
		return
	}
	p.send(IPRequestResp{Dest: from, Key: key, WeOwn: "no", OK: true})
}

func (p *Planner) onIPRequestResp(m IPRequestResp) {
	if m.Dest != p.cfg.Us {
		// Stock's receive path drops messages addressed to another node.
		return
	}
	p.script("harc", "info: Running /etc/ha.d//rc.d/ip-request-resp ip-request-resp")
	if !m.OK {
		return
	}
	key := m.Key
	p.script("ip-request-resp", "received ip-request-resp %s OK %s", key, m.WeOwn)
	if _, known := p.byKey[key]; !known {
		p.logf(Error, "hbgo: ip-request-resp for unknown resource group %s ignored", key)
		return
	}
	if p.shutdown.inProgress {
		p.logf(Info, "hbgo: not starting resource group %s: shutdown in progress", key)
	} else if p.groups.failed[key] {
		p.dropFailed([]string{key}, false)
	} else if !p.groups.held[key] && p.groups.pending[key] == 0 {
		p.emitOp(&opInfo{kind: Take, groups: []string{key}, why: "ip-request-resp"})
		return
	}
	p.childExited("ip-request-resp")
}

// childExited is stock's RscMgmtProcessDied announce hook.
func (p *Planner) childExited(name string) {
	switch {
	case name == "req_our_resources" || name == "ip-request-resp":
		p.initial.localDone = true
		p.announce(name)
	case !p.nice && name == "status" && p.peer.status == "dead":
		p.initial.foreignDone = true
		p.announce(name)
	}
}

func (p *Planner) onTick(now time.Time) {
	if now.After(p.now) {
		p.now = now
	}
	p.checkRqstDelay()
	if !p.standby.deadline.IsZero() && !p.now.Before(p.standby.deadline) {
		p.standby.deadline = time.Time{}
		p.peer.stable = true
		p.standby.state = sbNot
		p.logf(Warn, "No reply to standby request.  Standby request cancelled.")
	}
	if !p.failback.retryAt.IsZero() && !p.now.Before(p.failback.retryAt) {
		p.failback.retryAt = time.Time{}
		p.performAutoFailback()
	}
	if !p.shutdown.partitionAt.IsZero() && !p.now.Before(p.shutdown.partitionAt) {
		p.shutdown.partitionAt = time.Time{}
		p.shutdown.restartAfter = true
		p.shutdown.inProgress = true
		p.giveup(true)
	}
	if !p.takeover.stonithRetryAt.IsZero() && !p.now.Before(p.takeover.stonithRetryAt) {
		p.takeover.stonithRetryAt = time.Time{}
		p.emit(Stonith{p.takeover.stonithNode})
	}
}

// onHeld is hbgo departure (c): stop what runs before joining.
func (p *Planner) onHeld(keys []string) {
	if p.commUp || p.startup.op != 0 {
		p.logf(Error, "hbgo: status scan reported after joining; ignored")
		return
	}
	set := map[string]bool{}
	for _, k := range keys {
		if _, ok := p.byKey[k]; ok {
			set[k] = true
		} else {
			p.logf(Warn, "hbgo: status scan reported unknown resource group %s; ignored", k)
		}
	}
	var running []string
	for _, g := range p.cfg.Groups {
		if set[g.Key()] {
			running = append(running, g.Key())
		}
	}
	if len(running) == 0 {
		return
	}
	// COMPAT §4.11: ResourceManager verifyallidle's texts.
	for _, k := range running {
		p.script("ResourceManager", "CRITICAL: Resource %s is active, and should not be!", k)
	}
	p.script("ResourceManager", "CRITICAL: Non-idle resources can affect data integrity!")
	p.script("ResourceManager", "info: If you don't know what this means, then get help!")
	p.script("ResourceManager", "info: Read the docs and/or source to %s for more details.", rscMgr)
	if p.nice {
		p.script("ResourceManager", "CRITICAL: Non-idle resources will affect resource takeback!")
	} else {
		p.script("ResourceManager", "CRITICAL: Non-idle resources may affect data integrity!")
	}
	slices.Reverse(running)
	p.logf(Warn, "hbgo: stopping resource groups found running before joining the cluster: %s", strings.Join(running, " "))
	for _, k := range running {
		p.groups.held[k] = true
	}
	p.startup.op = p.emitOp(&opInfo{kind: Give, groups: running, why: "held-at-start"})
}

func (p *Planner) onOpDone(ev OpDone) {
	info := p.exec.ops[ev.OpID]
	if info == nil {
		p.logf(Error, "hbgo: completion of unknown resource operation %d ignored", ev.OpID)
		return
	}
	delete(p.exec.ops, ev.OpID)
	for _, k := range info.groups {
		if p.groups.pending[k]--; p.groups.pending[k] <= 0 {
			delete(p.groups.pending, k)
		}
	}
	var failedKinds Hold
	for _, r := range ev.Results {
		g := p.byKey[r.Key]
		if g == nil {
			continue
		}
		switch r.Outcome {
		case Started:
			p.groups.held[r.Key] = true
		case Stopped:
			p.groups.held[r.Key] = false
		case StartFailed:
			p.groups.held[r.Key] = false
			p.groups.failed[r.Key] = true
			if p.isLocal[r.Key] {
				failedKinds |= Local
			} else {
				failedKinds |= Foreign
			}
			p.logf(Warn, "hbgo: resource group %s failed to start; it is not started here again until an admin runs hb_takeover", r.Key)
		case StopFailed:
			tok := r.Key
			if r.FailedAt >= 0 && r.FailedAt < len(g.Resources) {
				tok = g.Resources[r.FailedAt].Token
			}
			if r.StillRunning {
				// COMPAT §4.8: fencing by self-reboot protects shared disks.
				p.script("ResourceManager", "CRIT: Resource STOP failure. Reboot required!")
				p.script("ResourceManager", "CRIT: Killing heartbeat ungracefully!")
				p.emit(Fence{Key: r.Key, Token: tok})
				p.fenced = true
				return
			}
			p.script("ResourceManager", "ERROR: Resource script for %s probably not LSB-compliant.", tok)
			p.script("ResourceManager", "WARN: it (%s) MUST succeed on a stop when already stopped", tok)
			p.script("ResourceManager", "WARN: Machine reboot narrowly avoided!")
			p.groups.held[r.Key] = false
		}
	}
	if failedKinds != None {
		p.startFailed(failedKinds)
	}
	p.finishOp(info)
}

// startFailed is hbgo departure (a): hand over exactly the failed kind, now.
func (p *Planner) startFailed(kinds Hold) {
	if !p.nice || p.peer.status != "active" {
		p.logf(Crit, "hbgo: no peer can take over the failed resource groups (%s): they stay stopped", strings.Join(p.FailedHere(), " "))
		return
	}
	p.logf(Warn, "hbgo: handing our %s resources to %s now (stock waits 30 s and always hands over foreign)", kinds, p.cfg.Peer)
	p.groups.handOff |= kinds
}

// tryHandOff sends the pending start-failure standby once stock would accept it.
func (p *Planner) tryHandOff() {
	if p.groups.handOff == None {
		return
	}
	if !p.nice || p.shutdown.inProgress || p.peer.status == "dead" {
		p.groups.handOff = None
		return
	}
	if !p.commUp || p.peer.status != "active" || p.standby.state != sbNot || !p.standby.deadline.IsZero() ||
		p.local.state != stStable || !p.peer.stable || len(p.exec.ops) > 0 {
		return
	}
	w := p.groups.handOff
	p.groups.handOff = None
	p.script("hb_standby", "Going standby [%s].", w)
	p.send(AskResources{Set: w.String(), Info: "me"})
}

// finishOp runs what stock's child did after its last takegroup/givegroup.
func (p *Planner) finishOp(info *opInfo) {
	switch info.why {
	case "req_our_resources":
		for _, a := range info.kidOut {
			if s, ok := a.(Send); ok && isReqKidsLast(s.M) {
				// Stock counts the child as resource activity until it
				// exits; its last act is this message, whose loopback ends it.
				p.exec.reqKids++
			}
			p.emit(a)
		}
		if info.announce {
			p.initial.localDone = true
			p.announce("req_our_resources")
		}
	case "standby":
		what := "acquisition"
		if info.kind == Give {
			what = "release"
		}
		p.childf("go_standby", Info, "%s HA resource %s completed (standby).", info.act, what)
		p.send(AskResources{Set: info.standby.String(), Info: "done"})
	case "mach_down":
		if p.nice {
			p.script("mach_down", "info: %s: nice_failback: foreign resources acquired", "/usr/share/heartbeat/mach_down")
		}
		p.script("mach_down", "info: mach_down takeover complete for node %s.", info.node)
		if p.nice {
			p.send(Resource{Set: Foreign.String(), Info: "mach_down"})
		}
		p.childExited("status")
	case "shutdown":
		p.childf("hb_giveup_resources", Info, "All HA resources relinquished.")
		p.send(Shutdone{})
		if p.shutdown.restartAfter {
			p.emit(Restart{})
		} else {
			p.emit(ShutdownDone{})
		}
	case "ip-request":
		p.send(IPRequestResp{Dest: info.node, Key: info.groups[0], WeOwn: "yes", OK: true})
	case "ip-request-resp":
		p.childExited("ip-request-resp")
	case "held-at-start":
		p.startup.op = 0
		p.logf(Info, "hbgo: resource groups found running at start are stopped; joining the cluster")
		if p.startup.deferredUp {
			p.startup.deferredUp = false
			p.onCommUp()
		}
	}
}

// isReqKidsLast reports whether m is req_our_resources' final message, the resource message whose loopback ends the child.
func isReqKidsLast(m Message) bool {
	r, ok := m.(Resource)
	return ok && r.Info == "req_our_resources()"
}
