package daemon

import (
	"fmt"
	"strconv"

	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/heartbeat/edge/media"
)

// send seals a message once and writes it to every medium: netstring with
// the inner auth field on UDP, classic on serial (PROTOCOL §3.1). The
// netstring is sealed into one buffer reused for every message (media
// write or copy it before Send returns); serial queues its classic copy,
// so that one is new each time.
func (n *node) send(m *wire.Message) {
	b, err := wire.AppendSeal(n.sealed[:0], m, n.conf.Keys)
	if err != nil {
		n.log.Errorf("hbgo: cannot encode a %s message: %v", m.Type(), err)
		return
	}
	n.sealed = b
	out := media.Outgoing{Netstring: b}
	if n.serial {
		if c, err := wire.SealClassic(m, n.conf.Keys); err == nil {
			out.Classic = c
		}
	}
	ok := false
	for _, md := range n.media {
		if err := md.Send(out); err == nil {
			ok = true
		}
	}
	if n.pinger != nil && m.TypeIs("status") {
		n.sendPings()
	}
	if !ok {
		n.ing.limited("no-comm", hblog.Crit, "send_to_all_media: No working comm channels to write to.")
	}
}

// sendPings sends every ping node its echo request: an authenticated
// `t=NS_st st=ping info=ping src=<ping node>` it is to echo back (PROTOCOL
// §12.7), once per status we send, i.e. every keepalive.
func (n *node) sendPings() {
	ts := strconv.FormatInt(n.now().Unix(), 16)
	for _, pn := range n.conf.HaCf.PingNodes() {
		m := &wire.Message{}
		m.Add(wire.FType, "NS_st")
		m.Add("st", "ping")
		m.Add("info", "ping")
		m.Add(wire.FSrc, pn.Name)
		m.Add(wire.FTime, ts)
		b, err := wire.Seal(m, n.conf.Keys)
		if err != nil {
			continue
		}
		if err := n.pinger.Send(pn.Name, b); err != nil {
			n.ing.limited("ping-send", hblog.Warn, fmt.Sprintf("hbgo: ping %s: %v", pn.Name, err))
		}
	}
}

// onEcho checks an echoed ping payload and tells membership the node answered.
func (n *node) onEcho(p media.Packet, m *wire.Message) {
	if m.Type() != "NS_st" || m.Str("st") != "ping" || m.Str(wire.FSrc) != p.Ping {
		n.ing.drop(DropBadPing, hblog.Warn, fmt.Sprintf("hbgo: echo reply from %s is not the ping we sent; dropped", p.From))
		return
	}
	ts, _ := strconv.ParseUint(m.Str(wire.FTime), 16, 64)
	n.step(hbnode.PingEcho{Node: p.Ping, At: p.At, TS: ts})
}
