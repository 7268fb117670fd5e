package planner

import "strings"

// hbgo departure (f): the resource monitor (haresources/monitor) hands a
// group that keeps failing here to the peer and then blocks it (Block): this
// node does not take it back while the block lasts, so a group that fails on
// both nodes does not ping-pong. The block ends with `heartbeat cleanup
// [RESOURCE]` or when failure_window passes without a new failure (the
// monitor sends Block{On: false}); it survives a daemon restart (the monitor
// re-establishes it from the failure counts on disk before comm up).
//
// Where a take-back is refused:
//   - a standby request from the peer (its auto_failback, hb_standby,
//     ipfail, its own monitor's hand-over) whose set holds a blocked group:
//     not answered, so the peer keeps its groups (its request times out);
//   - our own groups at comm up or when the peer's state is first known
//     (req_our_resources): a blocked one is not started; if the peer does
//     not hold it already, it is handed to the peer by standby (as a start
//     failure is, departure a), never left on no node;
//   - a local hb_takeover whose set holds a blocked group: refused.
//
// Where it is not: the peer's death and the peer's graceful shutdown take
// the group over anyway. A group on no node is worse than one that may fail
// here; the monitor then restarts it here with backoff. The planner logs no
// line of its own for that take: the monitor's CRIT line (`group … is back
// on this node after its hand-over (the peer is dead): …`) is the one: it
// says what follows (restarts with backoff, no more hand-overs until
// heartbeat cleanup), and `heartbeat log` reads it.
//
// auto_failback legacy has no standby protocol, so the monitor cannot hand a
// group over there and a block would only leave a group on no node: with
// legacy a block is logged and ignored.

// Block says the resource monitor forbids (On) or allows again taking
// Group back on this node. HandOver: the block goes with the monitor's
// hand-over of the group, which begins (On) or failed, the group still
// here (off). The planner then logs nothing: the monitor's lines say it
// hands the group over, that it did and until when it will not take it
// back, or that it failed and the group stays. A line of the planner's
// saying the group "is not taken back by this node", and after a failed
// hand-over that it "may be taken back by this node again", read as if the
// group had left and come back when it never moved.
type Block struct {
	Group    string
	On       bool
	HandOver bool
}

func (Block) event() {}

// Blocked returns the keys of the groups this node does not take back, in file order.
func (p *Planner) Blocked() []string {
	var ks []string
	for _, g := range p.cfg.Groups {
		if p.groups.blocked[g.Key()] {
			ks = append(ks, g.Key())
		}
	}
	return ks
}

func (p *Planner) onBlock(ev Block) {
	if _, ok := p.byKey[ev.Group]; !ok {
		p.logf(Warn, "hbgo: block of unknown resource group %s ignored", ev.Group)
		return
	}
	if !p.nice {
		if ev.On {
			p.logf(Warn, "hbgo: resource group %s failed repeatedly here, but auto_failback legacy has no standby to hand it over: it stays here", ev.Group)
		}
		return
	}
	if p.groups.blocked == nil {
		p.groups.blocked = map[string]bool{}
	}
	if p.groups.blocked[ev.Group] == ev.On {
		return
	}
	if ev.On {
		p.groups.blocked[ev.Group] = true
		if !ev.HandOver {
			p.logf(Info, "hbgo: resource group %s is not taken back by this node (auto_failback, standby or hb_takeover) until heartbeat cleanup or failure_window passes", ev.Group)
		}
		return
	}
	delete(p.groups.blocked, ev.Group)
	if !ev.HandOver {
		p.logf(Info, "hbgo: resource group %s may be taken back by this node again", ev.Group)
	}
}

// blockedIn returns the blocked groups among keys.
func (p *Planner) blockedIn(keys []string) []string {
	var b []string
	for _, k := range keys {
		if p.groups.blocked[k] {
			b = append(b, k)
		}
	}
	return b
}

// refuseBlocked logs why a take-back of the blocked groups bs is refused
// and how to clear it.
func (p *Planner) refuseBlocked(what string, bs []string) {
	p.logf(Warn, "hbgo: %s refused: this node handed resource group %s over after repeated failures; run `heartbeat cleanup RESOURCE` (or wait failure_window without a failure) to allow it back", what, strings.Join(bs, " "))
}

// takeoverSet is the groups a local hb_takeover of set would bring here.
func (p *Planner) takeoverSet(set string) []string {
	switch set {
	case "local":
		return p.groupsOf(Local)
	case "foreign":
		return p.groupsOf(Foreign)
	}
	return p.groupsOf(All)
}

// skippedBlocked logs the blocked groups bs req_our_resources did not
// start; if the peer does not hold them already they go to it by standby
// (never on no node).
func (p *Planner) skippedBlocked(bs []string) {
	if len(bs) == 0 {
		return
	}
	p.logf(Warn, "hbgo: not starting resource group %s: this node handed it over after repeated failures; run `heartbeat cleanup RESOURCE` to allow it back", strings.Join(bs, " "))
	if p.peer.holds&Foreign == 0 {
		p.logf(Warn, "hbgo: handing our local resources to %s: it does not hold %s", p.cfg.Peer, strings.Join(bs, " "))
		p.groups.handOff |= Local
	}
}
