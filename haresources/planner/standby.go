package planner

import (
	"slices"
	"strings"
	"time"
)

// askForResources is stock's ask_for_resources: the standby sub-protocol (PROTOCOL §11.5).
func (p *Planner) askForResources(m AskResources, from string, fromMe bool) {
	if !p.nice {
		p.logf(Info, "Standby mode only implemented when nice_failback on")
		return
	}
	if p.local.state == stShutdown {
		return
	}
	info := m.Info
	rtype, good := ParseHold(m.Set)
	if !good {
		p.logf(Error, "encode_resources: bad resource type [%s]", m.Set)
	}
	if m.NoInfo || from == "" {
		p.logf(Error, "Received standby message without info/from")
		return
	}
	if !p.standby.deadline.IsZero() && p.now.Before(p.standby.deadline) && strings.EqualFold(info, "me") {
		left := (p.standby.deadline.Sub(p.now) + time.Second - time.Nanosecond) / time.Second
		// Stock's line, catalogued in hblog (which the planner may not import):
		// hblog's TestPlannerLinesMatchCatalogue keeps the two spellings equal.
		p.logf(Warn, "Standby in progress- new request from %s ignored [%d seconds left]", from, left)
		return
	}
	orig := p.standby.state
	var ignored bool
	switch p.standby.state {
	case sbNot:
		ignored = p.standbyInNot(info, from, rtype, fromMe)
	case sbMe:
		ignored = p.standbyInMe(info, from, rtype, fromMe)
	case sbOther:
		ignored = p.standbyInOther(info, from, rtype, fromMe)
	case sbDone:
		ignored = p.standbyInDone(info, rtype, fromMe)
	}
	if ignored {
		p.logf(Error, "Ignored standby message '%s' from %s in state %d", info, from, orig)
	}
}

// standbyInNot takes a standby message with no standby running (PROTOCOL §11.5, NOT); it reports whether the message is ignored as out of place.
func (p *Planner) standbyInNot(info, from string, rtype Hold, fromMe bool) bool {
	if !p.peer.stable {
		p.logf(Warn, "standby message [%s] from %s ignored.  Other side is in flux.", info, from)
		return false
	}
	if p.local.state != stStable {
		p.logf(Warn, "standby message [%s] from %s ignored.  local resources in flux.", info, from)
		return false
	}
	p.standby.set = rtype
	if !strings.EqualFold(info, "me") {
		return true
	}
	if bs := p.blockedIn(p.groupsOf(mirror(rtype))); !fromMe && len(bs) > 0 {
		// departure (f): no answer; the peer keeps its groups and its
		// request times out (StandbyReplyTimeout).
		p.refuseBlocked(from+"'s standby ["+rtype.String()+"]", bs)
		return false
	}
	p.peer.stable = false
	p.logf(Info, "%s wants to go standby [%s]", from, rtype)
	if fromMe {
		p.standby.deadline = p.now.Add(StandbyReplyTimeout)
		p.standby.state = sbMe
	} else {
		p.standby.state = sbOther
		p.sendStandby("other")
		p.standby.deadline = p.now.Add(StandbyOpTimeout)
	}
	return false
}

// standbyInMe takes a standby message while this node is the one going standby (PROTOCOL §11.5, ME); it reports whether the message is ignored.
func (p *Planner) standbyInMe(info, from string, rtype Hold, fromMe bool) bool {
	switch {
	case !fromMe:
		p.standby.set = rtype
		p.standby.deadline = p.now.Add(StandbyOpTimeout)
		if !strings.EqualFold(info, "other") {
			return true
		}
		p.logf(Info, "standby: %s can take our %s resources", from, rtype)
		p.goStandby(sbMe, rtype)
	case strings.EqualFold(info, "done"):
		p.logf(Info, "Local standby process completed [%s].", rtype)
		p.standby.state = sbDone
		p.local.hold &^= p.standby.set
		p.standby.deadline = p.now.Add(StandbyOpTimeout)
	default:
		return true
	}
	return false
}

// standbyInOther takes a standby message while the peer is the one going standby (PROTOCOL §11.5, OTHER); it reports whether the message is ignored.
func (p *Planner) standbyInOther(info, from string, rtype Hold, fromMe bool) bool {
	p.standby.set = rtype
	if !strings.EqualFold(info, "done") {
		return !fromMe || !strings.EqualFold(info, "other")
	}
	p.standby.deadline = p.now.Add(StandbyOpTimeout)
	if fromMe {
		return true
	}
	p.logf(Info, "standby: acquire [%s] resources from %s", rtype, from)
	p.goStandby(sbOther, p.standby.set)
	p.standby.state = sbDone
	return false
}

// standbyInDone takes the final `done` of a standby (PROTOCOL §11.5, DONE); it reports whether the message is ignored.
func (p *Planner) standbyInDone(info string, rtype Hold, fromMe bool) bool {
	p.standby.set = rtype
	if info != "done" {
		return true
	}
	p.standby.deadline = time.Time{}
	p.standby.state = sbNot
	if fromMe {
		p.logf(Info, "Standby resource acquisition done [%s].", rtype)
		if p.auto {
			p.initial.localDone = true
			p.announce("auto_failback")
		}
		p.local.hold |= mirror(rtype)
	} else {
		p.logf(Info, "Other node completed standby takeover of %s resources.", rtype)
	}
	p.sendHeld(true, "")
	return false
}

// goStandby is stock's go_standby: give up (ME) or acquire (OTHER) a set.
// Acquiring, the op leaves out the groups in except (mach_down's, which it
// takes right after) and those an op under way is starting (departure g):
// on the peer's shutdone stock's set names what its req_our_resources and
// mach_down children take at the same moment (PROTOCOL §11.7), and each
// such group was started twice (harmless, the status check comes first,
// but two starts in the log). The messages are stock's, in stock's order:
// they follow the op's end, which keeps its turn (Op.InTurn) even when no
// group is left to it.
func (p *Planner) goStandby(who sbState, set Hold, except ...string) {
	kind := Take
	if who == sbMe {
		p.peer.stable = false
		p.local.hold &^= set
		p.sendHeld(false, "standby")
		kind = Give
	}
	act := set
	if who != sbMe {
		act = mirror(set)
	}
	if act == None {
		p.logf(Error, "no resources to %s", map[OpKind]string{Take: "acquire", Give: "give up"}[kind])
		return
	}
	keys := p.groupsOf(act)
	verb := "acquire"
	if kind == Give {
		verb = "give up"
	} else {
		keys = p.dropFailed(keys, true)
	}
	p.childf("go_standby", Info, "%s %s HA resources (standby).", verb, act)
	inTurn := false
	if kind == Take {
		n := len(keys)
		keys = p.notBeingTaken(keys, except)
		inTurn = len(keys) < n
	}
	p.emitOp(&opInfo{kind: kind, groups: keys, why: "standby", act: act, standby: p.standby.set, inTurn: inTurn})
}

// onStandbyCmd is the hb_standby command: log and inject ask_resources (COMPAT §7.1).
func (p *Planner) onStandbyCmd(set string) {
	w := set
	if w == "failback" || w == "" {
		if w == "" {
			w = "all"
		} else {
			w = "foreign"
		}
	}
	if _, ok := ParseHold(w); !ok || w == "none" {
		p.logf(Error, "hbgo: hb_standby: wrong resources(%s); use all, local, foreign or failback", set)
		return
	}
	p.script("hb_standby", "Going standby [%s].", w)
	p.send(AskResources{Set: w, Info: "me"})
}

// onTakeoverCmd is the local hb_takeover command (COMPAT §7.2).
func (p *Planner) onTakeoverCmd(set string) {
	if set == "" {
		set = "all"
	}
	switch set {
	case "all", "local", "foreign", "failback":
	default:
		p.logf(Error, "hbgo: hb_takeover: wrong resources(%s); use all, local, foreign or failback", set)
		return
	}
	if bs := p.blockedIn(p.takeoverSet(set)); len(bs) > 0 {
		p.refuseBlocked("hb_takeover "+set, bs) // departure (f)
		return
	}
	// hbgo departure (b): an admin's hb_takeover clears the start-failure memory.
	if ks := p.FailedHere(); len(ks) > 0 {
		p.logf(Info, "hbgo: hb_takeover: forgetting earlier start failures of %s; they may be started here again", strings.Join(ks, " "))
		clear(p.groups.failed)
	}
	p.send(HbTakeover{Set: set})
}

// onPeerTakeover is rc.d/hb_takeover on the receiving node: hb_standby with the mirrored set.
func (p *Planner) onPeerTakeover(m HbTakeover, from string) {
	var w string
	switch m.Set {
	case "local":
		w = "foreign"
	case "foreign":
		w = "local"
	case "failback":
		// COMPAT §7.2: stock's rc.d/hb_takeover passes no argument for failback.
		p.logf(Warn, "hbgo: hb_takeover failback from %s runs hb_standby without argument here, i.e. all, as stock does: all resources go to %s, not only its own", from, from)
		w = "all"
	default:
		w = "all"
	}
	p.onStandbyCmd(w)
}

// notBeingTaken returns the keys but those in except and those an op
// under way starts and no op under way stops (a stop queued after it would
// leave the group on no node: then it is taken again), each left out with
// a debug line.
func (p *Planner) notBeingTaken(keys, except []string) []string {
	out := keys[:0:0]
	for _, k := range keys {
		if slices.Contains(except, k) {
			p.logf(Debug, "hbgo: standby acquisition leaves resource group %s to mach_down", k)
			continue
		}
		taking, giving := false, false
		for _, op := range p.exec.ops {
			if slices.Contains(op.groups, k) {
				taking = taking || op.kind == Take
				giving = giving || op.kind == Give
			}
		}
		if taking && !giving {
			p.logf(Debug, "hbgo: standby acquisition leaves resource group %s to the op already starting it", k)
			continue
		}
		out = append(out, k)
	}
	return out
}
