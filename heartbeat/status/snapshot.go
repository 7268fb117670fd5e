// Package status holds what hbgo shows of a cluster from outside: the versioned snapshot one node takes of it, its renderings for `heartbeat status`, `--json` and Prometheus, the health rule behind the exit code, and the peer-configuration hash.
package status

import (
	"sort"
	"time"
)

// Schema is the version of the JSON form; it changes only when a field
// changes meaning or goes away (new fields may appear within a version).
const Schema = 1

// Exit codes of `heartbeat status`, Nagios-style.
const (
	ExitHealthy    = 0 // every node and link up, no failure
	ExitDegraded   = 1 // a link down, the peer dead, a failed resource, a config mismatch
	ExitNotRunning = 3 // no daemon answered on the control socket
)

// Snapshot is the cluster as one node sees it at one moment. It holds no
// key material: authkeys' secrets never reach it.
type Snapshot struct {
	Schema    int       `json:"schema"`  // always Schema
	Time      time.Time `json:"time"`    // when the snapshot was taken
	Version   string    `json:"version"` // this daemon's software, "hbgo VERSION" (internal/version)
	Local     string    `json:"local"`   // this node's name
	Keepalive Millis    `json:"keepalive_ms"`
	Deadtime  Millis    `json:"deadtime_ms"`
	Nodes     []Node    `json:"nodes"`  // ha.cf order: normal nodes, then ping nodes
	Groups    []Group   `json:"groups"` // haresources order
	// Drops counts received datagrams dropped, by reason (bad-digest,
	// unknown-key, replay, malformed, ...).
	Drops map[string]uint64 `json:"drops"`
	// Transitions counts resource transitions on this node by cause.
	Transitions    map[string]uint64 `json:"transitions"`
	LastTransition *Transition       `json:"last_transition,omitempty"`
	PeerConfig     PeerConfig        `json:"peer_config"`
	Warnings       []Warning         `json:"warnings"` // things that need a person
}

// Millis is a duration shown as whole milliseconds in JSON.
type Millis int64

// Ms converts d to Millis.
func Ms(d time.Duration) Millis { return Millis(d.Milliseconds()) }

// Node is one ha.cf node (normal or ping) as this node sees it.
type Node struct {
	Name  string `json:"name"`
	Type  string `json:"type"`  // "normal" or "ping"
	Local bool   `json:"local"` // this node
	State string `json:"state"` // init, up, active, dead (ping nodes: ping or dead)
	// Generation is the node's hb_generation from its packets (0: not heard).
	Generation uint64 `json:"generation"`
	// Software is "hbgo VERSION" (this node, and a peer whose status
	// messages carry VersionField), "hbgo" (a peer sending only
	// ConfigField), "heartbeat (stock)" for a stock peer, "" when not
	// heard (PeerSoftware).
	Software string `json:"software"`
	// LateHeartbeats counts status messages that came later than warntime.
	LateHeartbeats uint64 `json:"late_heartbeats"`
	Links          []Link `json:"links"`
}

// Link is one medium to a node.
type Link struct {
	Name string `json:"name"`
	Up   bool   `json:"up"`
	// LastHeartbeatAge is the seconds since the last packet from the node
	// on this link; nil when none was ever heard (or for the local node).
	LastHeartbeatAge *float64 `json:"last_heartbeat_age_s"`
}

// Group is one haresources group.
type Group struct {
	Name      string     `json:"name"`    // its key: the first resource
	Primary   string     `json:"primary"` // the node haresources names first
	Holder    string     `json:"holder"`  // node that runs it; "" none or unknown
	Resources []Resource `json:"resources"`
	// HandedOver: this node handed the group to the peer after
	// failover_threshold monitor failures and will not take it back
	// (auto_failback included) until `heartbeat cleanup` or a
	// failure_window without a failure. Absent when false.
	HandedOver bool `json:"handed_over,omitempty"`
}

// Resource states.
const (
	StateStarted  = "started"
	StateStopped  = "stopped"
	StateStarting = "starting"
	StateStopping = "stopping"
	StateFailed   = "failed"
)

// Resource is one resource of a group on this node.
type Resource struct {
	Name  string    `json:"name"` // the haresources token
	State string    `json:"state"`
	Since time.Time `json:"since"` // when it entered State; zero if unknown
	// Failures counts this resource's failures here: failed starts and
	// stops, plus MonitorFailures. `heartbeat cleanup` resets it; it is
	// what Health judges.
	Failures uint64 `json:"failures"`
	// MonitorFailures is the part of Failures the resource monitor counted
	// after a start (vanished VIP, unmount, failed check), within
	// failure_window as the monitor counts them toward failover_threshold;
	// persisted across daemon restarts. Absent when 0.
	MonitorFailures uint64 `json:"monitor_failures,omitempty"`
	// FailuresTotal counts the failures (failed starts and stops, and the
	// monitor's) this daemon saw since it started: neither `heartbeat
	// cleanup` nor failure_window takes it back, a daemon restart starts it
	// at 0. Absent when 0 (added within schema 1).
	FailuresTotal uint64 `json:"failures_total,omitempty"`
}

// Transition is a change of which node holds resources.
type Transition struct {
	Time  time.Time `json:"time"`
	Cause string    `json:"cause"` // e.g. peer-dead, standby, takeover, failback, startup, shutdown
	Text  string    `json:"text"`  // one line for a person
}

// Peer-configuration states.
const (
	ConfigMatch    = "match"
	ConfigMismatch = "mismatch"
	ConfigUnknown  = "unknown" // stock peer, or not heard yet
)

// PeerConfig says whether the peer runs the same configuration.
type PeerConfig struct {
	State string   `json:"state"`           // match, mismatch, unknown
	Parts []string `json:"parts,omitempty"` // mismatch: the parts that differ
}

// Warning is a condition that needs a person.
type Warning struct {
	Code string `json:"code"` // crc-auth, ping-unreachable, stock-stuck, ...
	Text string `json:"text"`
}

// Reason strings of Health.
const (
	reasonPeerDead = "peer %s dead"
	reasonLinkDown = "link %s to %s down"
)

// Health returns the exit code the snapshot deserves and why it is not 0.
func (s *Snapshot) Health() (int, []string) {
	var why []string
	for _, n := range s.Nodes {
		switch {
		case n.Local:
		case n.Type == "ping":
			if n.State == "dead" {
				why = append(why, "ping node "+n.Name+" unreachable")
			}
		case n.State == "dead":
			why = append(why, sprintf(reasonPeerDead, n.Name))
		default:
			for _, l := range n.Links {
				if !l.Up {
					why = append(why, sprintf(reasonLinkDown, l.Name, n.Name))
				}
			}
		}
	}
	for _, g := range s.Groups {
		for _, r := range g.Resources {
			if r.State == StateFailed {
				why = append(why, "resource "+r.Name+" failed")
			} else if r.Failures > 0 {
				why = append(why, sprintf("resource %s failed %d times", r.Name, r.Failures))
			}
		}
	}
	if s.PeerConfig.State == ConfigMismatch {
		why = append(why, "peer configuration differs")
	}
	if len(why) > 0 {
		return ExitDegraded, why
	}
	return ExitHealthy, nil
}

// DropReasons are the drop counters always present, so rates start at 0.
var DropReasons = []string{"bad-digest", "unknown-key", "replay", "malformed"}

func sortedKeys(m map[string]uint64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
