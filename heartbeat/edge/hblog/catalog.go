package hblog

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Msg is a catalogued daemon message: its level and exact text.
type Msg struct {
	Level Level
	Text  string
}

// To logs the message through l.
func (m Msg) To(l Logger) { l.Log(m.Level, "%s", m.Text) }

// String returns the text.
func (m Msg) String() string { return m.Text }

// Entry formats of COMPAT §8.5 (daemon lines; the text after `LEVEL: `). Keep byte-identical:
// admins' grep and logcheck rules match them.
const (
	fmtNodeDead           = "node %s: is dead"
	fmtLinkUp             = "Link %s:%s up."
	fmtLinkDead           = "Link %s:%s dead."
	fmtStatusUpdate       = "Status update for node %s: status %s"
	fmtLateHeartbeat      = "Late heartbeat: Node %s: interval %d ms"
	fmtLateHeartbeatDead  = "Late heartbeat: Node %s: interval %d ms (> deadtime)"
	fmtCommNowUp          = "Comm_now_up(): updating status to active"
	fmtLocalStatus        = "Local status now set to: '%s'"
	fmtHeartbeatRestart   = "Heartbeat restart on node %s"
	fmtReturningAfterPart = "Cluster node %s returning after partition."
	fmtNoStonith          = "No STONITH device configured."
	fmtSharedDisks        = "Shared disks are not protected."
	fmtResourcesAcquired  = "Resources being acquired from %s."
	fmtMachDownComplete   = "mach_down takeover complete."
	fmtDeadNodeGaveUp     = "Dead node %s gave up resources."
	fmtLocalAcqDone       = "Local Resource acquisition completed."
	fmtLocalAcqDoneNone   = "Local Resource acquisition completed. (none)"
	fmtNoLocalResources   = "No local resources [%s] to acquire."
	fmtLocalTransition    = "local resource transition completed."
	fmtRemoteTransition   = "remote resource transition completed."
	fmtInitialAcqComplete = "Initial resource acquisition complete (%s)"
	fmtWantsStandby       = "%s wants to go standby [%s]"
	fmtStandbyCanTake     = "standby: %s can take our %s resources"
	fmtStandbyAcquireFrom = "standby: acquire [%s] resources from %s"
	fmtGiveUpStandby      = "give up %s HA resources (standby)."
	fmtReleaseDoneStandby = "%s HA resource release completed (standby)."
	fmtAcquireStandby     = "acquire %s HA resources (standby)."
	fmtAcquireDoneStandby = "%s HA resource acquisition completed (standby)."
	fmtStandbyAcqDone     = "Standby resource acquisition done [%s]."
	fmtLocalStandbyDone   = "Local standby process completed [%s]."
	fmtOtherTookOver      = "Other node completed standby takeover of %s resources."
	fmtShutdownInProgress = "Heartbeat shutdown in progress. (%d)"
	fmtGivingUpAll        = "Giving up all HA resources."
	fmtAllRelinquished    = "All HA resources relinquished."
	fmtShutdownComplete   = "%s Heartbeat shutdown complete."
	fmtShutdownNotice     = "Received shutdown notice from '%s'."
	fmtLostPackets        = "%d lost packet(s) for [%s] [%d:%d]"
	fmtNoPktsMissing      = "No pkts missing from %s!"
	fmtInvalidAuth        = "Invalid authentication [%d] in message!"
	fmtBadNode            = "process_status_message: bad node [%s] in message"
	fmtAuditBothOurs      = "Both machines own our resources!"
	fmtAuditBothForeign   = "Both machines own foreign resources!"
	fmtAuditNoneOurs      = "No one owns our local resources!"
	fmtAuditNoneForeign   = "No one owns foreign resources!"
	fmtNoCommChannels     = "send_to_all_media: No working comm channels to write to."
	fmtNoLocalHeartbeat   = "No local heartbeat. Forcing restart."
	fmtChildExited        = "%s exited with return code %d"
	fmtEmergencyShutdown  = "Emergency Shutdown: Attempting to kill everything ourselves"
	fmtPacemakerSupport   = "Pacemaker support: %s"
	fmtLogdDisabled       = "Logging daemon is disabled --enabling logging daemon is recommended"
	fmtBannerStars        = "**************************"
	fmtBanner             = "Configuration validated. Starting heartbeat %s"
	fmtVersion            = "heartbeat: version %s"
	fmtGeneration         = "Heartbeat generation: %d"
	fmtNoPrevGeneration   = "No Previous generation - starting at %d"
	fmtNoUUID             = "No uuid found for current node - generating a new uuid."
	fmtCreatingFIFO       = "Creating FIFO %s."
	fmtUcastStarted       = "glib: ucast: started on port %d interface %s to %s"
	fmtBcastStarted       = "glib: UDP Broadcast heartbeat started on port %d (%d) interface %s"
	fmtBcastClosed        = "glib: UDP Broadcast heartbeat closed on port %d interface %s - Status: %d"
	fmtMcastStarted       = "glib: UDP multicast heartbeat started for group %s port %d interface %s (ttl=%d loop=%d)"
	fmtSerialStarted      = "glib: Starting serial heartbeat on tty %s (%d baud)"
	fmtPingStarted        = "glib: ping heartbeat started."
	fmtPingGroupStarted   = "glib: ping group heartbeat started."
	fmtStartingChild      = "Starting child client \"%s\" (%d,%d)"
	fmtStartingAs         = "Starting \"%s\" as uid %d  gid %d (pid %d)"
	fmtLogRotate          = "log-rotate detected on logfile %s"
	fmtReloadSignalling   = "Signalling heartbeat pid %d to reread config files"
	fmtConfigUnchanged    = "Configuration unchanged."
	fmtRereadingAuth      = "Rereading authentication file."
	fmtRestartTriggered   = "Heartbeat restart triggered."
	fmtRestarting         = "Restarting heartbeat."
	fmtRestartExec        = "Performing heartbeat restart exec."
)

// NodeDead: WARN `node node2: is dead`.
func NodeDead(node string) Msg { return Msg{Warn, fmt.Sprintf(fmtNodeDead, node)} }

// LinkUp: info `Link node2:eth0 up.`.
func LinkUp(node, link string) Msg { return Msg{Info, fmt.Sprintf(fmtLinkUp, node, link)} }

// LinkDead: info `Link node2:eth0 dead.`.
func LinkDead(node, link string) Msg { return Msg{Info, fmt.Sprintf(fmtLinkDead, node, link)} }

// StatusUpdate: info `Status update for node node2: status active` (status init|up|active|ping|dead).
func StatusUpdate(node, status string) Msg {
	return Msg{Info, fmt.Sprintf(fmtStatusUpdate, node, status)}
}

// LateHeartbeat: WARN `Late heartbeat: Node node2: interval 7080 ms` (warntime passed).
func LateHeartbeat(node string, ms int64) Msg {
	return Msg{Warn, fmt.Sprintf(fmtLateHeartbeat, node, ms)}
}

// LateHeartbeatPastDeadtime: CRIT `Late heartbeat: Node 10.77.0.50: interval 12000 ms (> deadtime)` (seen in the ipfail captures).
func LateHeartbeatPastDeadtime(node string, ms int64) Msg {
	return Msg{Crit, fmt.Sprintf(fmtLateHeartbeatDead, node, ms)}
}

// CommNowUp: info `Comm_now_up(): updating status to active`.
func CommNowUp() Msg { return Msg{Info, fmtCommNowUp} }

// LocalStatus: info `Local status now set to: 'up'`.
func LocalStatus(status string) Msg { return Msg{Info, fmt.Sprintf(fmtLocalStatus, status)} }

// HeartbeatRestart: info `Heartbeat restart on node node2`.
func HeartbeatRestart(node string) Msg { return Msg{Info, fmt.Sprintf(fmtHeartbeatRestart, node)} }

// ReturningAfterPartition: CRIT `Cluster node node2 returning after partition.`, followed by PartitionFollowUp (COMPAT §5.8).
func ReturningAfterPartition(node string) Msg {
	return Msg{Crit, fmt.Sprintf(fmtReturningAfterPart, node)}
}

// Standby rejections (COMPAT §5.6), shutdown delays (§5.7) and legacy STONITH lines (§5.8).
const (
	fmtStandbyIgnoredFlux      = "standby message [%s] from %s ignored.  Other side is in flux."
	fmtStandbyIgnoredLocalFlux = "standby message [%s] from %s ignored.  local resources in flux."
	fmtStandbyInProgress       = "Standby in progress- new request from %s ignored [%d seconds left]" // the planner logs it (TestPlannerLinesMatchCatalogue)
	fmtNoStandbyReply          = "No reply to standby request.  Standby request cancelled."
	fmtCancellingStandby       = "Cancelling pending standby operation"
	fmtShutdownDelayedRsc      = "Shutdown delayed until current resource activity finishes."
	fmtShutdownDelayedComm     = "Shutdown delayed until Communication is up."
	fmtResettingNode           = "Resetting node %s with [%s]"
	fmtNodeNowReset            = "node %s now reset."
	fmtHostNotReset            = "Host %s not reset!"
	fmtStonithFailed           = "STONITH of %s failed.  Retrying..."
	fmtCheckingStonith         = "Checking status of STONITH device [%s]"
)

// StandbyIgnoredInFlux: WARN `standby message [me] from node2 ignored.  Other side is in flux.` (localFlux: `… local resources in flux.`).
func StandbyIgnoredInFlux(which, node string, localFlux bool) Msg {
	if localFlux {
		return Msg{Warn, fmt.Sprintf(fmtStandbyIgnoredLocalFlux, which, node)}
	}
	return Msg{Warn, fmt.Sprintf(fmtStandbyIgnoredFlux, which, node)}
}

// NoStandbyReply: WARN `No reply to standby request.  Standby request cancelled.`.
func NoStandbyReply() Msg { return Msg{Warn, fmtNoStandbyReply} }

// CancellingStandby: info `Cancelling pending standby operation` (peer died during standby).
func CancellingStandby() Msg { return Msg{Info, fmtCancellingStandby} }

// ShutdownDelayed: WARN `Shutdown delayed until current resource activity finishes.` or, before comm is up, `… until Communication is up.`.
func ShutdownDelayed(untilCommUp bool) Msg {
	if untilCommUp {
		return Msg{Warn, fmtShutdownDelayedComm}
	}
	return Msg{Warn, fmtShutdownDelayedRsc}
}

// StonithResetting: info `Resetting node node2 with [<device>]`.
func StonithResetting(node, device string) Msg {
	return Msg{Info, fmt.Sprintf(fmtResettingNode, node, device)}
}

// StonithReset: info `node node2 now reset.`.
func StonithReset(node string) Msg { return Msg{Info, fmt.Sprintf(fmtNodeNowReset, node)} }

// StonithFailed returns ERROR `Host node2 not reset!` and ERROR `STONITH of node2 failed.  Retrying...`.
func StonithFailed(node string) []Msg {
	return []Msg{{Error, fmt.Sprintf(fmtHostNotReset, node)}, {Error, fmt.Sprintf(fmtStonithFailed, node)}}
}

// StonithChecking: info `Checking status of STONITH device [<device>]` (hourly).
func StonithChecking(device string) Msg { return Msg{Info, fmt.Sprintf(fmtCheckingStonith, device)} }

// Follow-up lines of ReturningAfterPartition (hb 3.0.6 heartbeat.c, HAURL base http://linux-ha.org/wiki/).
const (
	fmtSplitBrainURL    = "For information on cluster partitions, See URL: http://linux-ha.org/wiki/Split_Brain"
	fmtDeadtimeTooSmall = "Deadtime value may be too small."
	fmtTuningFAQ        = "See FAQ for information on tuning deadtime."
	fmtHeavyLoadURL     = "URL: http://linux-ha.org/wiki/FAQ#Heavy_Load"
)

// PartitionFollowUp returns the four lines stock logs right after ReturningAfterPartition (hb 3.0.6 heartbeat.c).
func PartitionFollowUp() []Msg {
	return []Msg{{Info, fmtSplitBrainURL}, {Warn, fmtDeadtimeTooSmall}, {Info, fmtTuningFAQ}, {Info, fmtHeavyLoadURL}}
}

// NoStonith returns the two WARN lines logged on every node death without STONITH.
func NoStonith() []Msg { return []Msg{{Warn, fmtNoStonith}, {Warn, fmtSharedDisks}} }

// ResourcesAcquired: info `Resources being acquired from node2.`.
func ResourcesAcquired(node string) Msg { return Msg{Info, fmt.Sprintf(fmtResourcesAcquired, node)} }

// MachDownComplete: info `mach_down takeover complete.`.
func MachDownComplete() Msg { return Msg{Info, fmtMachDownComplete} }

// DeadNodeGaveUp: info `Dead node node2 gave up resources.`.
func DeadNodeGaveUp(node string) Msg { return Msg{Info, fmt.Sprintf(fmtDeadNodeGaveUp, node)} }

// LocalAcquisitionCompleted: info `Local Resource acquisition completed.` or, with none, `… completed. (none)`.
func LocalAcquisitionCompleted(none bool) Msg {
	if none {
		return Msg{Info, fmtLocalAcqDoneNone}
	}
	return Msg{Info, fmtLocalAcqDone}
}

// NoLocalResources: info `No local resources [/usr/share/heartbeat/ResourceManager listkeys node1] to acquire.`.
func NoLocalResources(cmd string) Msg { return Msg{Info, fmt.Sprintf(fmtNoLocalResources, cmd)} }

// LocalTransitionCompleted: info `local resource transition completed.`.
func LocalTransitionCompleted() Msg { return Msg{Info, fmtLocalTransition} }

// RemoteTransitionCompleted: info `remote resource transition completed.`.
func RemoteTransitionCompleted() Msg { return Msg{Info, fmtRemoteTransition} }

// Initial acquisition reasons seen in stock logs (COMPAT §8.5).
const (
	ReasonMachDown      = "mach_down"
	ReasonResourcesUs   = "T_RESOURCES(us)"
	ReasonResourcesThem = "T_RESOURCES(them)"
	ReasonAutoFailback  = "auto_failback"
	ReasonIPRequestResp = "ip-request-resp"
	ReasonStatus        = "status"
	ReasonReqOurRes     = "req_our_resources"
	ReasonBothStarting  = "HB_R_BOTHSTARTING"
)

// InitialAcquisitionComplete: info `Initial resource acquisition complete (T_RESOURCES(us))`.
func InitialAcquisitionComplete(reason string) Msg {
	return Msg{Info, fmt.Sprintf(fmtInitialAcqComplete, reason)}
}

// WantsStandby: info `node1 wants to go standby [all]` (COMPAT §5.6; which = all|foreign|local).
func WantsStandby(node, which string) Msg {
	return Msg{Info, fmt.Sprintf(fmtWantsStandby, node, which)}
}

// StandbyCanTake: info `standby: node2 can take our all resources`.
func StandbyCanTake(node, which string) Msg {
	return Msg{Info, fmt.Sprintf(fmtStandbyCanTake, node, which)}
}

// StandbyAcquireFrom: info `standby: acquire [foreign] resources from node1`.
func StandbyAcquireFrom(which, node string) Msg {
	return Msg{Info, fmt.Sprintf(fmtStandbyAcquireFrom, which, node)}
}

// GiveUpStandby: info `give up all HA resources (standby).` (logged by the child doing the work).
func GiveUpStandby(which string) Msg { return Msg{Info, fmt.Sprintf(fmtGiveUpStandby, which)} }

// ReleaseCompletedStandby: info `all HA resource release completed (standby).`.
func ReleaseCompletedStandby(which string) Msg {
	return Msg{Info, fmt.Sprintf(fmtReleaseDoneStandby, which)}
}

// AcquireStandby: info `acquire local HA resources (standby).`.
func AcquireStandby(which string) Msg { return Msg{Info, fmt.Sprintf(fmtAcquireStandby, which)} }

// AcquisitionCompletedStandby: info `local HA resource acquisition completed (standby).`.
func AcquisitionCompletedStandby(which string) Msg {
	return Msg{Info, fmt.Sprintf(fmtAcquireDoneStandby, which)}
}

// StandbyAcquisitionDone: info `Standby resource acquisition done [foreign].`.
func StandbyAcquisitionDone(which string) Msg {
	return Msg{Info, fmt.Sprintf(fmtStandbyAcqDone, which)}
}

// LocalStandbyCompleted: info `Local standby process completed [all].`.
func LocalStandbyCompleted(which string) Msg {
	return Msg{Info, fmt.Sprintf(fmtLocalStandbyDone, which)}
}

// OtherNodeTookOver: info `Other node completed standby takeover of all resources.`.
func OtherNodeTookOver(which string) Msg { return Msg{Info, fmt.Sprintf(fmtOtherTookOver, which)} }

// ShutdownInProgress: info `Heartbeat shutdown in progress. (17)` (COMPAT §5.7).
func ShutdownInProgress(pid int) Msg { return Msg{Info, fmt.Sprintf(fmtShutdownInProgress, pid)} }

// GivingUpAll: info `Giving up all HA resources.`.
func GivingUpAll() Msg { return Msg{Info, fmtGivingUpAll} }

// AllRelinquished: info `All HA resources relinquished.`.
func AllRelinquished() Msg { return Msg{Info, fmtAllRelinquished} }

// ShutdownComplete: info `node1 Heartbeat shutdown complete.`.
func ShutdownComplete(node string) Msg { return Msg{Info, fmt.Sprintf(fmtShutdownComplete, node)} }

// ShutdownNotice: info `Received shutdown notice from 'node2'.`.
func ShutdownNotice(node string) Msg { return Msg{Info, fmt.Sprintf(fmtShutdownNotice, node)} }

// LostPackets: WARN `1 lost packet(s) for [node2] [37:39]` (n lost between seq from and to).
func LostPackets(n int, node string, from, to uint64) Msg {
	return Msg{Warn, fmt.Sprintf("%d lost packet(s) for [%s] [%d:%d]", n, node, from, to)}
}

// NoPktsMissing: info `No pkts missing from node2!`.
func NoPktsMissing(node string) Msg { return Msg{Info, fmt.Sprintf(fmtNoPktsMissing, node)} }

// InvalidAuth: WARN `Invalid authentication [1] in message!`.
func InvalidAuth(idx int) Msg { return Msg{Warn, fmt.Sprintf(fmtInvalidAuth, idx)} }

// BadNode: ERROR `process_status_message: bad node [node9] in message`.
func BadNode(node string) Msg { return Msg{Error, fmt.Sprintf(fmtBadNode, node)} }

// AuditBothOwnOurs: ERROR `Both machines own our resources!` (resource audit, COMPAT §8.5).
func AuditBothOwnOurs() Msg { return Msg{Error, fmtAuditBothOurs} }

// AuditBothOwnForeign: ERROR `Both machines own foreign resources!`.
func AuditBothOwnForeign() Msg { return Msg{Error, fmtAuditBothForeign} }

// AuditNoneOwnsOurs: ERROR `No one owns our local resources!`.
func AuditNoneOwnsOurs() Msg { return Msg{Error, fmtAuditNoneOurs} }

// AuditNoneOwnsForeign: ERROR `No one owns foreign resources!`.
func AuditNoneOwnsForeign() Msg { return Msg{Error, fmtAuditNoneForeign} }

// NoCommChannels: CRIT `send_to_all_media: No working comm channels to write to.`.
func NoCommChannels() Msg { return Msg{Crit, fmtNoCommChannels} }

// NoLocalHeartbeat: ERROR `No local heartbeat. Forcing restart.`.
func NoLocalHeartbeat() Msg { return Msg{Error, fmtNoLocalHeartbeat} }

// ChildExited: ERROR `/usr/share/heartbeat/ResourceManager givegroup x exited with return code 1`.
func ChildExited(cmd string, rc int) Msg { return Msg{Error, fmt.Sprintf(fmtChildExited, cmd, rc)} }

// EmergencyShutdown: CRIT `Emergency Shutdown: Attempting to kill everything ourselves`.
func EmergencyShutdown() Msg { return Msg{Crit, fmtEmergencyShutdown} }

// StartupLines returns what stock logs from config check to banner (COMPAT §8.5); pacemaker is "no" in haresources mode.
func StartupLines(logdDisabledWarning bool, version string) []Msg {
	var m []Msg
	if logdDisabledWarning {
		m = append(m, Msg{Warn, fmtLogdDisabled})
	}
	return append(m, Msg{Info, fmt.Sprintf(fmtPacemakerSupport, "no")},
		Msg{Info, fmtBannerStars}, Msg{Info, fmt.Sprintf(fmtBanner, version)})
}

// LogdDisabled: WARN `Logging daemon is disabled --enabling logging daemon is recommended`.
func LogdDisabled() Msg { return Msg{Warn, fmtLogdDisabled} }

// Version: info `heartbeat: version 3.0.6`.
func Version(v string) Msg { return Msg{Info, fmt.Sprintf(fmtVersion, v)} }

// Generation: info `Heartbeat generation: 1795393428`.
func Generation(g uint64) Msg { return Msg{Info, fmt.Sprintf("Heartbeat generation: %d", g)} }

// NoPreviousGeneration: WARN `No Previous generation - starting at 1795393427`.
func NoPreviousGeneration(g uint64) Msg {
	return Msg{Warn, fmt.Sprintf("No Previous generation - starting at %d", g)}
}

// NoUUID: info `No uuid found for current node - generating a new uuid.`.
func NoUUID() Msg { return Msg{Info, fmtNoUUID} }

// CreatingFIFO: info `Creating FIFO /var/lib/heartbeat/fifo.`.
func CreatingFIFO(path string) Msg { return Msg{Info, fmt.Sprintf(fmtCreatingFIFO, path)} }

// UcastStarted: info `glib: ucast: started on port 694 interface eth1 to 10.78.0.2`.
func UcastStarted(port int, dev, peer string) Msg {
	return Msg{Info, fmt.Sprintf(fmtUcastStarted, port, dev, peer)}
}

// BcastStarted: info `glib: UDP Broadcast heartbeat started on port 694 (694) interface eth1`.
func BcastStarted(port int, dev string) Msg {
	return Msg{Info, fmt.Sprintf(fmtBcastStarted, port, port, dev)}
}

// McastStarted: info `glib: UDP multicast heartbeat started for group 239.77.0.1 port 694 interface eth1 (ttl=1 loop=0)`.
func McastStarted(group string, port int, dev string, ttl, loop int) Msg {
	return Msg{Info, fmt.Sprintf(fmtMcastStarted, group, port, dev, ttl, loop)}
}

// SerialStarted: info `glib: Starting serial heartbeat on tty /dev/ttyS0 (19200 baud)`.
func SerialStarted(tty string, baud int) Msg {
	return Msg{Info, fmt.Sprintf(fmtSerialStarted, tty, baud)}
}

// PingStarted: info `glib: ping heartbeat started.`; group true gives the ping_group text.
func PingStarted(group bool) Msg {
	if group {
		return Msg{Info, fmtPingGroupStarted}
	}
	return Msg{Info, fmtPingStarted}
}

// LogRotate: info `log-rotate detected on logfile /var/log/ha-log`.
func LogRotate(path string) Msg { return Msg{Info, fmt.Sprintf(fmtLogRotate, path)} }

// Script-line texts (COMPAT §8.3, §8.5): the level word is part of the text.

// HarcRunning: harc's `info: Running /etc/ha.d//rc.d/status status`.
func HarcRunning(typ string) string {
	return fmt.Sprintf("info: Running /etc/ha.d//rc.d/%s %s", typ, typ)
}

// MachDownTakingOver: mach_down's `info: Taking over resource group <key>`.
func MachDownTakingOver(key string) string { return "info: Taking over resource group " + key }

// MachDownForeignAcquired: mach_down's nice_failback line.
func MachDownForeignAcquired() string {
	return "info: /usr/share/heartbeat/mach_down: nice_failback: foreign resources acquired"
}

// MachDownCompleteFor: mach_down's `info: mach_down takeover complete for node node2.`.
func MachDownCompleteFor(node string) string {
	return fmt.Sprintf("info: mach_down takeover complete for node %s.", node)
}

// IPRequestResp: ip-request-resp's `received ip-request-resp <key> OK yes`.
func IPRequestResp(key, result, yes string) string {
	return fmt.Sprintf("received ip-request-resp %s %s %s", key, result, yes)
}

// HBStandbyGoing: hb_standby's `Going standby [all].`.
func HBStandbyGoing(which string) string { return fmt.Sprintf("Going standby [%s].", which) }

// RMAcquiring: ResourceManager's `info: Acquiring resource group: node1 IPaddr::… hbxsvc`.
func RMAcquiring(node string, resources []string) string {
	return "info: Acquiring resource group: " + node + " " + strings.Join(resources, " ")
}

// RMReleasing: ResourceManager's `info: Releasing resource group: node1 …`.
func RMReleasing(node string, resources []string) string {
	return "info: Releasing resource group: " + node + " " + strings.Join(resources, " ")
}

// RMRunning: ResourceManager's `info: Running /etc/ha.d/resource.d/IPaddr 10.0.0.5 start`; empty args give stock's double space (`hbxsvc  start`).
func RMRunning(path, args, op string) string {
	return fmt.Sprintf("info: Running %s %s %s", path, args, op)
}

// RMReturnCode: ResourceManager's `ERROR: Return code 1 from /etc/ha.d/resource.d/tsvc`.
func RMReturnCode(rc int, path string) string {
	return fmt.Sprintf("ERROR: Return code %d from %s", rc, path)
}

// RMGivingUp: ResourceManager's `CRIT: Giving up resources due to failure of tsvc::b`.
func RMGivingUp(token string) string { return "CRIT: Giving up resources due to failure of " + token }

// RMRetryingStop: ResourceManager's `info: Retrying failed stop operation [tsvc::b]`.
func RMRetryingStop(token string) string {
	return "info: Retrying failed stop operation [" + token + "]"
}

// RMRebootLines: ResourceManager's two CRIT lines before it kills heartbeat and reboots (COMPAT §4.8).
func RMRebootLines() []string {
	return []string{"CRIT: Resource STOP failure. Reboot required!", "CRIT: Killing heartbeat ungracefully!"}
}

// RMCannotLocate: ResourceManager's `ERROR: Cannot locate resource script <name>`.
func RMCannotLocate(name string) string { return "ERROR: Cannot locate resource script " + name }

// Legacy wrapper summary texts (two spaces after INFO:/ERROR:, COMPAT §8.5).
const (
	WrapperSuccess = "INFO:  Success"
	WrapperRunning = "INFO:  Running OK"
	WrapperStopped = "INFO:  Resource is stopped"
	WrapperGeneric = "ERROR:  Generic error"
	WrapperIllegal = "ERROR:  Illegal argument"
)

// catalogue lists every daemon format above, for Known.
var catalogue = []string{
	fmtNodeDead, fmtLinkUp, fmtLinkDead, fmtStatusUpdate, fmtLateHeartbeat, fmtLateHeartbeatDead,
	fmtCommNowUp, fmtLocalStatus, fmtHeartbeatRestart, fmtReturningAfterPart, fmtNoStonith,
	fmtSharedDisks, fmtResourcesAcquired, fmtMachDownComplete, fmtDeadNodeGaveUp, fmtLocalAcqDone,
	fmtLocalAcqDoneNone, fmtNoLocalResources, fmtLocalTransition, fmtRemoteTransition,
	fmtInitialAcqComplete, fmtWantsStandby, fmtStandbyCanTake, fmtStandbyAcquireFrom,
	fmtGiveUpStandby, fmtReleaseDoneStandby, fmtAcquireStandby, fmtAcquireDoneStandby,
	fmtStandbyAcqDone, fmtLocalStandbyDone, fmtOtherTookOver, fmtShutdownInProgress, fmtGivingUpAll,
	fmtAllRelinquished, fmtShutdownComplete, fmtShutdownNotice, fmtLostPackets, fmtNoPktsMissing,
	fmtInvalidAuth, fmtBadNode, fmtAuditBothOurs, fmtAuditBothForeign, fmtAuditNoneOurs,
	fmtAuditNoneForeign, fmtNoCommChannels, fmtNoLocalHeartbeat, fmtChildExited,
	fmtEmergencyShutdown, fmtPacemakerSupport, fmtLogdDisabled, fmtBannerStars, fmtBanner,
	fmtVersion, fmtGeneration, fmtNoPrevGeneration, fmtNoUUID, fmtCreatingFIFO, fmtUcastStarted,
	fmtBcastStarted, fmtBcastClosed, fmtMcastStarted, fmtSerialStarted, fmtPingStarted,
	fmtPingGroupStarted, fmtStartingChild, fmtStartingAs, fmtLogRotate, fmtReloadSignalling,
	fmtConfigUnchanged, fmtRereadingAuth, fmtRestartTriggered, fmtRestarting, fmtRestartExec,
	fmtSplitBrainURL, fmtDeadtimeTooSmall, fmtTuningFAQ, fmtHeavyLoadURL,
	fmtStandbyIgnoredFlux, fmtStandbyIgnoredLocalFlux, fmtStandbyInProgress, fmtNoStandbyReply,
	fmtCancellingStandby, fmtShutdownDelayedRsc, fmtShutdownDelayedComm, fmtResettingNode,
	fmtNodeNowReset, fmtHostNotReset, fmtStonithFailed, fmtCheckingStonith,
}

// scriptCatalogue lists the script-line text formats, for KnownScript.
var scriptCatalogue = []string{
	"info: Running /etc/ha.d//rc.d/%s %s", "info: Taking over resource group %s",
	"info: /usr/share/heartbeat/mach_down: nice_failback: foreign resources acquired",
	"info: mach_down takeover complete for node %s.", "received ip-request-resp %s %s %s",
	"Going standby [%s].", "info: Acquiring resource group: %s", "info: Releasing resource group: %s",
	"info: Running %s %s %s", "ERROR: Return code %d from %s",
	"CRIT: Giving up resources due to failure of %s", "info: Retrying failed stop operation [%s]",
	"CRIT: Resource STOP failure. Reboot required!", "CRIT: Killing heartbeat ungracefully!",
	"ERROR: Cannot locate resource script %s",
	WrapperSuccess, WrapperRunning, WrapperStopped, WrapperGeneric, WrapperIllegal,
	// Resource-agent texts (COMPAT §8.5) that hbgo's native agents reproduce.
	// (Not their lines for commands hbgo never runs: agent.DroppedLines, see Omitted.)
	"INFO: Using calculated netmask for %s: %s",
	"INFO: Running start for %s on %s", "INFO: Running stop for %s on %s",
	"INFO: Trying to unmount %s", "INFO: unmounted %s successfully",
	"ERROR: Couldn't unmount %s; trying cleanup with TERM", "INFO: sending signal TERM to: %s",
	"INFO: Adding inet address %s with broadcast address %s to device %s",
	"INFO: Bringing device %s up",
	"INFO: IP status = ok, IP_CIP=",
}

// The catalogue's regexps are compiled on first use: at init they were
// most of the daemon's start-up heap (1.6 MB, GODEBUG=inittrace=1), and the
// daemon never asks.
var (
	catalogueRE       = sync.OnceValue(func() []*regexp.Regexp { return compileFormats(catalogue) })
	scriptCatalogueRE = sync.OnceValue(func() []*regexp.Regexp { return compileFormats(scriptCatalogue) })
)

// compileFormats turns printf formats into anchored regexps (%s = any text, %d = an integer).
func compileFormats(fmts []string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(fmts))
	for i, f := range fmts {
		q := regexp.QuoteMeta(f)
		q = strings.ReplaceAll(q, "%s", ".*")
		q = strings.ReplaceAll(q, "%d", "-?[0-9]+")
		out[i] = regexp.MustCompile("^" + q + "$")
	}
	return out
}

// Known reports whether text is a catalogued daemon message.
func Known(text string) bool { return matchAny(catalogueRE(), text) }

// KnownScript reports whether text is a catalogued script-line text.
func KnownScript(text string) bool { return matchAny(scriptCatalogueRE(), text) }

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
