package failover

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// handshakes reads a takeover-seq file: one block per hb_takeover, each cut
// where node1's stop lands (its info=shutdown message), since what follows
// depends on when the test sent SIGTERM, not on either daemon.
func handshakes(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks [][]string
	cut := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "t=hb_takeover "):
			blocks = append(blocks, []string{l})
			cut = false
		case len(blocks) == 0 || l == "":
		case strings.Contains(l, " info=shutdown"):
			cut = true
		case !cut:
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestTakeoverSequenceMatchesStock checks the recorded hb_takeover
// handshakes (PROTOCOL §11.10 chart F, both directions) of a stock+hbgo pair
// against a stock+stock pair's: the same messages in the same order up to
// the stock node's stop, ending with the peer's resource isstable=1 that
// stock's hb_rsc_isstable waits for before it lets a shutdown go ahead.
func TestTakeoverSequenceMatchesStock(t *testing.T) {
	want := handshakes(t, "testdata/takeover-seq-stock-stock.txt")
	got := handshakes(t, "testdata/takeover-seq-stock-hbgo.txt")
	if len(want) != 2 {
		t.Fatalf("stock-stock recording: %d hb_takeover blocks, want 2", len(want))
	}
	if len(got) != len(want) {
		t.Fatalf("stock-hbgo recording: %d hb_takeover blocks, want %d", len(got), len(want))
	}
	// The taker's last re-announce comes before or after the stop
	// depending on the stop's timing: compare what both runs had before it,
	// which is the whole handshake (9 messages).
	for i := range want {
		n := min(len(want[i]), len(got[i]))
		if n < 9 {
			t.Fatalf("block %d: %d messages before the stop, want the 9 of the handshake", i+1, n)
		}
		want[i], got[i] = want[i][:n], got[i][:n]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hb_takeover handshake, stock+stock vs stock+hbgo (-want +got):\n%s", diff)
	}
	for i, b := range got {
		last := b[len(b)-1]
		if !strings.Contains(last, "t=resource ") || !strings.Contains(last, " isstable=1") {
			t.Errorf("block %d ends with %q, want a resource isstable=1 before the stop", i+1, last)
		}
	}
}
