package planner

import "time"

func (p *Planner) onCommUp() {
	if p.commUp {
		return
	}
	if p.startup.op != 0 {
		// hbgo departure (c): never join while holding what the peer may take.
		p.startup.deferredUp = true
		p.logf(Info, "hbgo: joining delayed until the resource groups found running at start are stopped")
		return
	}
	p.commUp = true
	// Our own status change to active runs rc.d/status through harc (COMPAT §5.9).
	p.script("harc", "info: Running /etc/ha.d//rc.d/status status")
	if p.peer.status != "dead" {
		p.initial.foreignDone = true // no dead node: nobody else's resources to acquire
	}
	if p.nice {
		p.send(Starting{})
		p.local.state = stStarting
		if p.cfg.Peer == "" {
			p.alone()
		}
	} else if !p.startup.restarting {
		// Stock's comm up skips req_our_resources when WeAreRestarting.
		p.reqOurResources(false)
	}
	if p.shutdown.atUp {
		p.shutdown.atUp = false
		p.onShutdown()
	}
}

// alone is hbgo departure (e): with no other node in ha.cf no peer will
// ever answer "starting", so stock's nice_failback would wait in STARTING
// for good, never acquiring its groups, and its shutdown would wait for a
// stable peer that never comes. Take the path a stable peer holding
// nothing would open: acquire our groups and become stable.
func (p *Planner) alone() {
	p.logf(Info, "hbgo: no other node in ha.cf: acquiring our resources without waiting for a peer")
	p.peer.stable = true
	p.peer.holds = None
	p.initial.foreignDone = true
	p.reqOurResources(false)
	p.local.state = stStable
	p.sendHeld(true, "")
}

func (p *Planner) onPeerStatus(ev PeerStatus) {
	if ev.Node != p.cfg.Peer || ev.Status == p.peer.status {
		return
	}
	p.peer.status = ev.Status
	if ev.Status == "dead" {
		p.recoverDead(ev.Node)
		return
	}
	p.peer.heard = true
	// Every status change runs rc.d/status through harc (COMPAT §5.9).
	p.script("harc", "info: Running /etc/ha.d//rc.d/status status")
}

func (p *Planner) onMsg(m Message, from string) {
	if m == nil {
		return
	}
	t := m.Type()
	fromMe := from == p.cfg.Us
	switch from {
	case p.cfg.Peer:
		p.peer.heard = true
	case p.cfg.Us:
	default:
		// Membership rejects unknown senders; never act for a third node.
		p.logf(Error, "hbgo: %s message from unknown node [%s] ignored", t, from)
		return
	}
	if _, ok := m.(Shutdone); ok {
		p.onShutdone(from, fromMe)
		return
	}
	if !p.commUp {
		// PROTOCOL §8.2: resource handlers are registered at comm up.
		return
	}
	switch m := m.(type) {
	case Starting, Resource:
		p.processResources(m, fromMe)
	case AskResources:
		p.askForResources(m, from, fromMe)
	case IPRequest:
		if fromMe {
			break
		}
		if p.peer.status == "dead" {
			// hbgo: stock gives a group away on any ip-request (PROTOCOL
			// §7.9), one replayed after mach_down took it too, leaving the
			// VIP on no node. A dead peer asks for nothing.
			p.logf(Warn, "hbgo: ip-request for %s from %s, which is dead, ignored", m.Key, from)
			break
		}
		p.onIPRequest(m, from)
	case IPRequestResp:
		p.onIPRequestResp(m)
	case HbTakeover:
		// harc runs rc.d/hb_takeover on both nodes; the script ignores
		// its own node's request (COMPAT §7.2).
		p.script("harc", "info: Running /etc/ha.d//rc.d/hb_takeover hb_takeover")
		if !fromMe {
			p.onPeerTakeover(m, from)
		}
	}
}

// processResources is stock's process_resources for starting and resource (PROTOCOL §11.3).
func (p *Planner) processResources(m Message, fromMe bool) {
	if !p.nice {
		return
	}
	if p.startup.restarting {
		// hb_resource.c process_resources: first_time && WeAreRestarting
		// makes the restarted node stable at once, keeping -C's set.
		p.startup.restarting = false
		p.local.state = stStable
	}
	newState := p.local.state
	fastStart := false
	switch m := m.(type) {
	case Starting:
		if !fromMe {
			var ok bool
			if newState, ok = p.peerStarting(); !ok {
				return
			}
		}
	case Resource:
		var ok bool
		if newState, fastStart, ok = p.resourceMsg(m, fromMe); !ok {
			return
		}
	}
	p.local.state = newState
	p.armRqstDelay(fastStart)
	p.audit()
}

// peerStarting answers the peer's `starting` (PROTOCOL §11.3); it returns the next state, or false when the message is refused.
func (p *Planner) peerStarting() (rstate, bool) {
	newState := p.local.state
	switch p.local.state {
	case stRscRcvd, stStable, stShutdown:
	case stStarting:
		newState = stBothStarting
		p.initial.foreignDone = true
		p.announce("HB_R_BOTHSTARTING")
	default:
		p.logf(Error, "Received 'starting' message in state %d", p.local.state)
		return newState, false
	}
	p.peer.stable = false
	if p.takeover.inProgress {
		p.logf(Warn, "T_STARTING received during takeover.")
	}
	p.sendHeld(p.local.state == stStable, "")
	return newState, true
}

// resourceMsg takes a `resource` message from either side (PROTOCOL §11.3); it returns the next state, whether fast_start may end RQSTDELAY, and false when the message is refused.
func (p *Planner) resourceMsg(m Resource, fromMe bool) (rstate, bool, bool) {
	newState := p.local.state
	if m.NoSet {
		p.logf(Error, "resource message without rsc_hold field.")
		return newState, false, false
	}
	n, ok := ParseHold(m.Set)
	if !ok {
		p.logf(Error, "encode_resources: bad resource type [%s]", m.Set)
	}
	full := m.Full
	switch p.local.state {
	case stBothStarting, stStarting:
		newState = stRscRcvd
		if !p.auto {
			p.initial.foreignDone = true
			p.announce("T_RESOURCES")
		}
	case stRscRcvd, stStable, stShutdown:
	default:
		p.logf(Error, "resource message received in state %d", p.local.state)
		return newState, false, false
	}
	if !fromMe {
		return p.peerResource(m, n, full, newState), full && p.cfg.FastStart, true
	}
	return p.ownResource(m, n, full, newState), false, true
}

// peerResource takes the peer's holding and stability from its `resource` message n (PROTOCOL §11.2, §11.3) and returns the next state.
func (p *Planner) peerResource(m Resource, n Hold, full bool, newState rstate) rstate {
	p.peer.holds = update(full, p.peer.holds, n)
	if m.Stable != StableUnsaid {
		if m.Stable == StableYes {
			if !p.peer.stable {
				p.logf(Info, "remote resource transition completed.")
				p.peer.stable = true
				p.sendHeld(p.local.state == stStable, "")
				p.performAutoFailback()
			}
		} else {
			p.peer.stable = false
		}
	}
	if p.local.state != stStable && p.local.state != stShutdown && p.peer.stable {
		p.logf(Info, "remote resource transition completed.")
		p.reqOurResources(false)
		newState = stStable
		p.sendHeld(true, "")
		// Stock still sees the old resourcestate here, so this
		// attempt is delayed and retried after 1 s.
		p.performAutoFailback()
		p.initial.foreignDone = true
		if !p.auto && p.peer.holds&Foreign != 0 {
			p.initial.localDone = true
		}
		p.announce("T_RESOURCES(them)")
	}
	return newState
}

// ownResource takes the loopback copy n of this node's own `resource` message: its holding, and the end of the child that sent it (PROTOCOL §11.3, §11.4).
func (p *Planner) ownResource(m Resource, n Hold, full bool, newState rstate) rstate {
	p.local.hold = update(full, p.local.hold, n)
	if p.local.hold&Local != 0 {
		p.initial.localDone = true
		p.announce("T_RESOURCES(us)")
	}
	switch m.Info {
	case "req_our_resources()":
		if p.exec.reqKids > 0 {
			p.exec.reqKids--
		}
	case "mach_down":
		p.logf(Info, "mach_down takeover complete.")
		p.takeover.inProgress = false
		p.local.hold |= Foreign
		p.failback.owed = true
		p.peer.stable = true
		p.initial.foreignDone = true
		p.announce("mach_down")
	case "shutdown":
		newState = stShutdown
	}
	return newState
}

// armRqstDelay starts the RQSTDELAY wait on entering RSCRCVD (PROTOCOL §10.4); fastStart ends it at once.
func (p *Planner) armRqstDelay(fastStart bool) {
	if p.local.state == stRscRcvd && p.local.takeAt.IsZero() {
		p.local.takeAt = p.now.Add(RqstDelay)
	}
	if fastStart && p.local.state == stRscRcvd {
		// hbgo departure (d): the peer's state is known, no need to wait.
		p.logf(Info, "hbgo: fast_start: %s's resource state is known; not waiting RQSTDELAY (10 s)", p.cfg.Peer)
		p.local.takeAt = p.now
		p.checkRqstDelay()
	}
}

// update is stock's HB_UPD_RSC rule (PROTOCOL §11.2).
func update(full bool, cur, n Hold) Hold {
	if full || n == None {
		return n
	}
	return n | cur
}

func (p *Planner) checkRqstDelay() {
	if p.local.state != stRscRcvd || p.local.takeAt.IsZero() || p.now.Before(p.local.takeAt) {
		return
	}
	p.logf(Info, "local resource transition completed.")
	p.reqOurResources(false)
	p.local.state = stStable
	p.sendHeld(true, "")
}

// audit is stock's AuditResources (COMPAT §8.5 audit lines).
func (p *Planner) audit() {
	if !p.nice {
		return
	}
	if p.local.hold&Local != 0 && p.peer.holds&Foreign != 0 {
		p.logf(Error, "Both machines own our resources!")
	}
	if p.peer.holds&Local != 0 && p.local.hold&Foreign != 0 {
		p.logf(Error, "Both machines own foreign resources!")
	}
	if p.isStable() && !p.shutdown.inProgress && p.local.state != stShutdown {
		if p.local.hold&Local == 0 && p.peer.holds&Foreign == 0 {
			p.logf(Error, "No one owns our local resources!")
		}
		if p.peer.holds&Local == 0 && p.local.hold&Foreign == 0 && p.cfg.Peer != "" {
			p.logf(Error, "No one owns foreign resources!")
		}
	}
}

// reqOurResources is stock's req_our_resources. Stock forks a child that
// sends ip-request-resp (or ip-request) per local key and then its resource
// message; here the child is an Op taking the keys it grants itself, and
// its messages go out when the Op is done (the child is slow in stock too:
// the captures show the peer's answers overtaking it).
func (p *Planner) reqOurResources(anyway bool) {
	if p.shutdown.inProgress {
		return
	}
	if p.nice {
		if (p.peer.holds&Foreign != 0 || p.local.hold&Local != 0) && !anyway && p.standby.state == sbNot {
			p.logf(Info, "Local Resource acquisition completed. (none)")
			return
		}
		p.local.hold |= Local
	}
	dontAsk := p.peer.status != "active" // upcount < 2 (we count as active)
	parent := p.out
	p.out = nil
	local := p.groupsOf(Local)
	var take, skipped []string
	for _, k := range local {
		if p.groups.held[k] || p.groups.pending[k] > 0 {
			continue // req_resource: already running
		}
		if p.groups.failed[k] {
			p.dropFailed([]string{k}, false)
			continue
		}
		if p.groups.blocked[k] && !anyway && p.peer.status == "active" {
			skipped = append(skipped, k) // departure (f)
			continue
		}
		if p.nice || dontAsk {
			p.send(IPRequestResp{Dest: p.cfg.Us, Key: k, WeOwn: "yes", OK: true})
			take = append(take, k)
		} else {
			p.send(IPRequest{Key: k})
		}
	}
	if len(local) == 0 {
		p.childf("req_our_resources", Info, "No local resources [%s listkeys %s] to acquire.", rscMgr, p.cfg.Us)
	} else {
		p.childf("req_our_resources", Info, "Local Resource acquisition completed.")
	}
	if p.nice {
		// The child's message carries i_hold as it was at the fork.
		p.sendHeld(true, "req_our_resources()")
	}
	kid := p.out
	p.out = parent
	p.skippedBlocked(skipped)
	// Only the child named "req_our_resources" (nobody else active) announces.
	p.emitOp(&opInfo{kind: Take, groups: take, why: "req_our_resources", kidOut: kid, announce: dontAsk})
}

func (p *Planner) performAutoFailback() {
	if p.shutdown.inProgress || p.local.hold&Foreign == 0 || !p.failback.owed || !p.auto {
		p.failback.owed = false
		return
	}
	if p.standby.state != sbNot || !p.peer.stable || p.local.state != stStable {
		p.failback.retryAt = p.now.Add(AutoFailbackRetry)
		return
	}
	p.failback.retryAt = time.Time{}
	p.standby.set = Foreign
	p.sendStandby("me")
	p.failback.owed = false
}
