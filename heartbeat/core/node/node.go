package node

import (
	"fmt"
	"strconv"
	"time"

	"hbgo/haresources/planner"
	"hbgo/heartbeat/core/ipfail"
	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/core/node/rscwire"
	"hbgo/heartbeat/core/wire"
)

// Machine is one node: membership, the planner, the emulated ipfail and
// the resource monitor, fed one event at a time. It does no I/O; Step returns what to do.
//
// Ordering rules (they were the daemon's re-entrant calls; they are the
// machine's now, and each is kept where it applies):
//
//  1. Membership's actions are handled in the order it emits them; each
//     one is handled completely (planner, ipfail, hooks) before the next.
//  2. A planner (or ipfail) Send goes through membership (Originate) at
//     once, so its stamped Send and its loopback copy (PROTOCOL §6:
//     processed locally before it reaches the media) come before the
//     planner's next action.
//  3. When the peer dies (NodeDead, NodeStatus dead), the planner's child
//     work (ScriptLog, Op, Log with Child) waits until the outermost
//     membership pass ends: stock's main loop logs the rest of the
//     dead-time scan ("Link node1:eth1 dead.") before its takeover
//     children write a line (TestFailoverLogMatchesStock). See planAction.
//  4. ipfail hears of a membership or planner action after that action has
//     been handled, including everything the action set off (see memAction
//     and runPlanAction); heartbeat/e2e/ipfail checks the result against
//     stock's ipfail.
//  5. An Op without groups completes at once, before the planner's next
//     action: stock's child ends at once, in parallel with any other, so it
//     need not wait behind a running group. Not one marked InTurn: its
//     groups were left to another op (planner departure g), and stock's
//     child would still be starting them, so it waits its turn.
//  6. The resource monitor's rules (M1–M6) are in monitor.go: it hears the
//     planner's holdings, its Block and HandOver go to the planner inside
//     the Step, and its repairs come out as actions beside the planner's.
type Machine struct {
	cfg  Config
	now  time.Time
	mem  *membership.Machine
	plan *planner.Planner
	ipf  *ipfail.Machine
	mon  *monState // the resource monitor (monitor.go); nil: nothing watched

	out        []Action
	memBufs    [][]membership.Action // membership's actions, one reused slice per memStep depth
	memDepth   int                   // nesting of memStep (rule 3)
	deferChild int                   // >0 while the planner handles a peer's death (rule 3)
	deferred   []planner.Action      // child work waiting for the membership pass to end
	started    bool                  // clients started (comm up seen)
	quick      bool                  // quick restart: resources stay as they are
}

// New returns a node whose clocks start at at; membership's first status
// is in the first Step's actions.
func New(cfg Config, at time.Time) *Machine {
	m := &Machine{cfg: cfg, now: at}
	m.mem = membership.New(cfg.Membership, at, cfg.Rand)
	m.plan = planner.New(cfg.Planner, at)
	if cfg.Monitor != nil && !cfg.NoResources {
		m.mon = newMonState(*cfg.Monitor)
	}
	return m
}

// Step handles one event and returns the actions to carry out, in order.
func (m *Machine) Step(ev Event) []Action { return m.StepInto(nil, ev) }

// StepInto is Step with the actions appended to dst[:0], so that a caller
// (the daemon's loop) can reuse one slice for every step. Recv's message
// is the machine's only during the call: what it keeps, it copies.
func (m *Machine) StepInto(dst []Action, ev Event) []Action {
	m.begin(dst, ev.at())
	switch e := ev.(type) {
	case Start:
		m.journal("start", "", map[string]string{"pid": strconv.Itoa(m.cfg.PID)})
		m.monRan(e)
		if e.Adopt != nil {
			m.planStep(*e.Adopt)
		} else if len(e.Held) > 0 {
			m.planStep(planner.Held{Keys: e.Held})
		}
		m.monStarted() // M5
	case Recv:
		m.recv(e)
	case Tick:
		m.tick()
	case OpDone:
		m.journal("op_done", "", map[string]string{"op": strconv.Itoa(e.Done.OpID), "result": opSummary(e.Done)})
		m.monRan(e)
		m.planStep(e.Done)
		m.monSync() // M1
	case StonithDone:
		m.planStep(planner.StonithDone{Node: e.Node, Result: e.Result})
	case PingEcho:
		m.memStep(membership.PingReply{Node: e.Node, At: m.now, TS: e.TS})
	case Standby:
		m.planStep(planner.Standby{Set: e.Set})
	case Takeover:
		m.planStep(planner.Takeover{Set: e.Set})
	case Inject:
		m.inject(e.Msg)
	case Shutdown:
		if !m.cfg.NoResources { // stock -M never logs it (interop testdata/stock-M.node2.txt)
			m.log("info", fmt.Sprintf("Heartbeat shutdown in progress. (%d)", m.cfg.PID))
		}
		m.journal("shutdown", "", nil)
		m.planStep(planner.Shutdown{})
	case QuickRestart:
		m.quick = true
		m.memStep(membership.SetStatus{Extra: e.Extra, At: m.now})
	case StopClients:
		m.stopIpfail()
	case Block:
		m.block(e)
	default:
		m.monEvent(ev)
	}
	return m.end()
}

// TickInto is StepInto(dst, Tick{At: at}) and RecvInto StepInto(dst, r)
// for the two events of an idle node, without boxing the event in an
// interface (an allocation per event): the daemon's loop calls them.
func (m *Machine) TickInto(dst []Action, at time.Time) []Action {
	m.begin(dst, at)
	m.tick()
	return m.end()
}

// RecvInto: see TickInto.
func (m *Machine) RecvInto(dst []Action, r Recv) []Action {
	m.begin(dst, r.At)
	m.recv(r)
	return m.end()
}

// begin starts a step at time at, its actions going to dst[:0].
func (m *Machine) begin(dst []Action, at time.Time) {
	// The caller carried out the last step's actions before this one:
	// membership may reuse the messages it freed meanwhile.
	m.mem.Release()
	m.out = append(dst[:0], m.out...)
	if at.After(m.now) {
		m.now = at
	}
	m.plan.Advance(m.now)
}

// end finishes a step and returns its actions.
func (m *Machine) end() []Action {
	if m.mon != nil && (m.mon.syncAtEnd || m.mon.busy && !m.plan.Busy()) {
		m.mon.syncAtEnd = false
		m.monSync() // M4; M1: the planner is no longer busy
	}
	out := m.out
	m.out = nil
	return out
}

func (m *Machine) recv(e Recv) {
	m.memStep(membership.Recv{Msg: e.Msg, Link: e.Link, At: e.At})
}

func (m *Machine) tick() {
	m.memStep(membership.Tick{Now: m.now})
	m.planStep(planner.Tick{Now: m.now})
	m.ipfStep(ipfail.Tick{})
	m.monTick() // M6
}

// NextDeadline is when the machine next needs a Tick; zero: no timer runs.
func (m *Machine) NextDeadline() time.Time {
	d := Earliest(m.mem.NextDeadline(), m.plan.NextDeadline())
	if m.ipf != nil {
		d = Earliest(d, m.ipf.NextDeadline())
	}
	return Earliest(d, m.monDeadline())
}

// Snapshot is membership's view, for cl_status and the counters.
func (m *Machine) Snapshot() membership.Snapshot { return m.mem.Snapshot() }

// StateKey is membership's StateKey: it changes with node and link statuses and drops.
func (m *Machine) StateKey() uint64 { return m.mem.StateKey() }

// Word is cl_status rscstatus's word: the planner's, which is "transition"
// until the first acquisition ends (COMPAT §0.3); -M has none.
func (m *Machine) Word() string {
	if m.cfg.NoResources {
		return "none"
	}
	return m.plan.Word()
}

// Busy says a resource operation is running or queued.
func (m *Machine) Busy() bool { return m.plan.Busy() }

// PeerMarks is what membership last saw from each peer, to persist at exit.
func (m *Machine) PeerMarks() map[string]membership.PeerMark { return m.mem.PeerMarks() }

// Holds is the set of groups this node holds (heartbeat -C's word).
func (m *Machine) Holds() planner.Hold { return m.plan.Holds() }

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

func (m *Machine) log(level, text string) { m.emit(Log{Level: level, Text: text}) }

func (m *Machine) journal(kind, node string, f map[string]string) {
	m.emit(Journal{Kind: kind, Node: node, Fields: f})
}

// memStep feeds membership and handles its actions (rules 1 and 3).
func (m *Machine) memStep(ev membership.Event) {
	d := m.memDepth
	if d == len(m.memBufs) {
		m.memBufs = append(m.memBufs, nil)
	}
	m.memDepth++
	acts := m.mem.StepInto(m.memBufs[d], ev)
	for _, a := range acts {
		m.memAction(a)
	}
	clear(acts) // keep no message alive until the next step
	m.memBufs[d] = acts[:0]
	m.memDepth--
	if m.memDepth == 0 && len(m.deferred) > 0 {
		d := m.deferred
		m.deferred = nil
		for _, a := range d {
			m.runPlanAction(a)
		}
	}
}

func (m *Machine) memAction(a membership.Action) {
	defer m.ipfailMem(a) // rule 4
	m.monMembership(a)   // M2
	switch a := a.(type) {
	case membership.Send:
		m.emit(Send{Msg: a.Msg, Rexmit: a.Rexmit})
	case membership.Log:
		m.emit(Log{Level: string(a.Level), Text: a.Text, Drop: a.Drop})
	case membership.NodeStatus:
		if a.New == "dead" && a.Node != m.cfg.Membership.Node && !m.isPing(a.Node) {
			m.emit(PeerDead{Node: a.Node})
		}
		m.journal("status", a.Node, map[string]string{"old": a.Old, "new": a.New})
		if a.Node != m.cfg.Membership.Node {
			if a.New == "dead" {
				m.deferChild++ // rule 3
			}
			m.planStep(planner.PeerStatus{Node: a.Node, Status: a.New})
			if a.New == "dead" {
				m.deferChild--
			}
		}
		// rc.d/status gets the status message's fields (COMPAT §5.9); the
		// planner writes harc's line for it.
		st := &wire.Message{}
		st.Add(wire.FType, "status")
		st.Add("st", a.New)
		st.Add(wire.FSrc, a.Node)
		m.emit(Hook{Type: "status", Msg: st, Old: a.Old, HarcDone: true})
	case membership.NodeDead:
		if a.Node != m.cfg.Membership.Node && !m.isPing(a.Node) {
			m.emit(PeerDead{Node: a.Node})
		}
		m.journal("node_dead", a.Node, nil)
		if !m.isPing(a.Node) {
			m.deferChild++ // rule 3
			m.planStep(planner.PeerStatus{Node: a.Node, Status: "dead"})
			m.deferChild--
		}
	case membership.LinkStatus:
		ev := "link_dead"
		if a.Up {
			ev = "link_up"
		}
		m.journal(ev, a.Node, map[string]string{"link": a.Link})
	case membership.CommUp:
		m.journal("comm_up", "", nil)
		m.planStep(planner.CommUp{})
		m.startClients()
	case membership.Deliver:
		// The planner speaks its own messages (rscwire): the resource
		// layer's types are translated, the rest are not its business.
		if pm, ok, refusal := rscwire.FromWire(a.Msg, a.From); ok {
			m.planStep(pm)
		} else if refusal != "" && !m.cfg.NoResources && !m.quick {
			m.log("ERROR", refusal) // as the planner would (-M and a quick restart have none)
		}
		// The planner writes harc's line for the types it handles.
		t := a.Msg.Type()
		m.emit(Hook{Type: t, Msg: a.Msg, HarcDone: t == "ip-request" || t == "ip-request-resp" || t == "hb_takeover"})
	case membership.PeerRestarted:
		m.journal("peer_restart", a.Node, nil)
		m.planStep(planner.PeerRestarted{Node: a.Node})
	case membership.PartitionHealed:
		m.journal("partition_healed", a.Node, nil)
		m.planStep(planner.PartitionHealed{Node: a.Node})
	case membership.PeerSeen:
		m.emit(PeerSeen{Node: a.Node, Mark: a.Mark})
	}
}

func (m *Machine) isPing(name string) bool {
	for _, p := range m.cfg.Membership.PingNodes {
		if p == name {
			return true
		}
	}
	return false
}

// planStep feeds the planner and handles its actions.
func (m *Machine) planStep(ev planner.Event) {
	if m.cfg.NoResources || m.quick {
		m.unmanaged(ev) // -M, or restarting in place: resources stay as they are
		return
	}
	for _, a := range m.plan.Step(ev) {
		m.planAction(a)
	}
}

// planAction handles a planner action, or keeps a child's work for the
// end of the membership pass that declared the peer dead (rule 3).
// Elsewhere a child's line comes before its effects (harc, then the
// standby that rc.d/hb_takeover asks for), so nothing waits.
func (m *Machine) planAction(a planner.Action) {
	if m.deferChild > 0 {
		switch a := a.(type) {
		case planner.ScriptLog, planner.Op:
			m.deferred = append(m.deferred, a)
			return
		case planner.Log:
			if a.Child != "" {
				m.deferred = append(m.deferred, a)
				return
			}
		}
	}
	m.runPlanAction(a)
}

func (m *Machine) runPlanAction(a planner.Action) {
	defer m.ipfailPlan(a) // rule 4
	switch a := a.(type) {
	case planner.Send:
		m.memStep(membership.Originate{Msg: rscwire.ToWire(a.M), At: m.now}) // rule 2
	case planner.Op:
		m.journal("op", "", map[string]string{"op": strconv.Itoa(a.ID), "kind": a.Kind.String(), "why": a.Why, "groups": fmt.Sprint(a.Groups)})
		if len(a.Groups) == 0 && !a.InTurn {
			m.planStep(planner.OpDone{OpID: a.ID}) // rule 5
			return
		}
		m.emit(Op{a})
	case planner.Log:
		m.log(a.Level.String(), a.Text)
	case planner.ScriptLog:
		m.emit(ScriptLog{Tag: a.Tag, Text: a.Text})
	case planner.ShutdownDone:
		m.stopIpfail()
		m.emit(ShutdownDone{})
	case planner.Restart:
		m.emit(Restart{})
	case planner.Fence:
		m.journal("fence", "", map[string]string{"group": a.Key, "resource": a.Token})
		m.emit(Fence{Key: a.Key, Token: a.Token})
	case planner.Stonith:
		m.emit(Stonith{Node: a.Node})
	}
}

// unmanaged is heartbeat -M: membership only. Stock's resource layer then
// only announces itself (`starting`, with nice_failback) at comm up and
// answers nothing; it never runs a resource script, and it shuts down
// without giving anything up (hb_resource.c: every handler returns early
// when !DoManageResources).
func (m *Machine) unmanaged(ev planner.Event) {
	switch ev.(type) {
	case planner.CommUp:
		if m.cfg.Planner.AutoFailback != planner.Legacy {
			m.memStep(membership.Originate{Msg: rscwire.ToWire(planner.Starting{}), At: m.now})
		}
	case planner.Shutdown:
		m.emit(ExitAt{At: m.now.Add(m.cfg.UnmanagedStop)})
	}
}

// inject originates a locally requested cluster message. Requests the
// planner handles itself (standby, takeover) become its events, as stock's
// daemon hands them to its resource code through the same path.
func (m *Machine) inject(msg *wire.Message) {
	switch msg.Type() {
	case "ask_resources":
		if msg.Str("info") == "me" {
			m.planStep(planner.Standby{Set: orAll(msg.Str("rsc_hold"))})
			return
		}
	case "hb_takeover":
		m.planStep(planner.Takeover{Set: orAll(msg.Str("rsc_hold"))})
		return
	}
	m.memStep(membership.Originate{Msg: msg, At: m.now})
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

func opSummary(d planner.OpDone) string {
	s := ""
	for i, r := range d.Results {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("%s=%d", r.Key, r.Outcome)
	}
	return s
}

// Earliest returns the earlier of two deadlines, a zero time meaning none.
func Earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case a.Before(b):
		return a
	}
	return b
}
