package daemon

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/core/membership"
	"hbgo/heartbeat/edge/hblog"
)

// TestPeerSeenWritten: the marks membership hands over are written off the
// loop, coalesced, and all on the disk once the daemon exits.
func TestPeerSeenWritten(t *testing.T) {
	lg, err := hblog.New(hblog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{store: membership.Store{Dir: t.TempDir()}, log: lg}
	for seq := uint64(1); seq <= 100; seq++ {
		n.savePeerSeen("node2", membership.PeerMark{Gen: 7, Seq: seq})
	}
	n.savePeerSeen("node3", membership.PeerMark{Gen: 9, Seq: 4})
	n.flushPeerSeen(10e9)
	got, err := n.store.LoadPeers()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]membership.PeerMark{"node2": {Gen: 7, Seq: 100}, "node3": {Gen: 9, Seq: 4}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("peer file (-want +got):\n%s", diff)
	}
}
