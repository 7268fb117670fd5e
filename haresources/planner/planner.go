package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"hbgo/haresources"
	"hbgo/heartbeat/wire"
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
}

// Planner is the resource manager state machine of one node.
type Planner struct {
	cfg  Config
	now  time.Time
	nice bool
	auto bool

	isLocal map[string]bool
	byKey   map[string]*haresources.Group

	commUp      bool
	state       rstate
	iHold       Hold
	otherHolds  Hold
	otherStable bool
	takeover    bool
	sb          sbState
	sbRunning   time.Time
	sbType      Hold
	localTakeAt time.Time

	needsFailback bool
	failbackAt    time.Time

	localDone, foreignDone, announced bool

	shutdownInProgress bool
	shutdownAtUp       bool
	needsShutdown      bool
	giveupStarted      bool
	partitionAt        time.Time
	restartAfter       bool
	restarting         bool // -R -C: the first starting/resource message makes us stable (adopt.go)

	peerStatus     string
	peerHeard      bool
	peerHasRsc     bool
	stonithRetryAt time.Time
	stonithNode    string

	held    map[string]bool
	pending map[string]int
	failed  map[string]bool
	handOff Hold

	reqKids    int // req_our_resources children whose final message has not looped back
	ops        map[int]*opInfo
	nextOp     int
	startupOp  int
	deferredUp bool
	fenced     bool

	lastWord string

	out []Action
}

// New returns a planner for cfg whose clock starts at now.
func New(cfg Config, now time.Time) *Planner {
	p := &Planner{
		cfg:        cfg,
		now:        now,
		nice:       cfg.AutoFailback != Legacy,
		auto:       cfg.AutoFailback == On,
		isLocal:    map[string]bool{},
		byKey:      map[string]*haresources.Group{},
		sbType:     All,
		peerHasRsc: true,
		held:       map[string]bool{},
		pending:    map[string]int{},
		failed:     map[string]bool{},
		ops:        map[int]*opInfo{},
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
			p.peerHeard = true
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
		if p.partitionAt.IsZero() {
			p.partitionAt = p.now.Add(PartitionGiveUp)
		}
	case Held:
		p.onHeld(ev.Keys)
	case Adopt:
		p.onAdopt(ev)
	}
	if !p.fenced {
		if p.needsShutdown {
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
	if p.state == stRscRcvd {
		consider(p.localTakeAt)
	}
	consider(p.sbRunning)
	consider(p.failbackAt)
	consider(p.partitionAt)
	consider(p.stonithRetryAt)
	return d
}

// Word returns the current `cl_status rscstatus` answer.
func (p *Planner) Word() string { return p.word() }

// FailedHere returns the keys of groups that failed to start on this node and are not retried automatically.
func (p *Planner) FailedHere() []string {
	var ks []string
	for _, g := range p.cfg.Groups {
		if p.failed[g.Key()] {
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

func msg(kv ...string) *wire.Message {
	m := &wire.Message{Fields: make([]wire.Field, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

func (p *Planner) send(kv ...string) { p.emit(Send{msg(kv...)}) }

// sendHeld sends our resource state (stock's hb_send_resources_held).
func (p *Planner) sendHeld(stable bool, comment string) {
	if !p.nice {
		return
	}
	p.emit(Send{p.heldMsg(stable, comment)})
}

func (p *Planner) heldMsg(stable bool, comment string) *wire.Message {
	st := "0"
	if stable {
		st = "1"
	}
	m := msg("t", "resource", "rsc_hold", p.iHold.String(), "rtype", "full", "isstable", st)
	if comment != "" {
		m.Add("info", comment)
	}
	return m
}

func (p *Planner) sendStandby(info string) {
	p.send("t", "ask_resources", "rsc_hold", p.sbType.String(), "info", info)
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
	p.nextOp++
	id := p.nextOp
	p.ops[id] = info
	for _, k := range info.groups {
		p.pending[k]++
	}
	p.emit(Op{ID: id, Kind: info.kind, Groups: slices.Clone(info.groups), Why: info.why})
	return id
}

// dropFailed removes groups that failed here from a take list (departure b).
func (p *Planner) dropFailed(keys []string, gaveUp bool) []string {
	out := keys[:0:0]
	for _, k := range keys {
		if !p.failed[k] {
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
	if p.announced || !p.localDone || !p.foreignDone {
		return
	}
	p.logf(Info, "Initial resource acquisition complete (%s)", reason)
	p.announced = true
}

// isStable is stock's hb_rsc_isstable, the "quiescent" rule (PROTOCOL §11.2).
func (p *Planner) isStable() bool {
	if !p.nice {
		return len(p.ops) == 0
	}
	if p.shutdownInProgress && p.state == stInit {
		return true
	}
	return p.otherStable && !p.takeover && p.sb == sbNot && p.sbRunning.IsZero() &&
		len(p.ops) == 0 && p.reqKids == 0 && (p.state == stStable || p.state == stShutdown || p.state == stInit)
}

func (p *Planner) word() string {
	if p.isStable() {
		return p.iHold.String()
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
