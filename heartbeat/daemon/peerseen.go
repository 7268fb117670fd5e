package daemon

import (
	"maps"
	"time"

	"hbgo/heartbeat/core/membership"
)

// peerWriter writes the peer-generation file (hbgo_peer_generations) off
// the loop: a peer's death, which asks for a write, must not wait for the
// state directory's disk before the takeover starts.
type peerWriter struct {
	ch   chan map[string]membership.PeerMark // capacity 1: only the newest table matters
	done chan struct{}
}

// savePeerSeen records what was seen from a peer (a new generation, the
// seq at its death) and hands the table to the writer, so that after our
// restart its replays stay refused (membership.Params.PeerSeen).
func (n *node) savePeerSeen(peer string, mk membership.PeerMark) {
	if n.peerSeen == nil {
		n.peerSeen = map[string]membership.PeerMark{}
	}
	if n.peerSeen[peer] == mk {
		return
	}
	n.peerSeen[peer] = mk
	if n.peerW == nil {
		w := &peerWriter{ch: make(chan map[string]membership.PeerMark, 1), done: make(chan struct{})}
		n.peerW = w
		store, log := n.store, n.log
		go func() {
			defer close(w.done)
			for t := range w.ch {
				if err := store.SavePeers(t); err != nil {
					log.Errorf("hbgo: %v", err)
				}
			}
		}()
	}
	t := maps.Clone(n.peerSeen)
	for {
		select {
		case n.peerW.ch <- t:
			return
		default:
			select { // replace the older table still waiting
			case <-n.peerW.ch:
			default:
			}
		}
	}
}

// flushPeerSeen waits, at most d, for the last table to be written.
func (n *node) flushPeerSeen(d time.Duration) {
	w := n.peerW
	if w == nil {
		return
	}
	n.peerW = nil
	close(w.ch)
	select {
	case <-w.done:
	case <-time.After(d):
		n.log.Errorf("hbgo: %s not written within %v at exit", membership.PeersFile, d)
	}
}
