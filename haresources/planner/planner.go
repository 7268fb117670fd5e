package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"hbgo/haresources"
)

// Timers (PROTOCOL §10.4).
const (
	RqstDelay           = 10 * time.Second // nice_failback local-takeover wait in RSCRCVD
	StandbyReplyTimeout = 10 * time.Second // requester's wait for `other`
	StandbyOpTimeout    = time.Hour        // whole standby operation
	AutoFailbackRetry   = time.Second      // auto-failback retry while blocked
	PartitionGiveUp     = 2 * time.Second  // healed partition → give up everything
	StonithRetry        = 5 * time.Second  // STONITH retry after a failure
)

// rscMgr is stock's ResourceManager path as it appears in daemon log texts.
const rscMgr = "/usr/share/heartbeat/ResourceManager"

// Config is what the planner needs from ha.cf, haresources and the daemon.
type Config struct {
	Us, Peer     string              // lower-cased node names
	AutoFailback Mode                // auto_failback on|off|legacy
	Groups       []haresources.Group // haresources groups in file order
	Stonith      bool                // a STONITH device is configured
	// FastStart ends the RQSTDELAY wait as soon as the peer's full resource
	// state is known. The daemon sets it only when it knows the peer is hbgo:
	// stock peers see identical traffic either way, but rely on the 10 s wait.
	FastStart bool
}

// rstate is stock's resourcestate (PROTOCOL §11.2).
type rstate int

const (
	stInit rstate = iota
	stStarting
	stBothStarting
	stRscRcvd
	stStable
	stShutdown
)

var rstateWords = [...]string{"init", "starting", "both_starting", "rsc_rcvd", "stable", "shutdown"}

// String returns the state's name as in stock's R_* constants, lower-cased (stable for R_STABLE).
func (s rstate) String() string {
	if s < 0 || int(s) >= len(rstateWords) {
		return fmt.Sprintf("rstate(%d)", int(s))
	}
	return rstateWords[s]
}

// sbState is stock's going_standby.
type sbState int

const (
	sbNot sbState = iota
	sbMe
	sbOther
	sbDone
)

var sbWords = [...]string{"not", "me", "other", "done"}

// String returns the going_standby value's name as in stock's NOT/ME/OTHER/DONE, lower-cased.
func (s sbState) String() string {
	if s < 0 || int(s) >= len(sbWords) {
		return fmt.Sprintf("sbState(%d)", int(s))
	}
	return sbWords[s]
}

type opInfo struct {
	kind     OpKind
	groups   []string
	why      string
	node     string   // mach_down: the node taken over; ip-request: the requester
	act      Hold     // standby: the set acted upon
	standby  Hold     // standby: the rsc_hold the child's done message carries
	kidOut   []Action // req_our_resources: the child's output, sent when done
	announce bool     // req_our_resources: the child's exit may announce
	inTurn   bool     // standby: Op.InTurn
}

// Planner is the resource manager state machine of one node.
//
// Its state is grouped by what it tracks; the fields that mirror one of
// stock's globals name it and cite where docs/PROTOCOL.md describes it.
type Planner struct {
	cfg  Config
	now  time.Time
	nice bool // nice_failback: auto_failback on or off (PROTOCOL §11.1)
	auto bool // auto_failback on (PROTOCOL §11.6)

	isLocal map[string]bool               // group key → the group is ours (haresources node column)
	byKey   map[string]*haresources.Group // group key → group

	commUp bool // stock's comm_up: the cluster is reachable and the start-up exchange began (PROTOCOL §11.3)

	local    localSide    // this node's resource state and holding
	peer     peerSide     // what this node last heard of the peer's resources
	standby  standbyRun   // the standby exchange in progress
	takeover takeoverRun  // the takeover of a dead peer's groups and its fencing
	failback failbackRun  // the automatic failback owed after a takeover
	initial  initialAcq   // the one-time "Initial resource acquisition complete" announcement
	shutdown shutdownRun  // graceful shutdown, and the give-up after a healed partition
	startup  startupRun   // hbgo's start-up work before the cluster exchange: held groups, -R -C adoption
	groups   groupResults // per-group results the executor reported
	exec     execTracker  // executor ops in flight and the stock children they stand for
	fenced   bool         // a stop failed with the resource still running: the node fences itself and stops acting (COMPAT §4.8)
	lastWord string       // the last StatusWord emitted
	out      []Action     // actions of the current Step
}

// localSide is this node's resource state and holding (PROTOCOL §11.2).
type localSide struct {
	state  rstate    // stock's resourcestate (PROTOCOL §11.2)
	hold   Hold      // stock's i_hold (PROTOCOL §11.2)
	takeAt time.Time // stock's local_takeover_time: RSCRCVD + RQSTDELAY (PROTOCOL §11.3); zero = not set
}

// peerSide is what this node last heard of the peer (PROTOCOL §11.2).
type peerSide struct {
	status string // the peer's node status (active, dead, …) as membership reported it
	heard  bool   // the peer was heard since this node started, so its last rsc_hold counts (PROTOCOL §11.4 step 2)
	hasRsc bool   // the peer may hold resources: cleared when it last said rsc_hold=none (PROTOCOL §11.4 step 2)
	holds  Hold   // stock's other_holds, in the peer's terms (PROTOCOL §11.2)
	stable bool   // stock's other_is_stable (PROTOCOL §11.2)
}

// standbyRun is the standby exchange (PROTOCOL §11.5).
type standbyRun struct {
	state    sbState   // stock's going_standby (PROTOCOL §11.5)
	deadline time.Time // stock's standby_running: when the reply (10 s) or whole operation (1 h) times out; zero = none (PROTOCOL §10.4)
	set      Hold      // stock's standby_rsctype: the set asked for (PROTOCOL §11.5)
}

// takeoverRun is the takeover of a dead peer's groups (PROTOCOL §11.4).
type takeoverRun struct {
	inProgress     bool      // stock's takeover_in_progress, ended by mach_down's loopback (PROTOCOL §11.4 step 4)
	stonithRetryAt time.Time // when a failed STONITH is retried (PROTOCOL §10.4); zero = none
	stonithNode    string    // the node the pending STONITH resets
}

// failbackRun is the automatic failback (PROTOCOL §11.6).
type failbackRun struct {
	owed    bool      // stock's rsc_needs_failback (PROTOCOL §11.4 step 5)
	retryAt time.Time // the next try while conditions fail (PROTOCOL §10.4, AutoFailbackRetry); zero = none
}

// initialAcq tracks the one-time "Initial resource acquisition complete" log line (COMPAT §5.5).
type initialAcq struct {
	localDone   bool // our own groups were acquired (or there was nothing to do)
	foreignDone bool // the dead peer's groups were acquired (or there is no dead peer)
	announced   bool // the line was logged
}

// shutdownRun is a graceful shutdown (PROTOCOL §11.7) and the healed-partition give-up.
type shutdownRun struct {
	inProgress    bool      // stock's shutdown_in_progress (PROTOCOL §11.7)
	atUp          bool      // a shutdown asked before comm up waits for it (COMPAT §5.7)
	needed        bool      // a shutdown waits until the node is quiet (PROTOCOL §11.7)
	giveupStarted bool      // hb_giveup_resources already ran
	partitionAt   time.Time // a healed partition gives everything up at this time (PROTOCOL §10.4, PartitionGiveUp); zero = none
	restartAfter  bool      // after giving up, restart rather than exit (healed partition)
}

// startupRun is hbgo's start-up work before the cluster exchange (adopt.go).
type startupRun struct {
	op         int  // the op stopping groups found running at start; 0 = none
	deferredUp bool // comm up arrived during that op and runs when it ends
	restarting bool // -R -C: the first starting/resource message makes us stable
}

// groupResults is what the executor reported per group.
type groupResults struct {
	held    map[string]bool // group key → running here
	pending map[string]int  // group key → ops in flight that touch it
	failed  map[string]bool // group key → failed to start here; not started again until hb_takeover
	blocked map[string]bool // group key → handed over by the resource monitor; not taken back (departure f, block.go)
	handOff Hold            // kinds whose start failed and go to the peer by standby (hbgo departure (a))
}

// execTracker counts executor ops in flight and the stock children they stand for.
type execTracker struct {
	ops     map[int]*opInfo // op ID → what it does and what follows it
	nextOp  int             // the last op ID handed out
	reqKids int             // req_our_resources children whose final message has not looped back (PROTOCOL §11.3)
}

// New returns a planner for cfg whose clock starts at now.
func New(cfg Config, now time.Time) *Planner {
	p := &Planner{
		cfg:     cfg,
		now:     now,
		nice:    cfg.AutoFailback != Legacy,
		auto:    cfg.AutoFailback == On,
		isLocal: map[string]bool{},
		byKey:   map[string]*haresources.Group{},
		standby: standbyRun{set: All},
		peer:    peerSide{hasRsc: true},
		groups:  groupResults{held: map[string]bool{}, pending: map[string]int{}, failed: map[string]bool{}},
		exec:    execTracker{ops: map[int]*opInfo{}},
	}
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		p.byKey[g.Key()] = g
		p.isLocal[g.Key()] = strings.EqualFold(g.Node, cfg.Us)
	}
	p.lastWord = p.word()
	return p
}

// Step feeds one event to the planner and returns what to do, in order.
func (p *Planner) Step(ev Event) []Action {
	p.out = nil
	if p.fenced {
		return nil
	}
	switch ev := ev.(type) {
	case CommUp:
		p.onCommUp()
	case PeerStatus:
		p.onPeerStatus(ev)
	case PeerRestarted:
		if ev.Node == p.cfg.Peer {
			p.peer.heard = true
		}
	case Msg:
		p.onMsg(ev.M, ev.From)
	case Standby:
		p.onStandbyCmd(ev.Set)
	case Takeover:
		p.onTakeoverCmd(ev.Set)
	case Shutdown:
		p.onShutdown()
	case OpDone:
		p.onOpDone(ev)
	case StonithDone:
		p.onStonithDone(ev)
	case Tick:
		p.onTick(ev.Now)
	case PartitionHealed:
		if p.shutdown.partitionAt.IsZero() {
			p.shutdown.partitionAt = p.now.Add(PartitionGiveUp)
		}
	case Held:
		p.onHeld(ev.Keys)
	case Adopt:
		p.onAdopt(ev)
	case Block:
		p.onBlock(ev)
	}
	if !p.fenced {
		if p.shutdown.needed {
			p.giveup(false)
		}
		p.tryHandOff()
		if w := p.word(); w != p.lastWord {
			p.lastWord = w
			p.emit(StatusWord{w})
		}
	}
	return p.out
}

// NextDeadline returns when the planner next wants a Tick; zero means no timer runs.
func (p *Planner) NextDeadline() time.Time {
	var d time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if p.local.state == stRscRcvd {
		consider(p.local.takeAt)
	}
	consider(p.standby.deadline)
	consider(p.failback.retryAt)
	consider(p.shutdown.partitionAt)
	consider(p.takeover.stonithRetryAt)
	return d
}

// Word returns the current `cl_status rscstatus` answer.
func (p *Planner) Word() string { return p.word() }

// FailedHere returns the keys of groups that failed to start on this node and are not retried automatically.
func (p *Planner) FailedHere() []string {
	var ks []string
	for _, g := range p.cfg.Groups {
		if p.groups.failed[g.Key()] {
			ks = append(ks, g.Key())
		}
	}
	return ks
}

// --- output helpers ---

func (p *Planner) emit(a Action) { p.out = append(p.out, a) }

func (p *Planner) logf(l Level, format string, args ...any) {
	p.emit(Log{Level: l, Text: fmt.Sprintf(format, args...)})
}

// childf logs a line stock writes from one of its resource children.
func (p *Planner) childf(child string, l Level, format string, args ...any) {
	p.emit(Log{Level: l, Text: fmt.Sprintf(format, args...), Child: child})
}

func (p *Planner) script(tag, format string, args ...any) {
	p.emit(ScriptLog{tag, fmt.Sprintf(format, args...)})
}

func (p *Planner) send(m Message) { p.emit(Send{m}) }

// sendHeld sends our resource state (stock's hb_send_resources_held).
func (p *Planner) sendHeld(stable bool, comment string) {
	if !p.nice {
		return
	}
	p.send(p.heldMsg(stable, comment))
}

func (p *Planner) heldMsg(stable bool, comment string) Resource {
	st := StableNo
	if stable {
		st = StableYes
	}
	return Resource{Set: p.local.hold.String(), Full: true, Stable: st, Info: comment}
}

func (p *Planner) sendStandby(info string) {
	p.send(AskResources{Set: p.standby.set.String(), Info: info})
}

// groupsOf lists the keys of a resource set from our perspective, in file order.
func (p *Planner) groupsOf(h Hold) []string {
	var ks []string
	for _, g := range p.cfg.Groups {
		k := g.Key()
		if p.isLocal[k] && h&Local != 0 || !p.isLocal[k] && h&Foreign != 0 {
			ks = append(ks, k)
		}
	}
	return ks
}

func (p *Planner) groupsOfNode(node string) []string {
	var ks []string
	for _, g := range p.cfg.Groups {
		if strings.EqualFold(g.Node, node) {
			ks = append(ks, g.Key())
		}
	}
	return ks
}

func (p *Planner) emitOp(info *opInfo) int {
	p.exec.nextOp++
	id := p.exec.nextOp
	p.exec.ops[id] = info
	for _, k := range info.groups {
		p.groups.pending[k]++
	}
	p.emit(Op{ID: id, Kind: info.kind, Groups: slices.Clone(info.groups), Why: info.why, InTurn: info.inTurn})
	return id
}

// dropFailed removes groups that failed here from a take list (departure b).
func (p *Planner) dropFailed(keys []string, gaveUp bool) []string {
	out := keys[:0:0]
	for _, k := range keys {
		if !p.groups.failed[k] {
			out = append(out, k)
			continue
		}
		if gaveUp {
			p.logf(Crit, "hbgo: resource group %s failed to start here and %s gave it up: it stays stopped on both nodes until an admin runs hb_takeover", k, p.cfg.Peer)
		} else {
			p.logf(Warn, "hbgo: not starting resource group %s: it failed to start here; run hb_takeover to retry", k)
		}
	}
	return out
}

func (p *Planner) announce(reason string) {
	if p.initial.announced || !p.initial.localDone || !p.initial.foreignDone {
		return
	}
	p.logf(Info, "Initial resource acquisition complete (%s)", reason)
	p.initial.announced = true
}

// isStable is stock's hb_rsc_isstable, the "quiescent" rule (PROTOCOL §11.2).
func (p *Planner) isStable() bool {
	if !p.nice {
		return len(p.exec.ops) == 0
	}
	if p.shutdown.inProgress && p.local.state == stInit {
		return true
	}
	return p.peer.stable && !p.takeover.inProgress && p.standby.state == sbNot && p.standby.deadline.IsZero() &&
		len(p.exec.ops) == 0 && p.exec.reqKids == 0 && (p.local.state == stStable || p.local.state == stShutdown || p.local.state == stInit)
}

func (p *Planner) word() string {
	if p.isStable() {
		return p.local.hold.String()
	}
	return "transition"
}

// Advance moves the planner's clock to now (never backwards) without
// running its timers, so a timer an event starts counts from the event's
// time rather than from the last Tick.
func (p *Planner) Advance(now time.Time) {
	if now.After(p.now) {
		p.now = now
	}
}
