package twonode

import (
	"regexp"
	"strings"
)

// Stock 3.0.6's FIFO race: when it declares its peer dead it runs
// req_resource and mach_down at once; ha_clustermsg writes ">>>", the body
// and "<<<" separately, the messages interleave and the FIFO reader drops
// them ("NV failure (msgfromsteam)"). If mach_down's resource message is
// among the lost, takeover_in_progress stays set (hb_resource.c clears it
// only on that message) and that process can never stop gracefully:
// "Shutdown delayed until current resource activity finishes." forever.
// docs/MIGRATION.md tells admins what to do; tests recover from it.

// FIFORaceLine is what stock logs when its FIFO reader drops a message.
const FIFORaceLine = "NV failure (msgfromsteam)"

var (
	machDownScript = regexp.MustCompile(`mach_down takeover complete for node `)
	machDownMain   = regexp.MustCompile(`heartbeat: \[\d+\]: info: mach_down takeover complete\.`)
	stockStarting  = regexp.MustCompile(`Configuration validated\. Starting heartbeat`)
)

// MachDownUnanswered reports whether the last stock process in log ran
// mach_down more often than its main process received mach_down's message.
func MachDownUnanswered(log string) bool {
	if loc := stockStarting.FindAllStringIndex(log, -1); len(loc) > 0 {
		log = log[loc[len(loc)-1][0]:]
	}
	return len(machDownScript.FindAllStringIndex(log, -1)) > len(machDownMain.FindAllStringIndex(log, -1))
}

// stockStuck reports whether node i runs stock and its process lost
// mach_down's message; the message may trail the script's last line, so it
// waits up to two deadtimes for it.
func (c *Cluster) stockStuck(i int) bool {
	if c.Opts.Impl[i].Exe != StockBin {
		return false
	}
	return !WaitFor(c.Dead(2), func() bool { return !MachDownUnanswered(c.Log(i)) })
}

// StockRace reports whether node i runs stock and either its log since
// offset from shows the FIFO race or its process is stuck by it (raced),
// and whether it is stuck (stuck implies raced).
func (c *Cluster) StockRace(i, from int) (raced, stuck bool) {
	if c.Opts.Impl[i].Exe != StockBin {
		return false, false
	}
	stuck = c.stockStuck(i)
	l := c.Log(i)
	return stuck || (from < len(l) && strings.Contains(l[from:], FIFORaceLine)), stuck
}
