// Package ipfail is stock heartbeat's ipfail client as a pure state machine: it compares visible ping-node counts with the peer's ipfail and gives resources up when this node sees fewer.
//
// The daemon feeds events with Step and carries out the returned actions in
// order. Send carries a message in stock ipfail's field order with only
// the fields ipfail (or heartbeat's API layer) puts there; the daemon
// originates it through membership, which adds destuuid, srcuuid, seq, hg,
// ts, ld and ttl in the places stock puts them. A give-up is a Send of
// ipfail's `t=ask_resources info=me`: the resource layer must act on the
// loopback copy as on any standby request. Facts come from docs/IPFAIL.md
// (four captured runs of stock ipfail, cited as README §…) and from reading
// contrib/ipfail/ipfail.c.
package ipfail

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"hbgo/heartbeat/core/wire"
)

// ClientID is ipfail's API client name (from_id/to_id on the wire).
const ClientID = "ipfail"

// Message types ipfail exchanges (README §4).
const (
	TypeClientStatus = "hbapi-clstat"
	TypeNumPing      = "num_ping_nodes"
	TypeYouAreDead   = "you_are_dead"
	TypeAbortGiveup  = "abort_giveup"
	TypeAskResources = "ask_resources"
	TypeResource     = "resource"
)

// RecheckDelay is how long stock ipfail sleeps, once the peer is stable
// again, before asking for the counts anew after a give-up it could not send.
const RecheckDelay = 10 * time.Second

// firstTag is the glib source id of stock ipfail's first give-up timer; each
// later timer gets the next one (README §6: "Aborted delayed giveup (4)" for
// the second, "(5)" for the third).
const firstTag = 3

// Config is what the machine needs from ha.cf.
type Config struct {
	Node         string        // local node name, as heartbeat reports it
	Keepalive    time.Duration // the give-up delay is twice this
	AutoFailback string        // ha.cf auto_failback: on, off or legacy
	PID          int           // the pid written in ipfail's PID= line
}

// Node is one entry of heartbeat's node walk.
type Node struct {
	Name   string
	Type   string // "normal" or "ping"
	Status string // init, up, active, dead or ping
}

// Event is an input to Step.
type Event interface{ isEvent() }

// Start is ipfail signing on: Nodes is heartbeat's node walk (stock walks
// its node table in reverse ha.cf order), Word the resource status word.
type Start struct {
	Nodes []Node
	Word  string
}

// Stop is ipfail signing off (heartbeat stopping).
type Stop struct{}

// NodeStatus is heartbeat's node status callback.
type NodeStatus struct{ Node, Status string }

// LinkStatus is heartbeat's link status callback; Status is up or dead.
type LinkStatus struct{ Node, Link, Status string }

// Msg is a cluster message heartbeat delivers (from either node).
type Msg struct{ M *wire.Message }

// Resources reports a new local resource status word (cl_status rscstatus).
type Resources struct{ Word string }

// Tick tells the machine the clock advanced.
type Tick struct{}

func (Start) isEvent()      {}
func (Stop) isEvent()       {}
func (NodeStatus) isEvent() {}
func (LinkStatus) isEvent() {}
func (Msg) isEvent()        {}
func (Resources) isEvent()  {}
func (Tick) isEvent()       {}

// Action is an output of Step.
type Action interface{ isAction() }

// Send asks the daemon to originate M to the cluster (dest, if any, is in M).
type Send struct{ M *wire.Message }

// Log is one line logged under ipfail's name; Level is info, debug or ERROR.
type Log struct{ Level, Text string }

// Exit reports that stock ipfail would exit here (code 100: not respawned).
type Exit struct {
	Code   int
	Reason string
}

func (Send) isAction() {}
func (Log) isAction()  {}
func (Exit) isAction() {}

// Machine is one node's ipfail.
type Machine struct {
	cfg      Config
	now      time.Time
	running  bool
	failback bool
	word     string
	order    []string          // node walk order
	types    map[string]string // node → normal|ping
	status   map[string]string // node → status
	other    string            // the partner node
	giveup   *timer            // pending delayed give-up
	tags     int               // give-up timers created so far
	need     bool              // need_standby: a give-up found resources in transition
	recheck  time.Time         // when to ask again after the peer became stable
	out      []Action
}

type timer struct {
	at  time.Time
	set string // all or foreign
	tag int
}

// New returns a machine that is not yet signed on.
func New(cfg Config) *Machine {
	return &Machine{cfg: cfg, types: map[string]string{}, status: map[string]string{}}
}

// NextDeadline is when Step wants a Tick; zero when nothing is pending.
func (m *Machine) NextDeadline() time.Time {
	var d time.Time
	if m.giveup != nil {
		d = m.giveup.at
	}
	if !m.recheck.IsZero() && (d.IsZero() || m.recheck.Before(d)) {
		d = m.recheck
	}
	return d
}

// Step feeds one event at time now and returns the actions to carry out.
func (m *Machine) Step(now time.Time, ev Event) []Action {
	if now.After(m.now) {
		m.now = now
	}
	switch e := ev.(type) {
	case Start:
		m.start(e)
	case Resources:
		m.word = e.Word
	default:
		if m.running {
			m.step(ev)
		}
	}
	m.timers()
	out := m.out
	m.out = nil
	return out
}

func (m *Machine) step(ev Event) {
	switch e := ev.(type) {
	case Stop:
		m.running = false
		m.giveup, m.recheck, m.need = nil, time.Time{}, false
		m.send(m.clientStatus("leave", "signoff"))
	case NodeStatus:
		m.onNodeStatus(e)
	case LinkStatus:
		m.onLinkStatus(e)
	case Msg:
		m.onMsg(e.M)
	}
}

func (m *Machine) logf(level, format string, args ...any) {
	m.out = append(m.out, Log{Level: level, Text: fmt.Sprintf(format, args...)})
}

func (m *Machine) send(msg *wire.Message) {
	if d, ok := msg.Get(wire.FDest); ok && d == "" {
		return // no partner in the node walk: stock's sendnodemsg fails silently
	}
	m.out = append(m.out, Send{M: msg})
}

// msg builds a message from name/value pairs.
func msg(kv ...string) *wire.Message {
	w := &wire.Message{}
	for i := 0; i+1 < len(kv); i += 2 {
		w.Add(kv[i], kv[i+1])
	}
	return w
}

// clientStatus is the hbapi-clstat heartbeat sends when ipfail signs on or
// off, in stock's field order (README §4).
func (m *Machine) clientStatus(st, info string) *wire.Message {
	return msg(wire.FType, TypeClientStatus, "st", st, "from_id", ClientID, "to_id", ClientID,
		wire.FSrc, m.cfg.Node, "info", info, "client_gen", "0")
}

// start is ipfail's main(): sign on, read auto_failback, walk the nodes.
func (m *Machine) start(e Start) {
	if m.running {
		return
	}
	// A new ipfail process: nothing survives from an earlier one.
	m.giveup, m.recheck, m.need, m.tags, m.other = nil, time.Time{}, false, 0, ""
	m.logf("debug", "PID=%d", m.cfg.PID)
	m.logf("debug", "Signing in with heartbeat")
	m.word = e.Word
	m.logf("debug", "[We are %s]", m.cfg.Node)
	switch v := strings.ToLower(m.cfg.AutoFailback); v {
	case "legacy":
		// ipfail.c: legacy is nice_failback off, which ipfail cannot work with.
		m.logf("ERROR", "auto_failback set to incompatible legacy option.")
		m.out = append(m.out, Exit{Code: 100, Reason: "auto_failback legacy"})
		return
	default:
		b := v == "on" || v == "true" || v == "yes" || v == "y" || v == "1"
		m.failback = b
		n := 0
		if b {
			n = 1
		}
		m.logf("debug", "auto_failback -> %d (%s)", n, m.cfg.AutoFailback)
	}
	m.running = true
	// The sign-on's hbapi-clstat goes out as soon as ipfail is registered;
	// on the wire it precedes the node walk's effects.
	m.send(m.clientStatus("join", "signon"))
	m.logf("debug", "Setting message filter mode")
	m.logf("debug", "Starting node walk")
	m.order = m.order[:0]
	for _, n := range e.Nodes {
		m.order = append(m.order, n.Name)
		m.types[n.Name] = n.Type
		m.status[n.Name] = n.Status
		m.logf("debug", "Cluster node: %s: status: %s", n.Name, n.Status)
		if n.Type == "normal" && n.Name != m.cfg.Node {
			m.other = n.Name
			m.logf("debug", "[They are %s]", m.other)
		}
	}
	m.logf("debug", "Setting message signal")
	m.logf("debug", "Waiting for messages...")
}

// pingCount is ping_node_status(): the nodes whose status is ping.
func (m *Machine) pingCount() int {
	n := 0
	for _, name := range m.order {
		if m.status[name] == "ping" {
			m.logf("debug", "Found ping node %s!", name)
			n++
		}
	}
	return n
}

func (m *Machine) onNodeStatus(e NodeStatus) {
	if _, ok := m.status[e.Node]; !ok {
		m.order = append(m.order, e.Node)
	}
	m.status[e.Node] = e.Status
	m.logf("info", "Status update: Node %s now has status %s", e.Node, e.Status)
	switch e.Status {
	case "dead":
		if m.pingCount() > 0 {
			m.logf("info", "NS: We are still alive!")
		} else {
			m.logf("info", "NS: We are dead. :<")
		}
	case "ping":
		// ipfail.c: a ping node came back; compare again in case both
		// sides had lost it and only one sees it now.
		m.logf("info", "A ping node just came up.")
		m.ask(m.pingCount())
	}
}

func (m *Machine) onLinkStatus(e LinkStatus) {
	m.logf("info", "Link Status update: Link %s/%s now has status %s", e.Node, e.Link, e.Status)
	if e.Status != "dead" {
		return
	}
	if n := m.pingCount(); n > 0 {
		m.ask(n)
		m.logf("info", "Checking remote count of ping nodes.")
	} else {
		m.logf("info", "We are dead. :<")
		m.ask(0)
	}
}

// ask is ask_ping_nodes(): send our count to the partner.
func (m *Machine) ask(n int) {
	m.logf("info", "Asking other side for ping node count.")
	m.send(msg(wire.FType, TypeNumPing, wire.FSrc, m.cfg.Node, "num_ping", strconv.Itoa(n),
		wire.FDest, m.other, "from_id", ClientID, "to_id", ClientID, "client_gen", "0"))
	m.logf("debug", "Message [num_ping] sent.")
}

func (m *Machine) onMsg(w *wire.Message) {
	if w == nil {
		return
	}
	src := w.Str(wire.FSrc)
	if d, ok := w.Get(wire.FDest); ok && !strings.EqualFold(d, m.cfg.Node) {
		return // addressed to another node
	}
	t := w.Type()
	if t != TypeResource && t != TypeClientStatus {
		// heartbeat's API hands a message with to_id only to that client.
		if to, ok := w.Get("to_id"); ok && to != ClientID {
			return
		}
	}
	switch t {
	case TypeClientStatus:
		if w.Str("st") == "join" && w.Str("from_id") == ClientID && src != m.cfg.Node {
			m.logf("debug", "Got join message from another ipfail client. (%s)", src)
			m.ask(m.pingCount())
		}
	case TypeResource:
		m.onResource(w, src)
	case TypeNumPing:
		if src == m.cfg.Node {
			return
		}
		m.onNumPing(w)
	case TypeAbortGiveup:
		if src == m.cfg.Node {
			return
		}
		m.abort()
	case TypeYouAreDead:
		if src == m.cfg.Node {
			return
		}
		m.logf("info", "Giving up because we were told that we have less ping nodes.")
		m.delay("all")
	}
}

// onNumPing is msg_ping_nodes(): compare and answer (README §3.3).
func (m *Machine) onNumPing(w *wire.Message) {
	m.logf("debug", "Got asked for num_ping.")
	mine := m.pingCount()
	theirs, _ := strconv.Atoi(strings.TrimSpace(w.Str("num_ping"))) // atoi: junk reads as 0
	switch {
	case mine > theirs:
		m.logf("info", "Telling other node that we have more visible ping nodes.")
		m.logf("debug", "Sending you_are_dead.")
		m.send(msg(wire.FType, TypeYouAreDead, wire.FDest, m.other, "from_id", ClientID, "to_id", ClientID, "client_gen", "0"))
		m.logf("debug", "Message [you_are_dead] sent.")
	case mine < theirs:
		m.logf("info", "Giving up because we have less visible ping nodes.")
		m.delay("all")
	default:
		m.logf("info", "Ping node count is balanced.")
		m.send(msg(wire.FType, TypeAbortGiveup, wire.FSrc, m.cfg.Node, wire.FDest, m.other,
			"from_id", ClientID, "to_id", ClientID, "client_gen", "0"))
		m.logf("debug", "Abort message sent.")
		switch {
		case m.giveup != nil:
			m.abort()
		case m.failback && m.stable():
			// README §3.3: not during the first acquisition (status word
			// "transition"), always otherwise, held foreign groups or not.
			m.logf("info", "Giving up foreign resources (auto_failback).")
			m.delay("foreign")
		}
	}
}

// onResource is msg_resources(): follow the partner's stability.
func (m *Machine) onResource(w *wire.Message, src string) {
	st, ok := w.Get("isstable")
	if src == "" || !ok || src != m.other {
		return
	}
	switch {
	case st == "1" && !w.Has("info"):
		m.logf("debug", "Other side is now stable.")
		if m.need {
			// ipfail.c sleeps 10 s here, then recounts instead of giving up.
			m.need = false
			m.recheck = m.now.Add(RecheckDelay)
		}
	case st == "0":
		m.logf("debug", "Other side is unstable.")
	}
}

// stable is is_stable(): anything but "transition" (no resource manager counts as stable).
func (m *Machine) stable() bool { return m.word != "transition" }

// delay is delay_giveup() with the default delay, twice the keepalive.
func (m *Machine) delay(set string) {
	d := 2 * m.cfg.Keepalive
	m.logf("info", "Delayed giveup in %d seconds.", d.Milliseconds()/1000)
	if m.giveup != nil {
		m.logf("debug", "Detected existing delay timer, overriding")
		m.giveup = nil
		m.logf("debug", "giveup timeout has been destroyed.")
	}
	m.tags++
	m.giveup = &timer{at: m.now.Add(d), set: set, tag: firstTag + m.tags - 1}
}

// abort is abort_giveup().
func (m *Machine) abort() {
	if m.giveup == nil {
		m.logf("info", "No giveup timer to abort.")
		return
	}
	m.logf("info", "Aborted delayed giveup (%d)", m.giveup.tag)
	m.giveup = nil
	m.logf("debug", "giveup timeout has been destroyed.")
}

// timers fires what is due.
func (m *Machine) timers() {
	if !m.running {
		return
	}
	if g := m.giveup; g != nil && !m.now.Before(g.at) {
		m.giveup = nil
		m.logf("info", "giveup() called (timeout worked)")
		if m.stable() {
			m.send(msg(wire.FType, TypeAskResources, "rsc_hold", g.set, wire.FSrc, m.cfg.Node, "info", "me",
				"from_id", ClientID, "to_id", ClientID, "client_gen", "0"))
			m.logf("debug", "Message [ask_resources] sent.")
			m.need = false
		} else {
			m.need = true
		}
		m.logf("debug", "giveup timeout has been destroyed.")
	}
	if !m.recheck.IsZero() && !m.now.Before(m.recheck) {
		m.recheck = time.Time{}
		m.ask(m.pingCount())
	}
}
