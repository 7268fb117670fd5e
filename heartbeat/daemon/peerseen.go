package daemon

import (
	"maps"
	"sync"
	"time"

	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/edge/hblog"
)

// peerWriter writes the peer-generation file (hbgo_peer_generations) off
// the loop: a peer's death, which asks for a write, must not wait for the
// state directory's disk before the takeover starts. Its goroutine runs
// only while a table waits to be written: a writer parked for the
// daemon's life cost an idle node a stack that every GC scanned.
type peerWriter struct {
	mu      sync.Mutex
	next    map[string]membership.PeerMark // the newest table not yet taken; only it matters
	running bool
	idle    chan struct{} // closed when the running writer ends with nothing left
}

// put hands t to the writer, starting it if none runs.
func (w *peerWriter) put(t map[string]membership.PeerMark, store membership.Store, log *hblog.Log) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next = t
	if w.running {
		return
	}
	w.running, w.idle = true, make(chan struct{})
	go func(idle chan struct{}) {
		for {
			w.mu.Lock()
			t := w.next
			w.next = nil
			if t == nil {
				w.running = false
				w.mu.Unlock()
				close(idle)
				return
			}
			w.mu.Unlock()
			if err := store.SavePeers(t); err != nil {
				log.Errorf("hbgo: %v", err)
			}
		}
	}(w.idle)
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
		n.peerW = &peerWriter{}
	}
	n.peerW.put(maps.Clone(n.peerSeen), n.store, n.log)
}

// flushPeerSeen waits, at most d, for the last table to be written.
func (n *node) flushPeerSeen(d time.Duration) {
	w := n.peerW
	if w == nil {
		return
	}
	w.mu.Lock()
	running, idle := w.running, w.idle
	w.mu.Unlock()
	if !running {
		return
	}
	select {
	case <-idle:
	case <-time.After(d):
		n.log.Errorf("hbgo: %s not written within %v at exit", membership.PeersFile, d)
	}
}
