package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStopPost runs dist/hbgo-stop-post the way systemd does after the
// daemon ended, with a recording ResourceManager and fence command.
func TestStopPost(t *testing.T) {
	if _, err := os.Stat("/etc/default/heartbeat"); err == nil {
		t.Skip("/etc/default/heartbeat exists on this host and would override the test's HBGO_* settings")
	}
	for _, tc := range []struct {
		name           string
		result, status string
		listFails      bool
		failKey        string
		distrib        bool   // a stock ResourceManager at <rm>.distrib
		policy         string // the unit's Restart= (HBGO_RESTART_POLICY); "" = no
		marker         bool   // a crashed daemon's marker is there before
		wantMarker     bool   // the marker is there after
		wantCalls      []string
		wantExit       int
	}{
		{name: "clean stop", result: "success", status: "0"},
		{name: "config error", result: "exit-code", status: "6"},
		{name: "watchdog kill releases last group first", result: "watchdog", status: "ABRT",
			wantCalls: []string{"rm listkeys .*", "rm givegroup IPaddr::10.0.0.20", "rm givegroup 10.0.0.10"}},
		{name: "go panic", result: "exit-code", status: "2",
			wantCalls: []string{"rm listkeys .*", "rm givegroup IPaddr::10.0.0.20", "rm givegroup 10.0.0.10"}},
		{name: "kill -9", result: "signal", status: "KILL",
			wantCalls: []string{"rm listkeys .*", "rm givegroup IPaddr::10.0.0.20", "rm givegroup 10.0.0.10"}},
		{name: "failed release fences", result: "watchdog", status: "ABRT", failKey: "IPaddr::10.0.0.20",
			wantCalls: []string{"rm listkeys .*", "rm givegroup IPaddr::10.0.0.20", "fence -nf"}, wantExit: 1},
		{name: "cannot list groups after a crash", result: "core-dump", status: "ABRT", listFails: true,
			wantCalls: []string{"rm listkeys .*"}, wantExit: 1},
		{name: "cannot list groups after a watchdog kill fences", result: "watchdog", status: "ABRT", listFails: true,
			wantCalls: []string{"rm listkeys .*", "fence -nf"}, wantExit: 1},
		{name: "kill -9 with a restart to come keeps the groups", result: "signal", status: "KILL", policy: "on-failure",
			wantCalls: []string{"rm listkeys .*"}, wantMarker: true},
		{name: "go panic with a restart to come keeps the groups", result: "exit-code", status: "2", policy: "on-failure",
			wantCalls: []string{"rm listkeys .*"}, wantMarker: true},
		{name: "watchdog kill releases even with a restart to come", result: "watchdog", status: "ABRT", policy: "on-failure",
			wantCalls: []string{"rm listkeys .*", "rm givegroup IPaddr::10.0.0.20", "rm givegroup 10.0.0.10"}},
		{name: "restarted daemon refusing its configuration releases what the crash left", result: "exit-code", status: "6", marker: true,
			wantCalls: []string{"rm listkeys .*", "rm givegroup IPaddr::10.0.0.20", "rm givegroup 10.0.0.10"}},
		{name: "stock's diverted ResourceManager serves", result: "watchdog", status: "ABRT", listFails: true, distrib: true,
			wantCalls: []string{"rm listkeys .*", "distrib listkeys .*", "distrib givegroup IPaddr::10.0.0.20", "distrib givegroup 10.0.0.10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			calls := filepath.Join(d, "calls")
			writeFile(t, d+"/rm", `#!/bin/sh
echo "rm $*" >>`+calls+`
case $1 in
listkeys) [ -n "$LIST_FAILS" ] && exit 1; printf '10.0.0.10\nIPaddr::10.0.0.20\n' ;;
givegroup) [ "$2" = "$FAIL_KEY" ] && exit 1 ;;
esac
exit 0
`, 0o755)
			if tc.distrib {
				writeFile(t, d+"/rm.distrib", `#!/bin/sh
echo "distrib $*" >>`+calls+`
[ "$1" = listkeys ] && printf '10.0.0.10\nIPaddr::10.0.0.20\n'
exit 0
`, 0o755)
			}
			writeFile(t, d+"/fence", "#!/bin/sh\necho \"fence $*\" >>"+calls+"\n", 0o755)
			cmd := exec.Command(filepath.Join(repo(t), "dist", "hbgo-stop-post"))
			marker := filepath.Join(d, "hbgo-crashed")
			if tc.marker {
				writeFile(t, marker, "12.5 10.0.0.10\n", 0o644)
			}
			policy := tc.policy
			if policy == "" {
				policy = "no"
			}
			cmd.Env = append(os.Environ(), "SERVICE_RESULT="+tc.result, "EXIT_STATUS="+tc.status, "EXIT_CODE=exited",
				"HBGO_RESOURCEMANAGER="+d+"/rm", "HBGO_FENCE="+d+"/fence -nf", "FAIL_KEY="+tc.failKey,
				"HBGO_RESTART_POLICY="+policy, "HBGO_CRASH_MARKER="+marker)
			if tc.listFails {
				cmd.Env = append(cmd.Env, "LIST_FAILS=1")
			}
			out, err := cmd.CombinedOutput()
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tc.wantExit {
				t.Errorf("exit %d, want %d\n%s", exit, tc.wantExit, out)
			}
			var got []string
			if b, err := os.ReadFile(calls); err == nil {
				got = strings.Split(strings.TrimSpace(string(b)), "\n")
			}
			if diff := cmp.Diff(tc.wantCalls, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s\noutput:\n%s", diff, out)
			}
			b, err := os.ReadFile(marker)
			if (err == nil) != tc.wantMarker {
				t.Errorf("marker after: %q %v, want present %v", b, err, tc.wantMarker)
			}
			if tc.wantMarker && !strings.HasSuffix(string(b), " 10.0.0.10 IPaddr::10.0.0.20 \n") {
				t.Errorf("marker %q: want the uptime then the keys", b)
			}
		})
	}
}
