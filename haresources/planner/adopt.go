package planner

import (
	"slices"
	"strings"
)

// Adopt reports, before comm up, that this process is the in-place restart
// of a daemon that held Hold (heartbeat -R -C <state>) and that the status
// scan found Keys running: they are taken as this node's own, never
// stopped or started again.
type Adopt struct {
	Hold Hold
	Keys []string
}

func (Adopt) event() {}

// Holds returns the resource set this node holds (stock's i_hold_resources), stable or not.
func (p *Planner) Holds() Hold { return p.local.hold }

// onAdopt takes over what the previous process held. Stock's -R -C sets
// i_hold_resources from -C, skips req_our_resources at comm up (legacy) and
// turns the first starting/resource message into HB_R_STABLE (nice_failback)
// (heartbeat.c main -R, hb_resource.c process_resources first_time).
func (p *Planner) onAdopt(ev Adopt) {
	if p.commUp || p.startup.op != 0 {
		p.logf(Error, "hbgo: restart state reported after joining; ignored")
		return
	}
	p.startup.restarting = true
	p.local.hold = ev.Hold & All
	// Stock's restarted process announces "Initial resource acquisition
	// complete (T_RESOURCES(us))" again once its own resource message
	// loops back (heartbeat/e2e/interop testdata/stock-restart.node1.txt).
	set := map[string]bool{}
	for _, k := range ev.Keys {
		if _, ok := p.byKey[k]; ok {
			set[k] = true
		} else {
			p.logf(Warn, "hbgo: status scan reported unknown resource group %s; ignored", k)
		}
	}
	var running, missing, extra []string
	for _, g := range p.cfg.Groups {
		k := g.Key()
		want := p.local.hold&Local != 0 && p.isLocal[k] || p.local.hold&Foreign != 0 && !p.isLocal[k]
		switch {
		case set[k]:
			p.groups.held[k] = true
			running = append(running, k)
			if !want {
				extra = append(extra, k)
			}
		case want:
			missing = append(missing, k)
		}
	}
	if !p.nice && ev.Hold == None {
		// Legacy restarts carry no -C (stock passes it only with
		// nice_failback): what runs is what we hold.
		for _, k := range running {
			if p.isLocal[k] {
				p.local.hold |= Local
			} else {
				p.local.hold |= Foreign
			}
		}
		extra = nil
	}
	p.logf(Info, "hbgo: restart: keeping resources %s (running: %s)", p.local.hold, wordsOrNone(running))
	if len(missing) > 0 {
		slices.Sort(missing)
		p.logf(Warn, "hbgo: restart: held resource groups not running: %s; they are not restarted", strings.Join(missing, " "))
	}
	if len(extra) > 0 {
		p.logf(Warn, "hbgo: restart: resource groups running outside the held set %s: %s; kept as held", p.local.hold, strings.Join(extra, " "))
	}
}

func wordsOrNone(ks []string) string {
	if len(ks) == 0 {
		return "none"
	}
	return strings.Join(ks, " ")
}

// Busy reports whether resource work is under way (an op, a takeover or a standby), when an in-place restart must wait.
func (p *Planner) Busy() bool {
	return len(p.exec.ops) > 0 || p.exec.reqKids > 0 || p.takeover.inProgress || p.standby.state != sbNot || !p.standby.deadline.IsZero() || p.startup.op != 0
}
