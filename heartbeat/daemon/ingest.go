package daemon

import (
	"errors"
	"fmt"
	"time"

	"hbgo/authkeys"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/heartbeat/edge/media"
)

// Drop reasons, the keys of the drop counters (cl_status and the log show them).
const (
	DropMalformed  = "malformed"
	DropBadDigest  = "bad-digest"
	DropUnknownKey = "unknown-key"
	DropUnsigned   = "unsigned"
	DropDamaged    = "damaged-serial-frame"
	DropBadPing    = "bad-ping-reply"
)

// ingest counts dropped packets by reason and logs each reason at most once
// a minute, with the count since the last line: a flood of garbage can
// neither fill the disk nor hide the first line logcheck matches.
type ingest struct {
	log   hblog.Logger
	now   func() time.Time
	rl    *hblog.RateLimiter
	drops map[string]uint64
	// dropped is set by every drop and cleared by the loop, which then
	// schedules a memory trim for when the burst is over: a flood leaves
	// garbage the GC's goal grew for (heartbeat/e2e/soak's flood check).
	dropped bool
}

func newIngest(l hblog.Logger, now func() time.Time) *ingest {
	return &ingest{log: l, now: now, rl: hblog.NewRateLimiter(time.Minute, 64), drops: map[string]uint64{}}
}

// limited logs text under key unless that key logged in the last minute.
func (g *ingest) limited(key string, level hblog.Level, text string) {
	ok, suppressed, since := g.rl.Allow(key, g.now())
	if !ok {
		return
	}
	if suppressed > 0 {
		text += fmt.Sprintf(" (%d more since %s)", suppressed, since.Format("15:04:05"))
	}
	g.log.Log(level, "%s", text)
}

func (g *ingest) drop(reason string, level hblog.Level, text string) {
	g.drops[reason]++
	g.dropped = true
	g.limited(reason, level, text)
}

// onPacket authenticates a received packet and hands it to membership
// (PROTOCOL §6 steps 2–4); everything else is counted and dropped.
func (n *node) onPacket(p media.Packet) {
	g := n.ing
	if p.Err != nil {
		g.drop(DropDamaged, hblog.Warn, fmt.Sprintf("hbgo: damaged serial frame on %s dropped: %v", p.Link, p.Err))
		return
	}
	m, err := n.dec.Decode(p.Data, n.conf.Keys) // m is valid until the next packet
	if err != nil {
		var mal *wire.MalformedError
		var unk *authkeys.UnknownKeyError
		switch {
		case errors.As(err, &unk):
			// stock: "Invalid authentication [%d] in message!" (COMPAT §3)
			g.drop(DropUnknownKey, hblog.Warn, fmt.Sprintf("Invalid authentication [%d] in message!", unk.Index))
		case errors.Is(err, authkeys.ErrBadDigest):
			g.drop(DropBadDigest, hblog.Error, fmt.Sprintf("netstring authentication failed, from %s on %s", p.From, p.Link))
		case errors.Is(err, wire.ErrUnsigned):
			g.drop(DropUnsigned, hblog.Error, fmt.Sprintf("hbgo: unsigned message from %s on %s dropped", p.From, p.Link))
		case errors.As(err, &mal):
			g.drop(DropMalformed, hblog.Error, fmt.Sprintf("hbgo: malformed message from %s on %s dropped: %s", p.From, p.Link, mal.Reason))
		default:
			g.drop(DropMalformed, hblog.Error, fmt.Sprintf("hbgo: bad message from %s on %s dropped: %v", p.From, p.Link, err))
		}
		return
	}
	n.statPacket(p, m)
	if p.Ping != "" {
		n.onEcho(p, m)
		return
	}
	if n.acting {
		m = m.Clone() // the event waits (step): the next packet reuses the decoder
	}
	n.stepRecv(hbnode.Recv{Msg: m, Link: p.Link, At: p.At})
}

// counters merges ingest, media and membership counters for cl_status.
func (n *node) counters() map[string]uint64 {
	c := map[string]uint64{}
	for k, v := range n.ing.drops {
		c["drop."+k] = v
	}
	for _, m := range n.media {
		s := m.Stats()
		c["media."+m.Link()+".sent"] += s.Sent
		c["media."+m.Link()+".received"] += s.Received
		c["drop.queue-full"] += s.DroppedQueueFull
		c["drop.oversize"] += s.DroppedOversize
	}
	if n.pinger != nil {
		s := n.pinger.Stats()
		c["media.ping.sent"], c["media.ping.received"] = s.Sent, s.Received
		c["drop.queue-full"] += s.DroppedQueueFull
	}
	for sink, v := range n.log.Dropped() {
		c["log.dropped."+sink] = v
	}
	mc := n.m.Snapshot().Counters
	c["membership.received"], c["membership.kept"] = mc.Received, mc.Kept
	c["membership.duplicates"], c["membership.dropped"] = mc.Duplicates, mc.Dropped
	c["membership.sent"], c["membership.rexmit-requested"], c["membership.rexmit-served"] = mc.Sent, mc.RexmitRequested, mc.RexmitServed
	for k, v := range mc.Drops {
		c["drop."+k] += v
	}
	return c
}
