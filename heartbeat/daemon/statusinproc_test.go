package daemon

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/status"
)

// TestTwoDaemonsStatusSoftware: over the wire between two real daemons
// (media.MemNetwork, synctest), each node's `heartbeat status` names the
// other as "hbgo VERSION", from the version field its status messages
// carry beside the configuration hash.
func TestTwoDaemonsStatusSoftware(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, n1, n2, want, _ := twoDaemons(t)
		time.Sleep(15 * time.Second)
		want("start", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")
		for _, tn := range []*tnode{n1, n2} {
			r := tn.n.handleControl(context.Background(), control.Cred{}, control.Request{Op: control.OpHealth})
			if !r.OK {
				t.Fatalf("%s: health: %s", tn.name, r.Error)
			}
			s, err := status.ReadJSON(r.Health)
			if err != nil {
				t.Fatal(err)
			}
			self := "hbgo " + tn.n.ourVersion()
			if s.Version != self {
				t.Errorf("%s: version %q, want %q", tn.name, s.Version, self)
			}
			for _, nd := range s.Nodes {
				if nd.Software != self { // both run this build
					t.Errorf("%s: node %s software %q, want %q", tn.name, nd.Name, nd.Software, self)
				}
			}
			if s.PeerConfig.State != status.ConfigMatch {
				t.Errorf("%s: peer config %+v", tn.name, s.PeerConfig)
			}
		}
	})
}
