package daemon

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"testing/synctest"
	"time"
)

// idleAllocs runs two in-process daemons (twoDaemons: MemNetwork, the
// synctest bubble's clock) until they are up and settled, then returns the
// heap allocations of the whole process per keepalive over keepalives
// idle keepalives: both loops' statuses sealed and sent, the peer's
// received, decoded, authenticated and stepped, and whatever else runs at
// idle (sinks, timers, the in-memory network). With HBGO_MEMPROFILE set,
// the allocations up to the window and to its end are written to
// HBGO_MEMPROFILE.base and HBGO_MEMPROFILE (pprof -diff_base).
func idleAllocs(t *testing.T, keepalives int) float64 {
	var per float64
	synctest.Test(t, func(t *testing.T) {
		_, _, _, _, want, _ := twoDaemons(t)
		time.Sleep(15 * time.Second)
		want("start", "IPaddr::10.0.0.1=node1 IPaddr::10.0.0.2=node2")
		time.Sleep(2 * trimDelay) // past the memory trim and every start-up timer
		synctest.Wait()
		prof := os.Getenv("HBGO_MEMPROFILE") // with -test.memprofilerate=1
		writeProfile := func(path string) {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			runtime.GC() // the profile is as of the last GC
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				t.Fatal(err)
			}
		}
		if prof != "" {
			writeProfile(prof + ".base")
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		time.Sleep(time.Duration(keepalives) * testKeepalive)
		synctest.Wait()
		runtime.ReadMemStats(&after)
		per = float64(after.Mallocs-before.Mallocs) / float64(keepalives)
		t.Logf("%d keepalives of two daemons: %.1f allocations, %.0f bytes per keepalive",
			keepalives, per, float64(after.TotalAlloc-before.TotalAlloc)/float64(keepalives))
		if prof != "" {
			writeProfile(prof) // pprof -diff_base=PROF.base PROF: the window's
		}
	})
	return per
}

// TestIdleDaemonAllocs pins what the whole process of two idle daemons
// allocates per keepalive (issue 16 item 5), a count, not a time: the
// node machines' 7.6 (TestIdleKeepaliveAllocs: each message sent, and
// its Send action boxed twice) and nothing else: the loop's decoding,
// sealing, stepping, sending and receiving (through the Inbox's recycled
// buffers) allocate nothing. 1.4 of slack for whatever else runs.
func TestIdleDaemonAllocs(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts differ under the race detector (make race); make test pins them")
	}
	if per := idleAllocs(t, 100); per > 6 {
		t.Errorf("an idle keepalive of two daemons allocates %.1f times, want at most 6 (HBGO_MEMPROFILE=FILE with -test.memprofilerate=1 tells where)", per)
	}
}
