package interop

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"hbgo/internal/harness/twonode"
)

// TestRealtimeUnderLoad (HBGO_RT_MEASURE=1 only: it loads every core) runs
// an hbgo pair at keepalive 200 ms under 16 busy loops, once with realtime
// and once with -l, and logs the late heartbeats each saw. It asserts
// nothing: the figures are for the report.
func TestRealtimeUnderLoad(t *testing.T) {
	if os.Getenv("HBGO_RT_MEASURE") == "" {
		t.Skip("set HBGO_RT_MEASURE=1 to measure (it saturates the CPUs for ~40 s)")
	}
	bin := twonode.BuildHbgo(t)
	cf := fastUcast + "warntime 250ms\n"
	for _, mode := range []struct {
		name string
		args []string
	}{{"realtime", []string{"-f"}}, {"no-realtime(-l)", []string{"-f", "-l"}}} {
		im := twonode.Impl{Name: "hbgo", Cmd: append([]string{bin}, mode.args...), Exe: bin}
		c := twonode.New(t, twonode.Options{Prefix: "hbgort" + strconv.Itoa(len(mode.args)), Impl: [2]twonode.Impl{im, im},
			HaCf: cf, Authkeys: keys})
		c.Start(0)
		c.Start(1)
		if _, _, err := c.WaitLog(1, regexp.MustCompile(`Status update for node node1: status active`), 0, c.Dead(20)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(6 * time.Second)
		off := len(c.Log(1))
		for i := 0; i < 8; i++ {
			for n := 0; n < 2; n++ {
				cmd := c.Node[n].Start("", "sh", "-c", "while :; do :; done")
				defer cmd.Process.Kill()
			}
		}
		time.Sleep(15 * time.Second)
		c.Node[0].Kill("sh", 9)
		c.Node[1].Kill("sh", 9)
		log := c.Log(1)[off:]
		var gaps []int
		for _, m := range regexp.MustCompile(`Late heartbeat: Node node1: interval (\d+) ms`).FindAllStringSubmatch(log, -1) {
			v, _ := strconv.Atoi(m[1])
			gaps = append(gaps, v)
		}
		sort.Ints(gaps)
		dead := regexp.MustCompile(`is dead`).MatchString(log)
		t.Logf("%s: 15 s under 16 busy loops: %d late heartbeats (> 250 ms) %s; a false death: %v", mode.name, len(gaps), summary(gaps), dead)
	}
}

func summary(g []int) string {
	if len(g) == 0 {
		return ""
	}
	return fmt.Sprintf("(median %d ms, max %d ms)", g[len(g)/2], g[len(g)-1])
}
