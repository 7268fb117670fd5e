package twonode

import (
	"os"
	"strings"
	"testing"
)

// TestMachDownUnanswered reads recorded stock logs: next to hbgo, a first
// process got its mach_down message, the second lost it in the FIFO race
// and could not be stopped gracefully afterwards; next to stock, the same.
func TestMachDownUnanswered(t *testing.T) {
	b, err := os.ReadFile("testdata/stock-fifo-race.ha-log")
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	b, err = os.ReadFile("testdata/stock-stock-fifo-race.ha-log")
	if err != nil {
		t.Fatal(err)
	}
	stockPair := string(b)
	second := strings.LastIndex(log, "Configuration validated. Starting heartbeat")
	lost := strings.Index(log, "NV failure (msgfromsteam)")
	if second < 0 || lost < second {
		t.Fatal("testdata: want two processes, the race in the second")
	}
	for _, c := range []struct {
		name string
		log  string
		want bool
	}{
		{"first process, message received", log[:second], false},
		{"second process, before its takeover", log[:lost], false},
		{"second process, message lost", log, true},
		{"after a restart", log + "Nov 24 00:07:04 node1 heartbeat: [15857]: info: Configuration validated. Starting heartbeat 3.0.6\n", false},
		{"no stock log", "", false},
		{"two stock nodes, message lost", stockPair, true},
	} {
		if got := MachDownUnanswered(c.log); got != c.want {
			t.Errorf("%s: MachDownUnanswered = %v, want %v", c.name, got, c.want)
		}
	}
}
