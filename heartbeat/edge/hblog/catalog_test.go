package hblog

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// capturedLogs returns every line of the stock logs in testdata (stamps stripped from .stamped files).
func capturedLogs(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.ha-*")
	files = append(files, "testdata/stock-run-oldfmt/ha-debug")
	if err != nil || len(files) == 1 {
		t.Fatalf("no captured logs: %v", err)
	}
	out := map[string][]string{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasSuffix(f, ".stamped") {
				_, line, _ = strings.Cut(line, " ")
			}
			out[f] = append(out[f], line)
		}
		fh.Close()
	}
	return out
}

// TestCatalogueAgainstStockLogs checks that every catalogued text seen in the captures is byte-identical to a captured line.
func TestCatalogueAgainstStockLogs(t *testing.T) {
	daemonTexts := map[string]bool{}
	scriptTexts := map[string]bool{}
	for _, lines := range capturedLogs(t) {
		for _, l := range lines {
			e, ok := ParseLineIn(l, 2026, time.UTC)
			if !ok {
				continue
			}
			if e.Kind == Daemon {
				daemonTexts[e.Level.String()+": "+e.Text] = true
			} else {
				scriptTexts[e.Text] = true
			}
		}
	}
	daemon := []Msg{
		NodeDead("node1"), NodeDead("10.77.0.50"), LinkUp("node2", "eth1"), LinkDead("node1", "eth1"),
		StatusUpdate("node2", "active"), StatusUpdate("node2", "up"), StatusUpdate("node1", "init"),
		StatusUpdate("10.77.0.50", "ping"), CommNowUp(), LocalStatus("up"), LocalStatus("active"),
		HeartbeatRestart("node1"), NoStonith()[0], NoStonith()[1], ResourcesAcquired("node1"),
		MachDownComplete(), DeadNodeGaveUp("node2"), LocalAcquisitionCompleted(false),
		LocalAcquisitionCompleted(true), NoLocalResources("/usr/share/heartbeat/ResourceManager listkeys node2"),
		LocalTransitionCompleted(), RemoteTransitionCompleted(),
		InitialAcquisitionComplete(ReasonResourcesUs), InitialAcquisitionComplete(ReasonAutoFailback),
		WantsStandby("node1", "all"), WantsStandby("node2", "foreign"), StandbyCanTake("node2", "all"),
		StandbyCanTake("node2", "foreign"), StandbyAcquireFrom("all", "node2"), StandbyAcquireFrom("foreign", "node2"),
		GiveUpStandby("all"), GiveUpStandby("foreign"), ReleaseCompletedStandby("all"), ReleaseCompletedStandby("foreign"),
		AcquireStandby("all"), AcquireStandby("local"), AcquisitionCompletedStandby("all"), AcquisitionCompletedStandby("local"),
		StandbyAcquisitionDone("all"), StandbyAcquisitionDone("foreign"), LocalStandbyCompleted("all"),
		LocalStandbyCompleted("foreign"), OtherNodeTookOver("all"), OtherNodeTookOver("foreign"),
		GivingUpAll(), AllRelinquished(), ShutdownComplete("node1"), ShutdownNotice("node1"),
		LostPackets(1, "node2", 37, 39), NoPktsMissing("node2"), LogdDisabled(), Version("3.0.6"),
		NoUUID(), CreatingFIFO("/var/lib/heartbeat/fifo"), UcastStarted(694, "eth1", "10.78.0.2"),
		BcastStarted(694, "eth1"), McastStarted("239.77.0.1", 694, "eth1", 1, 0),
		SerialStarted("/run/hbx-serial", 19200), PingStarted(false),
		LateHeartbeatPastDeadtime("10.77.0.50", 76180), ShutdownInProgress(17),
		Generation(1795393428), NoPreviousGeneration(1795393427),
	}
	daemon = append(daemon, StartupLines(false, "3.0.6")...)
	for _, m := range daemon {
		if !Known(m.Text) {
			t.Errorf("%q is not in the catalogue list used by Known", m.Text)
		}
		if k := m.Level.String() + ": " + m.Text; !daemonTexts[k] {
			t.Errorf("catalogue daemon line %q does not occur in the captured stock logs", k)
		}
	}
	script := []string{
		HarcRunning("status"), HarcRunning("ip-request-resp"), HarcRunning("hb_takeover"),
		MachDownTakingOver("IPaddr::10.77.0.100/24/eth0"), MachDownForeignAcquired(), MachDownCompleteFor("node1"),
		IPRequestResp("IPaddr::10.77.0.100/24/eth0", "OK", "yes"), HBStandbyGoing("all"),
		RMAcquiring("node1", []string{"IPaddr::10.77.0.100/24/eth0", "Filesystem::/dev/loop0::/mnt/hbxdata::ext4", "hbxsvc"}),
		RMReleasing("node1", []string{"IPaddr::10.77.0.100/24/eth0", "Filesystem::/dev/loop0::/mnt/hbxdata::ext4", "hbxsvc"}),
		RMRunning("/etc/ha.d/resource.d/hbxsvc", "", "stop"),
		RMRunning("/etc/ha.d//resource.d/IPaddr", "10.77.0.100/24/eth0", "start"),
		WrapperSuccess, WrapperRunning, WrapperStopped,
	}
	for _, s := range script {
		if !KnownScript(s) {
			t.Errorf("%q is not in the script catalogue", s)
		}
		if !scriptTexts[s] {
			t.Errorf("catalogue script text %q does not occur in the captured stock logs", s)
		}
	}
}

// TestCatalogueAgainstCompat checks the catalogue entries no capture shows against COMPAT §8.5/§11 texts (copied to testdata/compat-texts.txt).
func TestCatalogueAgainstCompat(t *testing.T) {
	b, err := os.ReadFile("testdata/compat-texts.txt")
	if err != nil {
		t.Fatal(err)
	}
	compat := regexp.MustCompile(`[ \t]*\n[ \t]*`).ReplaceAllString(string(b), " ") // rejoin wrapped lines
	texts := []string{
		LateHeartbeat("node2", 7080).Text, ReturningAfterPartition("node2").Text,
		strings.Replace(fmtInvalidAuth, "%d", "<n>", 1),
		BadNode("<name>").Text, InitialAcquisitionComplete("<reason>").Text, AuditBothOwnOurs().Text, AuditBothOwnForeign().Text, AuditNoneOwnsOurs().Text,
		AuditNoneOwnsForeign().Text, NoCommChannels().Text, NoLocalHeartbeat().Text, EmergencyShutdown().Text,
		ChildExited("<cmd>", 0).Text[:len("<cmd> exited with return code ")], PingStarted(true).Text,
		RMReturnCode(1, "/etc/ha.d/resource.d/tsvc"), RMGivingUp("tsvc::b"), RMRetryingStop("tsvc::b"),
		RMRebootLines()[0], RMRebootLines()[1], RMCannotLocate("<name>"), HBStandbyGoing("foreign"),
		MachDownTakingOver("10.213.0.200"), MachDownCompleteFor("node2"),
		PartitionFollowUp()[0].Text, PartitionFollowUp()[1].Text, PartitionFollowUp()[2].Text, PartitionFollowUp()[3].Text,
		StandbyIgnoredInFlux("me", "R", false).Text, "… local resources in flux.",
		strings.Replace(fmtStandbyInProgress, "%s", "R", 1)[:len("Standby in progress- new request from R ignored [")],
		NoStandbyReply().Text, CancellingStandby().Text, ShutdownDelayed(true).Text, ShutdownDelayed(false).Text,
		StonithResetting("X", "<device>").Text, StonithReset("X").Text, StonithFailed("X")[0].Text,
		StonithFailed("X")[1].Text, StonithChecking("<device>").Text,
	}
	for _, s := range texts {
		if !strings.Contains(compat, s) {
			t.Errorf("%q does not occur in the COMPAT texts", s)
		}
	}
}

// TestOmittedCoverage filters every captured log with Omitted and checks that what is left is catalogued;
// lines from other programs (ipfail) and resource-agent texts hbgo leaves to the agents are listed, not failed.
func TestOmittedCoverage(t *testing.T) {
	omitted, uncatalogued := 0, map[string]bool{}
	for f, lines := range capturedLogs(t) {
		for _, l := range lines {
			if Omitted(l) {
				omitted++
				continue
			}
			e, ok := ParseLine(l, 2026)
			if !ok {
				if strings.HasSuffix(f, ".stamped") {
					continue // raw resource-script output in ha-debug
				}
				t.Errorf("%s: unparsable line %q", f, l)
				continue
			}
			switch {
			case e.Kind == Daemon && e.Entity == "heartbeat" && !Known(e.Text) && e.Level != Debug:
				t.Errorf("%s: daemon line neither catalogued nor omitted: %q", f, l)
			case e.Kind == Script && !KnownScript(e.Text):
				t.Errorf("%s: script line neither catalogued nor omitted: %q", f, l)
			case e.Kind == Daemon && (e.Entity != "heartbeat" || e.Level == Debug) && !Known(e.Text):
				uncatalogued[e.Entity+" "+e.Level.String()+": "+e.Text] = true
			}
		}
	}
	if omitted == 0 {
		t.Error("Omitted matched nothing in the captures")
	}
	t.Logf("%d stock lines omitted; %d distinct uncatalogued lines from other programs or debug", omitted, len(uncatalogued))
	if testing.Verbose() {
		keys := make([]string, 0, len(uncatalogued))
		for k := range uncatalogued {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.Logf("uncatalogued: %s", k)
		}
	}
}

func TestOmittedExamples(t *testing.T) {
	for _, l := range []string{
		"Nov 23 00:24:28 node1 heartbeat: [17]: info: killing HBWRITE process 21 with signal 15",
		"Nov 23 00:24:28 node1 heartbeat: [17]: info: Core process 21 exited. 3 remaining",
		"Nov 23 00:23:46 node1 heartbeat: [17]: info: glib: ucast: set SO_REUSEPORT(w)",
		"Nov 23 00:23:46 node1 heartbeat: [17]: ERROR: Cannot lock ourselves into memory:  System limits on locked-in memory are too small.",
		"Nov 23 00:23:46 node1 heartbeat: [16]: WARN: Core dumps could be lost if multiple dumps occur.",
		"Nov 23 18:11:01 node1 heartbeat: [25]: debug: notify_world: setting SIGCHLD Handler to SIG_DFL",
		"Nov 22 23:18:05 node1 heartbeat: [100]: WARN: Gmain_timeout_dispatch: Dispatch function for send local status was delayed 2000 ms (> 1010 ms) before being called (GSource: 0x55)",
	} {
		if !Omitted(l) {
			t.Errorf("Omitted(%q) = false", l)
		}
	}
	for _, l := range []string{
		"Nov 23 00:23:46 node1 heartbeat: [17]: info: glib: ucast: started on port 694 interface eth1 to 10.78.0.2",
		"Nov 22 23:18:05 node1 heartbeat: [100]: WARN: node node2: is dead",
		"2026/11/23_00:23:50  harc(default)[24]:    info: Running /etc/ha.d//rc.d/status status",
	} {
		if Omitted(l) {
			t.Errorf("Omitted(%q) = true", l)
		}
	}
}
