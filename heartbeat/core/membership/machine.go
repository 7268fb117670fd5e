package membership

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"time"

	"hbgo/heartbeat/core/wire"
)

// Node status words (PROTOCOL §7.1).
const (
	StInit   = "init"
	StUp     = "up"
	StActive = "active"
	StDead   = "dead"
	StPing   = "ping"
)

// Limits from heartbeat's source, as documented in PROTOCOL §6.1 and §9.
const (
	histSize        = 500 // MAXMSGHIST
	maxMissing      = 500 // missing-seq set size
	flowLimit       = 250 // FLOWCONTROL_LIMIT: larger gaps are not requested
	maxRexmitPerReq = 50
	reqnodesRetry   = 1000 * time.Millisecond
	startBumpFor    = 5 * time.Second
	startBump       = 2000 * time.Millisecond

	// hbgo limits on what a replayed (authentic but old) control message
	// can cost: see filterNS and nak.
	lineEvery    = time.Minute // one line per reason per peer per interval
	nakEvery     = time.Minute // one NS_nak_rexmit per seq per peer per interval
	naksPerEvery = 10          // and at most this many per peer per interval
	maxNSSeen    = 1024        // NS_ fingerprints remembered per peer
	maxPeerDTMul = 10          // a peer's dt is capped at 10×deadtime+restartBump
	restartBump  = 30 * time.Second
)

type link struct {
	name string
	st   string // "up" or "dead" (stock starts every link dead)
	last time.Time
}

type node struct {
	name  string
	ping  bool
	st    string
	uuid  [16]byte
	links []*link

	deadInterval    time.Duration // from the peer's dt
	lastStatus      time.Time     // liveness timestamp
	localLastUpdate time.Time     // arrival of the previous status (zero: none)
	rmtLastUpdate   uint64        // ts of the last accepted status
	statusSeq       uint64
	heard           bool // anypacketsyet

	gen          uint64
	lastSeq      uint64               // 0 = none
	missing      map[uint64]time.Time // missing seq -> next NS_rexmit (zero: none)
	firstMissing uint64
	ackSeq       uint64 // highest of our seqs this node acknowledged
	ackTrigger   uint64

	// hbgo replay defences (DESIGN.md "Threat model").
	genLoaded bool                 // gen came from PeerSeen, not from a status of this run
	seqFloor  uint64               // seqs of gen up to this were seen before our restart
	nsSeen    map[string]uint64    // fingerprint of a kept NS_ message -> its ts
	nakAt     map[uint64]time.Time // seq -> when we last sent NS_nak_rexmit for it
	nakFrom   time.Time            // start of the current nak budget interval
	naks      int                  // naks sent since nakFrom
	lineAt    map[string]time.Time // rate-limit reason -> when its line was last logged
	lineSup   map[string]int       // rate-limit reason -> lines held back since
}

type histEntry struct {
	seq        uint64
	msg        *wire.Message
	out        *outMsg // msg's storage when this machine made it (newOutMsg); nil: not reused
	lastRexmit time.Time
}

// Counters are the machine's packet statistics (received ones exclude our own loopback).
type Counters struct {
	Received, Kept, Duplicates, Dropped uint64
	Sent, RexmitRequested, RexmitServed uint64
	// Drops counts Dropped by reason (the Drop* constants).
	Drops map[string]uint64
}

// Reasons membership drops a received packet for (Counters.Drops keys, Log.Drop).
const (
	DropMissingField = "missing-field" // no t, src, ts or seq (PROTOCOL §6 step 5)
	DropBadNode      = "bad-node"      // from a node not in ha.cf
	DropReplay       = "replay"        // an older generation than the node's
	DropBadNumber    = "bad-number"    // seq, hg, ts or firstseq that does not parse
	DropOld          = "old"           // an old duplicate or a stale status
	DropNotToUs      = "not-to-us"     // addressed to another node (not an attack)
	DropNak          = "nak"           // NS_nak_rexmit, consumed by the filter
	DropDeadNode     = "dead-node"     // anything but status from a node declared dead
	DropStale        = "stale"         // an NS_ message older than its sender's last status, or before any
	DropBadDT        = "bad-dt"        // a status whose dt is out of bounds (clamped, not dropped)
)

// Machine is the membership state machine; not safe for concurrent use.
type Machine struct {
	p     Params
	rnd   *rand.Rand
	now   time.Time
	why   string // the Drop* reason filter gave for its last drop verdict
	start time.Time

	st          string
	extra       time.Duration
	nodes       []*node // normal nodes (ha.cf order) then ping nodes
	byName      map[string]*node
	self        *node
	flowControl bool
	linked      bool
	commUp      bool

	seq        uint64
	hist       [histSize]histEntry
	spare      []*outMsg // storage of freed messages, for newOutMsg
	freed      []*outMsg // freed since the last StepInto returned (free)
	handed     []*outMsg // freed before it returned: reused after the next Release
	histLow    uint64    // lowseq: every seq <= histLow is gone from the history
	histAck    uint64    // the cluster-wide ackseq (minimum over the nodes)
	nextKA     time.Time
	bumpEnd    time.Time
	reqnodesAt time.Time // zero: no reqnodes pending

	out      []Action
	fp       []byte // nsFingerprint's buffer
	counters Counters
}

// New builds a machine started at now; the first Step returns the start-up actions.
func New(p Params, now time.Time, rnd *rand.Rand) *Machine {
	if p.MaxRexmitDelay <= 0 {
		p.MaxRexmitDelay = 250 * time.Millisecond
	}
	if p.Deadping <= 0 {
		p.Deadping = p.Deadtime
	}
	p.Node = strings.ToLower(p.Node)
	m := &Machine{p: p, rnd: rnd, now: now, start: now, byName: map[string]*node{},
		flowControl: !p.NoFlowControl}
	add := func(name string, ping bool) {
		name = strings.ToLower(name)
		if _, dup := m.byName[name]; dup {
			return
		}
		n := &node{name: name, ping: ping, st: StInit, deadInterval: p.Deadtime, lastStatus: now,
			missing: map[uint64]time.Time{}, ackTrigger: uint64(rnd.Intn(10)),
			nsSeen: map[string]uint64{}, nakAt: map[uint64]time.Time{},
			lineAt: map[string]time.Time{}, lineSup: map[string]int{}}
		if mk, ok := p.PeerSeen[name]; ok && !ping && name != p.Node {
			n.gen, n.seqFloor, n.genLoaded = mk.Gen, mk.Seq, true
		}
		if ping {
			// COMPAT §2.5: ping nodes get one link named after themselves.
			n.deadInterval = p.Deadping
			n.links = []*link{{name: name, st: StDead, last: now}}
		} else {
			for _, l := range p.Links {
				n.links = append(n.links, &link{name: l, st: StDead, last: now})
			}
		}
		m.nodes = append(m.nodes, n)
		m.byName[name] = n
	}
	for _, n := range p.Nodes {
		add(n, false)
	}
	add(p.Node, false)
	for _, n := range p.PingNodes {
		add(n, true)
	}
	m.self = m.byName[strings.ToLower(p.Node)]
	m.self.uuid = p.UUID
	m.self.heard = true

	// PROTOCOL §7.1 [verified]: st=init first (the start-up dt bump), then st=up
	// from set_local_status, then st=up again from the keepalive timer, which
	// first fires on the first Tick.
	m.bumpEnd = now.Add(startBumpFor)
	m.st = StInit
	m.self.st = StInit
	m.sendStatus()
	m.setStatus(StUp)
	m.nextKA = now
	return m
}

// Step feeds one event to the machine and returns the actions to carry out, in order.
func (m *Machine) Step(ev Event) []Action { return m.StepInto(nil, ev) }

// StepInto is Step with the actions appended to dst[:0], so that a caller
// can reuse one slice for every step instead of a new one per step.
func (m *Machine) StepInto(dst []Action, ev Event) []Action {
	m.out = append(dst[:0], m.out...) // New's start-up actions come first
	switch e := ev.(type) {
	case Tick:
		m.advance(e.Now)
	case Recv:
		m.advance(e.At)
		if e.Msg != nil {
			m.receive(e.Msg, e.Link, false)
		}
	case Originate:
		m.advance(e.At)
		if e.Msg != nil {
			m.originate(e.Msg)
		}
	case SetStatus:
		m.advance(e.At)
		extraChanged := e.Extra != m.extra
		m.extra = e.Extra
		switch {
		case e.St != "" && e.St != m.st && e.St != StDead:
			// PROTOCOL §7.1: st=dead is never sent.
			m.setStatus(e.St)
		case extraChanged:
			m.sendStatus()
		}
	case PingReply:
		m.advance(e.At)
		m.pingReply(e.Node, e.TS)
	}
	out := m.out
	m.out = nil
	// What was freed up to here may be named by out: it waits for the
	// caller to carry out out (Release).
	m.handed = append(m.handed, m.freed...)
	clear(m.freed)
	m.freed = m.freed[:0]
	return out
}

// advance moves the clock (never backwards) and runs every timer that is due.
func (m *Machine) advance(t time.Time) {
	if !t.IsZero() && t.After(m.now) {
		m.now = t
	}
	now := m.now
	if !m.bumpEnd.IsZero() && !now.Before(m.bumpEnd) {
		// PROTOCOL §10.3: the advertised deadtime changes, which sends a status.
		m.bumpEnd = time.Time{}
		m.sendStatus()
		m.nextKA = now.Add(m.p.Keepalive)
	}
	if !now.Before(m.nextKA) {
		m.sendStatus()
		m.nextKA = now.Add(m.p.Keepalive)
	}
	m.checkTimeouts()
	m.runRexmitTimers()
	if !m.reqnodesAt.IsZero() && !now.Before(m.reqnodesAt) {
		m.reqnodesAt = time.Time{}
		m.askNodes()
	}
}

// NextDeadline is the instant the machine next needs a Tick.
func (m *Machine) NextDeadline() time.Time {
	d := m.nextKA
	min := func(t time.Time) {
		if !t.IsZero() && t.Before(d) {
			d = t
		}
	}
	min(m.bumpEnd)
	min(m.reqnodesAt)
	li := m.linkInterval()
	for _, n := range m.nodes {
		if n != m.self && n.st != StDead {
			min(n.lastStatus.Add(m.deadInterval(n) + time.Millisecond))
		}
		for _, l := range n.links {
			if l.st == "up" && n != m.self {
				min(l.last.Add(li + time.Millisecond))
			}
		}
		for _, at := range n.missing {
			min(at) // zero: no request pending
		}
	}
	return d
}

func (m *Machine) log(l Level, format string, a ...any) {
	m.out = append(m.out, Log{Level: l, Text: fmt.Sprintf(format, a...)})
}

// logDrop logs a line about a dropped packet, tagged with its reason so the
// daemon can rate-limit it.
func (m *Machine) logDrop(why string, l Level, format string, a ...any) {
	m.out = append(m.out, Log{Level: l, Text: fmt.Sprintf(format, a...), Drop: why})
}

// limited logs a line about peer n at most once per lineEvery for each
// reason: the lines a replayed or repeated control message can trigger at
// will (stock logs every one). The next line let through says how many
// were held back.
func (m *Machine) limited(n *node, reason string, l Level, format string, a ...any) {
	if ok, more := m.allowLine(n, reason); ok {
		m.log(l, "%s", fmt.Sprintf(format, a...)+more)
	}
}

// allowLine reports whether a line for reason about n may be logged now;
// more is the suffix saying how many were held back since the last one.
func (m *Machine) allowLine(n *node, reason string) (ok bool, more string) {
	if at, seen := n.lineAt[reason]; seen && m.now.Sub(at) < lineEvery {
		n.lineSup[reason]++
		return false, ""
	}
	if k := n.lineSup[reason]; k > 0 {
		more = fmt.Sprintf(" (hbgo: %d more like it in the last %s)", k, m.now.Sub(n.lineAt[reason]).Round(time.Second))
	}
	n.lineAt[reason] = m.now
	n.lineSup[reason] = 0
	return true, more
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

// setStatus is set_local_status: the new status is sent, then logged.
func (m *Machine) setStatus(st string) {
	m.st = st
	m.self.st = st
	m.sendStatus()
	m.log(Info, "Local status now set to: '%s'", st)
}

// advertisedDeadtime is the dt we send (PROTOCOL §10.3).
func (m *Machine) advertisedDeadtime() time.Duration {
	// hb_add_deadtime raises dead_ticks to deadtime+increment: bumps do not add up.
	inc := m.extra
	if !m.bumpEnd.IsZero() && startBump > inc {
		inc = startBump
	}
	return m.p.Deadtime + inc
}

func (m *Machine) sendStatus() {
	out, vals := m.newOutMsg()
	msg := &out.msg
	msg.AddBytes(wire.FType, putStr(&vals, "status"))
	msg.AddBytes("st", putStr(&vals, m.st))
	msg.AddBytes("dt", putInt(&vals, m.advertisedDeadtime().Milliseconds(), 16))
	if m.flowControl {
		msg.AddBytes("protocol", putStr(&vals, "1"))
	}
	if m.p.StatusExtra != nil {
		m.p.StatusExtra(msg)
	}
	m.originateIn(msg, vals, out)
}

// outMsg is a message this node originates with room for a status's
// fields and their values. Its storage is reused once the message is
// freed (acknowledged, overwritten in the history, or an ACK sent) and
// every action that may name it has been carried out (Release): an idle
// node otherwise allocated 1.4 KB for each status and ACK it sent, most
// of its garbage, which set its collections' pace.
type outMsg struct {
	msg    wire.Message
	fields [14]wire.Field
	vals   [192]byte
}

// keepSpare bounds the storage kept for reuse: an idle node frees one
// status per keepalive and an ACK now and then; a burst beyond goes to
// the garbage collector.
const keepSpare = 16

// newOutMsg returns an empty message of this machine's and the buffer for its values.
func (m *Machine) newOutMsg() (*outMsg, []byte) {
	var o *outMsg
	if k := len(m.spare); k > 0 {
		o, m.spare[k-1] = m.spare[k-1], nil
		m.spare = m.spare[:k-1]
	} else {
		o = &outMsg{}
	}
	o.msg = wire.Message{Fields: o.fields[:0]}
	return o, o.vals[:0]
}

// free marks o's message as needed no more by the machine. A Send of it
// may still wait in this step's actions, or in New's, which the first
// step returns: it is reused only after a Release that follows the step
// that returned them. nil (a message not made by newOutMsg) is ignored.
func (m *Machine) free(o *outMsg) {
	if o != nil && len(m.freed)+len(m.handed) < keepSpare {
		m.freed = append(m.freed, o)
	}
}

// Release tells the machine that the caller has carried out every action
// StepInto has returned so far, so the messages freed before those steps
// returned may be reused. A caller that never calls it gets no reuse
// (and the machine keeps no more than keepSpare).
func (m *Machine) Release() {
	for _, o := range m.handed {
		if len(m.spare) < keepSpare {
			m.spare = append(m.spare, o)
		}
	}
	clear(m.handed)
	m.handed = m.handed[:0]
}

// putStr appends s to *buf and returns it as a field value of its own
// (capacity capped, so an append to it cannot run into the next value).
func putStr(buf *[]byte, s string) []byte {
	i := len(*buf)
	*buf = append(*buf, s...)
	return (*buf)[i:len(*buf):len(*buf)]
}

// putInt is putStr of n in base.
func putInt(buf *[]byte, n int64, base int) []byte {
	i := len(*buf)
	*buf = strconv.AppendInt(*buf, n, base)
	return (*buf)[i:len(*buf):len(*buf)]
}

// putUint is putStr of n in base.
func putUint(buf *[]byte, n uint64, base int) []byte {
	i := len(*buf)
	*buf = strconv.AppendUint(*buf, n, base)
	return (*buf)[i:len(*buf):len(*buf)]
}

// deadInterval is how long node n may stay silent (PROTOCOL §10.3).
func (m *Machine) deadInterval(n *node) time.Duration {
	if !m.linked {
		return m.p.Initdead
	}
	return n.deadInterval
}

// linkInterval is the dead interval of the last node in the table: COMPAT/PROTOCOL §10.3,
// stock compares every link against the value left over from its node loop.
func (m *Machine) linkInterval() time.Duration {
	return m.deadInterval(m.nodes[len(m.nodes)-1])
}

func isNS(t string) bool { return strings.HasPrefix(t, "NS_") }

// originate adds the control fields (PROTOCOL §5, Appendix B), loops the message back
// through the receive pipeline and sends it.
func (m *Machine) originate(msg *wire.Message) { m.originateIn(msg, nil, nil) }

// originateIn is originate with the values it adds appended to vals, the
// spare room of the message's own allocation (newOutMsg).
func (m *Machine) originateIn(msg *wire.Message, vals []byte, out *outMsg) {
	tb, _ := msg.Value(wire.FType)
	t := msgType(tb)
	ns := isNS(t)
	set := func(name string, v []byte) {
		if ns && msg.Has(name) {
			return
		}
		msg.SetBytes(name, v)
	}
	if dest, ok := msg.Value(wire.FDest); ok {
		if dn := m.nodeByName(dest); dn != nil && dn.uuid != ([16]byte{}) && !msg.Has(wire.FDestUUID) {
			msg.AddBinary(wire.FDestUUID, putStr(&vals, string(dn.uuid[:])))
		}
	} else if u, ok := msg.Bytes(wire.FDestUUID); ok {
		if dn := m.nodeByUUID(u); dn != nil {
			msg.AddBytes(wire.FDest, putStr(&vals, dn.name))
		}
	}
	set(wire.FSrc, putStr(&vals, m.p.Node))
	if !(ns && msg.Has(wire.FSrcUUID)) {
		msg.Del(wire.FSrcUUID)
		msg.AddBinary(wire.FSrcUUID, putStr(&vals, string(m.p.UUID[:])))
	}
	var seq uint64
	if !ns {
		m.seq++
		seq = m.seq
		set(wire.FSeq, putUint(&vals, seq, 16))
	}
	set(wire.FGen, putUint(&vals, m.p.Generation, 16))
	set(wire.FTime, putInt(&vals, m.now.Unix(), 16))
	if !ns {
		var ld []byte
		if m.p.Load != nil {
			i := len(vals)
			vals = m.p.Load(vals)
			ld = vals[i:len(vals):len(vals)]
		} else {
			ld = putStr(&vals, "n/a")
		}
		set(wire.FLoad, ld)
	}
	set(wire.FTTL, putInt(&vals, int64(m.p.HopFudge+len(m.nodes)), 10))
	if !ns {
		m.remember(seq, msg, out)
	}
	// PROTOCOL §6: processed locally before it reaches the media, so anything the
	// loopback generates goes out first (the [verified] out-of-order seqs).
	m.receive(msg, "", true)
	m.counters.Sent++
	m.emit(Send{Msg: msg})
	if ns {
		m.free(out) // not kept for retransmission
	}
}

// remember stores a sequenced message in the 500-slot history (PROTOCOL §9.1, §9.4).
func (m *Machine) remember(seq uint64, msg *wire.Message, out *outMsg) {
	old := m.hist[seq%histSize]
	if old.msg != nil && old.seq > m.histLow {
		m.histLow = old.seq // the overwritten slot: stock's lowseq
	}
	m.free(old.out)
	m.hist[seq%histSize] = histEntry{seq: seq, msg: msg, out: out}
	live := m.liveCount()
	if m.flowControl && live > 1 {
		if n := seq - m.histLow; n > histSize*9/10 {
			m.log(Error, "Message hist queue is filling up (%d messages in queue)", n)
		} else if n > histSize*3/4 {
			m.log(Warn, "Message hist queue is filling up (%d messages in queue)", n)
		}
	}
	if m.flowControl && seq-m.histAck > flowLimit && live < 2 {
		// With fewer than two live nodes the ack point advances by itself.
		m.updateAck(seq - (flowLimit - 1))
	}
}

// updateAck moves the cluster-wide ackseq forward and frees the history up to it.
func (m *Machine) updateAck(a uint64) {
	if a <= m.histAck {
		return
	}
	m.histAck = a
	for s := m.histLow + 1; s <= a && s <= m.seq; s++ {
		if h := &m.hist[s%histSize]; h.seq == s {
			m.free(h.out)
			*h = histEntry{}
		}
	}
	if a > m.histLow {
		m.histLow = a
	}
}

// liveCount is stock's live_node_count: us plus the normal nodes neither init nor dead.
func (m *Machine) liveCount() int {
	c := 0
	for _, n := range m.nodes {
		if !n.ping && (n == m.self || (n.st != StInit && n.st != StDead)) {
			c++
		}
	}
	return c
}

func (m *Machine) nodeByUUID(u []byte) *node {
	if len(u) != 16 || [16]byte(u) == ([16]byte{}) {
		return nil
	}
	for _, n := range m.nodes {
		if n.uuid == [16]byte(u) {
			return n
		}
	}
	return nil
}

// learnUUID is update_tables (hb_uuid.c): remember a node's srcuuid and log changes.
// src is the message's src field, compared case-insensitively.
func (m *Machine) learnUUID(n *node, srcb []byte, msg *wire.Message) {
	u, ok := msg.Bytes(wire.FSrcUUID)
	if !ok || len(u) != 16 || [16]byte(u) == ([16]byte{}) {
		return
	}
	id := [16]byte(u)
	if n.uuid == id {
		if n.name != string(srcb) { // no string made unless they differ
			if src := strings.ToLower(string(srcb)); n.name != src {
				// Stock renames the node entry; with a fixed ha.cf node list we
				// only report it (COMPAT: UUIDs must be unique per node).
				m.log(Warn, "nodename %s uuid changed to %s", n.name, src)
			}
		}
		return
	}
	if n.uuid != ([16]byte{}) {
		m.log(Info, "node %s changed its uuid to %s", n.name, FormatUUID(id))
	}
	n.uuid = id
}

// parseHex is strconv.ParseUint(string(b), 16, 64) without the string.
func parseHex(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		if v>>60 != 0 {
			return 0, false // overflow
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// hexField is parseHex of msg's string field name (false when absent).
func hexField(msg *wire.Message, name string) (uint64, bool) {
	v, _ := msg.Value(name)
	return parseHex(v)
}

// msgType is the t field's value as a string, without allocating for
// the types an idle pair sends.
func msgType(b []byte) string {
	switch string(b) {
	case "status":
		return "status"
	case "NS_ackmsg":
		return "NS_ackmsg"
	case "NS_rexmit":
		return "NS_rexmit"
	case "NS_nak_rexmit":
		return "NS_nak_rexmit"
	case "NS_st":
		return "NS_st"
	}
	return string(b)
}

// stWord is a status word as a string, without allocating for stock's.
func stWord(b []byte) string {
	switch string(b) {
	case StInit:
		return StInit
	case StUp:
		return StUp
	case StActive:
		return StActive
	case StDead:
		return StDead
	case StPing:
		return StPing
	}
	return string(b)
}

// nodeByName finds a node by a message's src or dest as stock does,
// case-insensitively (the table's names are lower case); it allocates only
// for a name with capitals.
func (m *Machine) nodeByName(b []byte) *node {
	if n := m.byName[string(b)]; n != nil {
		return n
	}
	return m.byName[strings.ToLower(string(b))]
}

type verdict int

const (
	keep verdict = iota
	duplicate
	drop
)

// receive is the pipeline of PROTOCOL §6 steps 5-10.
func (m *Machine) receive(msg *wire.Message, lnk string, local bool) {
	if !local {
		m.counters.Received++
	}
	tb, okT := msg.Value(wire.FType)
	srcb, okS := msg.Value(wire.FSrc)
	tsb, okTS := msg.Value(wire.FTime)
	ts, tsValid := parseHex(tsb)
	iface := lnk
	if iface == "" {
		iface = "?"
	}
	if !okT || !okS || !okTS {
		src := string(srcb)
		if !okS {
			src = "<?>"
		}
		m.logDrop(DropMissingField, Error, "process_clustermsg: missing from/ts/type: iface %s, from %s", iface, src)
		m.dropped(local, DropMissingField)
		return
	}
	t := msgType(tb)
	ns := isNS(t)
	if !ns && !msg.Has(wire.FSeq) {
		m.logDrop(DropMissingField, Error, "process_clustermsg: missing seqno: iface %s, from %s", iface, srcb)
		m.dropped(local, DropMissingField)
		return
	}
	if !tsValid || ts == 0 {
		m.dropped(local, DropBadNumber) // stock drops a bad ts silently
		return
	}
	var from *node
	if u, ok := msg.Bytes(wire.FSrcUUID); ok {
		from = m.nodeByUUID(u)
	}
	if from == nil {
		from = m.nodeByName(srcb)
		if from != nil && from.ping {
			from = nil
		}
	}
	if from == nil {
		m.logDrop(DropBadNode, Error, "process_status_message: bad node [%s] in message", srcb)
		m.dropped(local, DropBadNode)
		return
	}
	if from != m.self {
		m.learnUUID(from, srcb, msg)
	}
	if from == m.self && !local {
		// COMPAT §2.5 / PROTOCOL §6: our own bcast/mcast datagram; the loopback
		// already processed it, so it only refreshes our link.
		m.count(local, &m.counters.Duplicates)
		m.refreshLink(from, lnk)
		return
	}
	m.why = ""
	v := m.filter(from, msg, t, ns)
	switch v {
	case drop:
		if m.why == DropNotToUs {
			from.heard = true // in sequence, just for another node
		}
		m.dropped(local, m.why)
		return
	}
	// hbgo: stock counts any packet towards comm up (anypacketsyet, PROTOCOL
	// §6 step 7), a replayed or stale one too; here only one the filter
	// kept or saw before.
	from.heard = true
	switch v {
	case duplicate:
		m.count(local, &m.counters.Duplicates)
		m.refreshLink(from, lnk)
		return
	}
	m.count(local, &m.counters.Kept)
	m.refreshLink(from, lnk)
	m.dispatch(from, msg, t, ts, local)
	m.checkComm()
}

// dropped counts a dropped packet from the network under its reason.
func (m *Machine) dropped(local bool, why string) {
	if local {
		return
	}
	m.counters.Dropped++
	if m.counters.Drops == nil {
		m.counters.Drops = map[string]uint64{}
	}
	m.counters.Drops[why]++
}

// count bumps a packet counter for packets from the network (not our loopback).
func (m *Machine) count(local bool, c *uint64) {
	if !local {
		*c++
	}
}

func (m *Machine) refreshLink(n *node, name string) {
	if name == "" {
		return
	}
	var l *link
	for _, x := range n.links {
		if x.name == name {
			l = x
		}
	}
	if l == nil {
		return // lookup_iface: a medium we do not have updates nothing
	}
	l.last = m.now
	if l.st != "up" {
		l.st = "up"
		m.log(Info, "Link %s:%s up.", n.name, name)
		m.emit(LinkStatus{Node: n.name, Link: name, Up: true})
	}
}

func (m *Machine) isToUs(msg *wire.Message) bool {
	if u, ok := msg.Bytes(wire.FDestUUID); ok && len(u) == 16 && [16]byte(u) != ([16]byte{}) {
		return [16]byte(u) == m.p.UUID
	}
	d, ok := msg.Value(wire.FDest)
	return !ok || string(d) == m.p.Node
}

// keepIf keeps a packet addressed to us and drops one addressed elsewhere.
func (m *Machine) keepIf(toUs bool) verdict {
	if toUs {
		return keep
	}
	m.why = DropNotToUs
	return drop
}

// filter is the sequence/duplicate filter of PROTOCOL §6.1.
func (m *Machine) filter(n *node, msg *wire.Message, t string, ns bool) verdict {
	if ns {
		return m.filterUnsequenced(n, msg, t)
	}
	seq, gen, ok := m.seqGen(n, msg)
	if !ok {
		return drop
	}
	toUs := m.isToUs(msg)
	if m.refuseStale(n, t, seq, gen) {
		return drop
	}
	special := false
	if t == "status" && n != m.self {
		var v verdict
		var done bool
		if special, v, done = m.statusGeneration(n, seq, gen, toUs); done {
			return v
		}
	}
	return m.sequence(n, seq, toUs, special)
}

// filterUnsequenced filters the NS_ messages, which carry no seq: filterNS's window, and the NS_nak_rexmit that ends a wait for a lost packet.
func (m *Machine) filterUnsequenced(n *node, msg *wire.Message, t string) verdict {
	if n != m.self {
		if v, done := m.filterNS(n, msg, t); done {
			return v
		}
	}
	d, hasDest := msg.Value(wire.FDest)
	toUs := !hasDest || string(d) == m.p.Node
	if t == "NS_nak_rexmit" {
		s, ok := hexField(msg, "firstseq")
		if !ok || s == 0 {
			m.logDrop(DropBadNumber, Error, "should_drop_message: bad nak seq number")
			m.why = DropBadNumber
			return drop
		}
		if !hasDest {
			m.limited(n, "nak-nodest", Warn, "should_drop_message: tonodename not found heartbeat version not matching?")
		}
		if toUs {
			m.limited(n, "nak-lost", Error, "Irretrievably lost packet: node %s seq %d", n.name, s)
		}
		m.gotMissing(n, s) // whoever asked, stock stops waiting for it
		m.why = DropNak
		return drop
	}
	return m.keepIf(toUs)
}

// seqGen reads a message's seq and generation (the node's current one when absent); false means it was dropped as malformed.
func (m *Machine) seqGen(n *node, msg *wire.Message) (seq, gen uint64, ok bool) {
	seq, ok = hexField(msg, wire.FSeq)
	if !ok || seq == 0 {
		m.logDrop(DropBadNumber, Error, "should_drop_message: bad sequence number")
		m.why = DropBadNumber
		return 0, 0, false
	}
	gen = n.gen
	if g, ok := msg.Value(wire.FGen); ok {
		if gen, ok = parseHex(g); !ok {
			m.logDrop(DropBadNumber, Error, "should_drop_message: bad generation number")
			m.why = DropBadNumber
			return 0, 0, false
		}
	}
	return seq, gen, true
}

// refuseStale drops (and reports true for) a replay of an older generation, of a seq seen before our restart, or anything but a status from a dead node.
func (m *Machine) refuseStale(n *node, t string, seq, gen uint64) bool {
	if gen < n.gen {
		m.logDrop(DropReplay, Error, "should_drop_message: attempted replay attack [%s]? [gen = %d, curgen = %d]", n.name, gen, n.gen)
		m.why = DropReplay
		return true
	}
	if gen == n.gen && seq <= n.seqFloor {
		// hbgo: stock forgets every peer's generation when it restarts
		// (PROTOCOL §5.2), so after our restart a captured message of the
		// peer's current generation is new again. We remember the
		// generation and seq seen before the restart (Params.PeerSeen).
		m.logDrop(DropReplay, Error, "hbgo: replayed message from %s dropped: seq %d of generation %d was seen before our restart", n.name, seq, gen)
		m.why = DropReplay
		return true
	}
	if n.st == StDead && t != "status" && n != m.self {
		// hbgo: stock dispatches anything in sequence from a node it
		// declared dead (PROTOCOL §6.1) and, having reset its sequence
		// state at the death (§10.6), takes a replayed ip-request as new.
		// Only a status can bring a dead node back.
		m.logDrop(DropDeadNode, Warn, "hbgo: %s from %s, which is dead, dropped", t, n.name)
		m.why = DropDeadNode
		return true
	}
	return false
}

// statusGeneration takes a peer's status of the same generation after its death (a healed partition) or of a new one (a restart).
// special says an out-of-order seq restarts the tracking; done says the verdict v is final.
func (m *Machine) statusGeneration(n *node, seq, gen uint64, toUs bool) (special bool, v verdict, done bool) {
	if gen == n.gen && gen > 0 && n.st == StDead && !n.genLoaded {
		if seq <= n.statusSeq {
			m.why = DropOld
			return false, drop, true
		}
		special = true
		m.healed(n)
		if seq > n.lastSeq {
			// What it sent during the partition is stale now: like
			// stock, whose reset at the death has the same effect
			// (PROTOCOL §10.6), do not ask for it. Tracking goes on
			// from here, never back.
			m.resetSeqtrack(n)
			n.lastSeq = seq
			n.gen = gen
			m.maybeAck(n, seq)
			return special, m.keepIf(toUs), true
		}
	} else if gen > n.gen {
		if n.gen > 0 && !n.genLoaded {
			m.log(Info, "Heartbeat restart on node %s", n.name)
			m.emit(PeerRestarted{Node: n.name})
			special = true
		}
		m.resetSeqtrack(n)
		n.localLastUpdate = time.Time{}
		n.rmtLastUpdate = 0
		n.statusSeq = 0
		n.seqFloor = 0
		clear(n.nsSeen)
		m.emit(PeerSeen{Node: n.name, Mark: PeerMark{Gen: gen, Seq: seq}})
	}
	n.gen = gen
	n.genLoaded = false
	return special, keep, false
}

// sequence places seq in the node's sequence: next or first is kept, a repeat is a duplicate, a gap records the missing seqs, an older one is kept only when it was missing (or special restarts the tracking).
func (m *Machine) sequence(n *node, seq uint64, toUs, special bool) verdict {
	switch {
	case n.lastSeq == 0 || seq == n.lastSeq+1:
		n.lastSeq = seq
		m.maybeAck(n, seq)
		return m.keepIf(toUs)
	case seq == n.lastSeq:
		return duplicate
	case seq > n.lastSeq+1:
		gap := seq - n.lastSeq - 1
		m.log(Warn, "%d lost packet(s) for [%s] [%d:%d]", gap, n.name, n.lastSeq, seq)
		if gap > flowLimit {
			m.log(Error, "lost a lot of packets!")
			m.resetSeqtrack(n)
		} else {
			for s := n.lastSeq + 1; s < seq; s++ {
				m.addMissing(n, s)
			}
		}
		n.lastSeq = seq
		return m.keepIf(toUs)
	default: // seq < lastSeq
		if _, ok := n.missing[seq]; ok {
			m.gotMissing(n, seq)
			return m.keepIf(toUs)
		}
		if special {
			m.resetSeqtrack(n)
			n.lastSeq = seq
			m.maybeAck(n, seq)
			return m.keepIf(toUs)
		}
		m.why = DropOld
		return drop
	}
}

// filterNS checks an NS_ message from peer n for generation and freshness;
// done says the verdict is final.
//
// hbgo: stock checks neither on NS_ messages (PROTOCOL §6.1: no seq, "no
// duplicate suppression"), so one captured NS_rexmit replayed a thousand
// times is served, refused and logged a thousand times. NS_ messages carry
// hg and ts (§5) under the signature: only the generation whose status we
// hold, from a node not dead, no older than that status by more than
// nsWindow, is kept, and an identical one inside the window is a duplicate
// (so is the same request arriving on a second medium).
func (m *Machine) filterNS(n *node, msg *wire.Message, t string) (verdict, bool) {
	gen := n.gen
	if g, ok := msg.Value(wire.FGen); ok {
		var good bool
		if gen, good = parseHex(g); !good {
			m.logDrop(DropBadNumber, Error, "should_drop_message: bad generation number")
			m.why = DropBadNumber
			return drop, true
		}
	}
	switch {
	case gen < n.gen:
		m.logDrop(DropReplay, Error, "should_drop_message: attempted replay attack [%s]? [gen = %d, curgen = %d]", n.name, gen, n.gen)
		m.why = DropReplay
		return drop, true
	case n.st == StDead:
		m.logDrop(DropDeadNode, Warn, "hbgo: %s from %s, which is dead, dropped", t, n.name)
		m.why = DropDeadNode
		return drop, true
	case gen > n.gen || n.rmtLastUpdate == 0:
		m.logDrop(DropStale, Warn, "hbgo: %s from %s dropped: no status of its generation %d yet", t, n.name, gen)
		m.why = DropStale
		return drop, true
	}
	ts, _ := hexField(msg, wire.FTime) // receive checked it
	w := m.nsWindow()
	if ts+w < n.rmtLastUpdate {
		m.logDrop(DropStale, Warn, "hbgo: stale %s from %s dropped: sent %d s before its last status", t, n.name, n.rmtLastUpdate-ts)
		m.why = DropStale
		return drop, true
	}
	m.fp = nsFingerprint(m.fp[:0], msg)
	if _, dup := n.nsSeen[string(m.fp)]; dup {
		// A requester repeats an unanswered NS_rexmit every
		// max_rexmit_delay, byte for byte within the same second: the
		// repeat is served once ts has moved on, up to a second later.
		return duplicate, true
	}
	if len(n.nsSeen) >= maxNSSeen {
		for k, v := range n.nsSeen {
			if v+w < n.rmtLastUpdate {
				delete(n.nsSeen, k)
			}
		}
		if len(n.nsSeen) >= maxNSSeen {
			clear(n.nsSeen)
		}
	}
	n.nsSeen[string(m.fp)] = ts
	return keep, false
}

// nsWindow is how many seconds an NS_ message's ts may lag behind its
// sender's last status: NS_ messages and statuses are sent in any order
// within a keepalive, and ts counts whole seconds.
func (m *Machine) nsWindow() uint64 {
	w := max(2*m.p.Keepalive, 2*time.Second)
	return uint64((w + time.Second - 1) / time.Second)
}

// nsFingerprint identifies an NS_ message by all its fields (a replay is
// byte-identical: PROTOCOL §5.1).
// It is appended to b, reused between messages: the map's key is made of
// it only when the message is new.
func nsFingerprint(b []byte, msg *wire.Message) []byte {
	for _, f := range msg.Fields {
		b = append(b, f.Name...)
		b = append(b, 0)
		b = append(b, f.Value...)
		b = append(b, 0)
	}
	return b
}

// resetSeqtrack forgets the sequence state of n (3.0.6 also resets last_seq and ackseq, PROTOCOL §10.6).
func (m *Machine) resetSeqtrack(n *node) {
	n.lastSeq = 0
	n.ackSeq = 0
	n.firstMissing = 0
	clear(n.missing)
}

func (m *Machine) rexmitDelay() time.Duration {
	max := m.p.MaxRexmitDelay.Milliseconds()
	lo := int64(50)
	if max < 100 {
		lo = 0
	}
	return time.Duration(lo+m.rnd.Int63n(max-lo+1)) * time.Millisecond
}

func (m *Machine) addMissing(n *node, s uint64) {
	if len(n.missing) >= maxMissing {
		low := uint64(0)
		for k := range n.missing {
			if low == 0 || k < low {
				low = k
			}
		}
		delete(n.missing, low)
	}
	n.missing[s] = m.now.Add(m.rexmitDelay())
	n.firstMissing = m.lowestMissing(n)
}

func (m *Machine) lowestMissing(n *node) uint64 {
	low := uint64(0)
	for k := range n.missing {
		if low == 0 || k < low {
			low = k
		}
	}
	return low
}

// gotMissing removes s from n's missing set and sends the catch-up ACK of PROTOCOL §9.3.
func (m *Machine) gotMissing(n *node, s uint64) {
	if _, ok := n.missing[s]; !ok {
		return
	}
	delete(n.missing, s)
	old := n.firstMissing
	n.firstMissing = m.lowestMissing(n)
	if len(n.missing) == 0 {
		m.log(Info, "No pkts missing from %s!", n.name)
	}
	if s != old || !m.flowControl {
		return
	}
	l := n.lastSeq
	if n.firstMissing != 0 {
		l = n.firstMissing - 1
	}
	if l < n.ackTrigger {
		return
	}
	a := l - (l+10-n.ackTrigger)%10
	if a >= old && a > 0 {
		m.sendAck(n, a)
	}
}

func (m *Machine) maybeAck(n *node, seq uint64) {
	if !m.flowControl {
		return
	}
	// hbgo: never ACK a peer's seq 1. A just-started stock peer counts any
	// packet from us towards comm up, and an ACK of its first message can
	// reach it before our status does: in legacy mode it then takes its
	// group without asking and both nodes hold it (seen in
	// heartbeat/e2e/failover; stock's own ack_trigger makes the same race 1 in
	// 10). ACKs are cumulative, so the next one covers seq 1.
	if seq == 1 && n != m.self {
		return
	}
	if (len(n.missing) == 0 || seq <= n.firstMissing) && seq%10 == n.ackTrigger {
		m.sendAck(n, seq)
	}
}

func (m *Machine) sendAck(n *node, seq uint64) {
	out, vals := m.newOutMsg()
	a := &out.msg
	a.AddBytes(wire.FType, putStr(&vals, "NS_ackmsg"))
	a.AddBytes(wire.FDest, putStr(&vals, n.name))
	a.AddBytes("ackseq", putUint(&vals, seq, 16))
	m.originateIn(a, vals, out)
}

func (m *Machine) runRexmitTimers() {
	for _, n := range m.nodes {
		if len(n.missing) == 0 {
			continue
		}
		due := make([]uint64, 0, 4)
		for s, at := range n.missing {
			if !at.IsZero() && !m.now.Before(at) {
				due = append(due, s)
			}
		}
		sort.Slice(due, func(i, j int) bool { return due[i] < due[j] })
		for _, s := range due {
			if n.st != StUp && n.st != StActive {
				// PROTOCOL §9.2: requests only while the origin is up/active.
				n.missing[s] = time.Time{} // still missing, no longer requested

				continue
			}
			r := &wire.Message{}
			r.Add(wire.FType, "NS_rexmit")
			r.Add(wire.FDest, n.name)
			r.Add("firstseq", strconv.FormatUint(s, 10))
			r.Add("lastseq", strconv.FormatUint(s, 10))
			n.missing[s] = m.now.Add(m.p.MaxRexmitDelay)
			m.counters.RexmitRequested++
			m.originate(r)
		}
	}
}

// healed handles a dead node returning with the same generation (PROTOCOL §6.4, COMPAT §5.8).
func (m *Machine) healed(n *node) {
	m.log(Crit, "Cluster node %s returning after partition.", n.name)
	m.log(Info, "For information on cluster partitions, See URL: http://linux-ha.org/wiki/Split_Brain")
	m.log(Warn, "Deadtime value may be too small.")
	m.log(Info, "See FAQ for information on tuning deadtime.")
	m.log(Info, "URL: http://linux-ha.org/wiki/FAQ#Heavy_Load")
	m.emit(PartitionHealed{Node: n.name})
	m.sendStatus()
}

// dispatch hands a kept message to its handler. A received one (not
// local) is the caller's only during the Step (a reused Decoder's, say):
// what is delivered is a copy.
func (m *Machine) dispatch(n *node, msg *wire.Message, t string, ts uint64, local bool) {
	switch t {
	case "status":
		m.status(n, msg, ts)
	case "NS_ackmsg":
		m.ack(n, msg)
	case "NS_rexmit":
		if n != m.self {
			m.serveRexmit(n, msg)
		}
	case "reqnodes":
		if n != m.self {
			r := &wire.Message{}
			r.Add(wire.FDest, n.name)
			r.Add(wire.FType, "repnodes")
			var b strings.Builder
			for _, x := range m.nodes {
				if !x.ping {
					b.WriteString(x.name + " ")
				}
			}
			r.Add("nodelist", b.String())
			r.Add("delnodelist", " ")
			m.originate(r)
		}
	case "repnodes":
		// PROTOCOL §7.4: autojoin none, so the list changes nothing here; it
		// only completes the handshake.
		// HBDoMsg_T_REPNODES calls comm_now_up whether or not comm is linked.
		if n != m.self && !m.commUp {
			m.commNowUp()
		}
	case "NS_nak_rexmit", "NS_st", "ifstat":
	default:
		// PROTOCOL §8.2: resource handlers exist only after comm up; shutdone is
		// handled from the start. Like process_clustermsg, a message nobody
		// handles yet first re-checks comm, so the packet that brings comm up
		// is still delivered.
		if !m.commUp && t != "shutdone" {
			m.checkComm()
		}
		if m.commUp || t == "shutdone" {
			if !local {
				msg = msg.Clone()
			}
			m.emit(Deliver{From: n.name, Msg: msg})
		}
	}
}

// status is HBDoMsg_T_STATUS (PROTOCOL §7.1).
func (m *Machine) status(n *node, msg *wire.Message, ts uint64) {
	stb, ok := msg.Value("st")
	if !ok {
		m.log(Error, "HBDoMsg_T_STATUS: status update without st field")
		return
	}
	seq, _ := hexField(msg, wire.FSeq)
	if ts < n.rmtLastUpdate && seq < n.statusSeq {
		return
	}
	if n != m.self && !n.ping && m.flowControl && !msg.Has("protocol") {
		m.log(Info, "flow control disabled due to different version heartbeat")
		m.flowControl = false
	}
	if !n.localLastUpdate.IsZero() && n.st != StDead {
		gap := m.now.Sub(n.localLastUpdate).Milliseconds()
		if gap > m.p.Deadtime.Milliseconds() {
			m.log(Crit, "Late heartbeat: Node %s: interval %d ms (> deadtime)", n.name, gap)
			if n != m.self {
				// PROTOCOL §10.6: 3.0.6 marks the node dead at once, then
				// the status below makes it alive again, with nothing in
				// between to undo the takeover the death started: both
				// nodes hold the peer's group. hbgo resolves it as the
				// healed partition it is (§6.4): this node gives
				// everything up and restarts, the peer, which never saw
				// us die, keeps what it holds.
				m.markDead(n)
				m.healed(n)
			}
		} else if gap > m.p.Warntime.Milliseconds() {
			m.log(Warn, "Late heartbeat: Node %s: interval %d ms", n.name, gap)
		}
	}
	n.localLastUpdate = m.now
	n.lastStatus = m.now
	n.rmtLastUpdate = ts
	n.statusSeq = seq
	if dt, ok := hexField(msg, "dt"); ok && dt > 0 {
		// hbgo: stock takes any dt (PROTOCOL §10.3), and a huge one keeps
		// a silent peer "alive" for ever. Capped at ten times our
		// deadtime plus the 30 s restart bump.
		hi := maxPeerDTMul*m.p.Deadtime + restartBump
		if dt > uint64(hi/time.Millisecond) {
			m.limited(n, DropBadDT, Warn, "hbgo: node %s advertises deadtime %d ms; using %d ms", n.name, dt, hi.Milliseconds())
			dt = uint64(hi / time.Millisecond)
		}
		n.deadInterval = time.Duration(dt) * time.Millisecond
	}
	if n == m.self {
		return
	}
	if string(stb) != n.st {
		st := stWord(stb)
		old := n.st
		n.st = st
		m.log(Info, "Status update for node %s: status %s", n.name, st)
		m.emit(NodeStatus{Node: n.name, Old: old, New: st})
	}
}

// ack handles NS_ackmsg addressed to us (PROTOCOL §9.3, sender side).
func (m *Machine) ack(n *node, msg *wire.Message) {
	if !m.flowControl {
		return
	}
	a, ok := hexField(msg, "ackseq")
	if !ok || a == n.ackSeq || a <= m.histAck {
		return
	}
	if a > m.seq {
		m.limited(n, "ack-corrupt", Error, "HBDoMsg_T_ACK: corrupted ackseq current hiseq = %d ackseq =%d in this message", m.seq, a)
		return
	}
	if a < n.ackSeq {
		return
	}
	n.ackSeq = a
	var low uint64
	found := false
	for _, x := range m.nodes {
		if x.ping || x.st == StDead {
			continue
		}
		if !found || x.ackSeq < low {
			low, found = x.ackSeq, true
		}
	}
	if !found {
		return
	}
	newAck := m.histAck
	if m.liveCount() < 2 {
		if m.seq-newAck >= flowLimit {
			newAck = m.seq - (flowLimit - 1)
		}
	} else if low > 0 {
		newAck = low
	}
	m.updateAck(newAck)
}

// serveRexmit answers NS_rexmit from the history (PROTOCOL §9.2, responder side).
func (m *Machine) serveRexmit(n *node, msg *wire.Message) {
	first, err1 := strconv.Atoi(msg.Str("firstseq"))
	last, err2 := strconv.Atoi(msg.Str("lastseq"))
	if err1 != nil || err2 != nil || first <= 0 || last < first {
		m.limited(n, "rexmit-invalid", Error, "Invalid rexmit seqnos")
		return
	}
	guard := m.rexmitGuard()
	sent := 0
	for s := uint64(first); s <= uint64(last) && sent < maxRexmitPerReq; s++ {
		if s <= n.ackSeq {
			continue
		}
		if s <= m.histLow {
			m.nak(n, s, "seqno too low")
			continue
		}
		if s > m.seq {
			// Stock warns once per seq and carries on; one warning is enough
			// and keeps a hostile lastseq from looping for billions of seqs.
			m.limited(n, "rexmit-max", Warn, "Rexmit of seq %d requested. %d is max.", s, m.seq)
			break
		}
		h := &m.hist[s%histSize]
		if h.seq != s || h.msg == nil {
			m.nak(n, s, "seqno not found")
			continue
		}
		if !h.lastRexmit.IsZero() && m.now.Sub(h.lastRexmit) < guard {
			continue
		}
		h.lastRexmit = m.now
		sent++
		m.counters.RexmitServed++
		m.emit(Send{Msg: h.msg, Rexmit: true})
	}
}

// rexmitGuard is how long a history entry is not sent again (PROTOCOL §9.2).
func (m *Machine) rexmitGuard() time.Duration { return m.p.MaxRexmitDelay - 10*time.Millisecond }

// nak refuses a retransmission. hbgo: stock sends a NS_nak_rexmit and
// logs four lines for every seq of every request (PROTOCOL §9.2); here a
// seq is refused at most once per nakEvery, at most naksPerEvery refusals
// go to one peer per nakEvery, and the four lines are logged once per
// lineEvery.
func (m *Machine) nak(n *node, s uint64, why string) {
	if at, ok := n.nakAt[s]; ok && m.now.Sub(at) < nakEvery {
		return
	}
	if m.now.Sub(n.nakFrom) >= nakEvery {
		n.nakFrom, n.naks = m.now, 0
	}
	if n.naks >= naksPerEvery {
		m.limited(n, "nak-budget", Warn, "hbgo: not refusing more retransmissions to %s: %d refused in the last %s", n.name, n.naks, nakEvery)
		return
	}
	n.naks++
	if len(n.nakAt) >= maxNSSeen {
		for k, at := range n.nakAt {
			if m.now.Sub(at) >= nakEvery {
				delete(n.nakAt, k)
			}
		}
	}
	n.nakAt[s] = m.now
	if ok, more := m.allowLine(n, "nak"); ok {
		m.log(Error, "Cannot rexmit pkt %d for %s: %s%s", s, n.name, why, more)
		m.log(Info, "fromnode =%s, fromnode's ackseq = %d", n.name, n.ackSeq)
		m.log(Info, "hist information:")
		m.log(Info, "hiseq =%d, lowseq=%d,ackseq=%d,lastmsg=%d", m.seq, m.histLow, m.histAck, (m.seq+histSize-1)%histSize)
	}
	r := &wire.Message{}
	r.Add(wire.FType, "NS_nak_rexmit")
	r.Add("firstseq", strconv.FormatUint(s, 16))
	r.Add(wire.FDest, n.name)
	r.Add("info", why)
	m.originate(r)
}

// markDead is mark_node_dead (PROTOCOL §8.1).
func (m *Machine) markDead(n *node) {
	m.log(Warn, "node %s: is dead", n.name)
	old := n.st
	n.st = StDead
	n.rmtLastUpdate = 0
	n.heard = false
	// hbgo: 3.0.6 resets the node's sequence state here (PROTOCOL §10.6),
	// so every message of the current generation replayed after the death
	// is in sequence again. It is kept until the generation changes, and
	// the point reached is persisted so that our own restart keeps it too.
	if n.gen > 0 && !n.ping {
		m.emit(PeerSeen{Node: n.name, Mark: PeerMark{Gen: n.gen, Seq: max(n.lastSeq, n.seqFloor)}})
	}
	if old != StDead {
		m.emit(NodeStatus{Node: n.name, Old: old, New: StDead})
	}
	m.emit(NodeDead{Node: n.name})
}

// checkTimeouts declares silent nodes and links dead (PROTOCOL §10.3), at the first
// millisecond at which the silence exceeds the dead interval.
func (m *Machine) checkTimeouts() {
	for _, n := range m.nodes {
		if n == m.self || n.st == StDead {
			continue
		}
		if m.now.Sub(n.lastStatus) > m.deadInterval(n) {
			m.markDead(n)
		}
	}
	li := m.linkInterval()
	for _, n := range m.nodes {
		if n == m.self {
			continue // stock never times out its own links
		}
		for _, l := range n.links {
			if l.st == "up" && m.now.Sub(l.last) > li {
				l.st = StDead
				m.log(Info, "Link %s:%s dead.", n.name, l.name)
				m.emit(LinkStatus{Node: n.name, Link: l.name})
			}
		}
	}
	m.checkComm()
}

func (m *Machine) pingReply(name string, ts uint64) {
	n := m.byName[strings.ToLower(name)]
	if n == nil || !n.ping {
		return
	}
	// hbgo: stock takes any echo of a request it signed (PROTOCOL §12.7),
	// so a captured one replayed keeps a dead router "up". The echo carries
	// the ts we sent; it must be from the last nsWindow seconds.
	now := uint64(m.now.Unix())
	if w := m.nsWindow(); ts+w < now || ts > now+w {
		m.logDrop(DropStale, Warn, "hbgo: stale echo from ping node %s dropped: sent at %d, now %d", n.name, ts, now)
		m.dropped(false, DropStale)
		return
	}
	n.heard = true
	n.lastStatus = m.now
	m.refreshLink(n, n.name)
	if n.st != StPing {
		old := n.st
		n.st = StPing
		m.log(Info, "Status update for node %s: status %s", n.name, StPing)
		m.emit(NodeStatus{Node: n.name, Old: old, New: StPing})
	}
	m.checkComm()
}

// checkComm declares comm linked and starts the reqnodes handshake (PROTOCOL §8.2).
func (m *Machine) checkComm() {
	if m.linked {
		return
	}
	for _, n := range m.nodes {
		if !n.heard && n.st != StDead {
			return
		}
	}
	m.linked = true
	m.askNodes()
}

func (m *Machine) askNodes() {
	if m.commUp {
		return
	}
	if !m.flowControl {
		m.commNowUp()
		return
	}
	for _, n := range m.nodes {
		if n.ping || n == m.self || n.st == StDead {
			continue
		}
		r := &wire.Message{}
		r.Add(wire.FType, "reqnodes")
		r.Add(wire.FDest, n.name)
		m.reqnodesAt = m.now.Add(reqnodesRetry)
		m.originate(r)
		return
	}
	m.commNowUp()
}

func (m *Machine) commNowUp() {
	m.commUp = true
	m.reqnodesAt = time.Time{}
	m.log(Info, "Comm_now_up(): updating status to active")
	m.setStatus(StActive)
	m.emit(CommUp{})
}
