package status

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRecordedReadme renders the snapshot recorded from a real run
// (testdata/recorded-failover.json: node2 of two namespaced hbgo nodes,
// `heartbeat status --json` after node1 was killed; heartbeat/e2e/status
// TestPairStatusAndMetricsAfterFailover with HBX_RECORD=1 rewrites it) and
// compares the text with testdata/recorded-failover.txt, the file README's
// sample must equal (internal/doctest, golden-file marker). -update
// rewrites the text; then go test ./internal/doctest -update the README.
func TestRecordedReadme(t *testing.T) {
	js, err := os.ReadFile("testdata/recorded-failover.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	// The recording is what its name says: a failover after a kill of node1.
	if code, why := s.Health(); code != ExitDegraded || s.Local != "node2" || s.LastTransition == nil ||
		s.LastTransition.Cause != "peer-dead" || len(s.Groups) == 0 || s.Groups[0].Holder != "node2" {
		t.Errorf("recorded snapshot is not node2 after node1's death: exit %d %v, %+v", code, why, s)
	}
	if strings.Contains(string(js), "testkey") {
		t.Error("the recorded snapshot holds the authkeys secret")
	}
	// It round-trips: the daemon's JSON is what WriteJSON writes.
	var again bytes.Buffer
	if err := WriteJSON(&again, s); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(js), again.String()); d != "" {
		t.Errorf("recorded JSON does not round-trip (-recorded +rewritten):\n%s", d)
	}
	var b bytes.Buffer
	if err := WriteText(&b, s); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/recorded-failover.txt"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Errorf("%s is not the rendering of the recorded JSON (-file +rendered):\n%s", golden, d)
	}
}
