package status

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// timeFormat is how times are shown to a person: in the snapshot's zone.
const timeFormat = "2006-01-02 15:04:05"

// WriteJSON writes the snapshot as indented JSON, the documented schema.
func WriteJSON(w io.Writer, s *Snapshot) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// MarshalSnapshot returns the compact JSON the daemon sends over the control socket.
func MarshalSnapshot(s *Snapshot) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return b, nil
}

// ReadJSON decodes a snapshot and refuses a schema this code does not know.
func ReadJSON(b []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if s.Schema != Schema {
		return nil, fmt.Errorf("status: schema %d, this program reads %d", s.Schema, Schema)
	}
	return &s, nil
}

// WriteText writes the one-screen summary `heartbeat status` prints.
func WriteText(w io.Writer, s *Snapshot) error {
	var b strings.Builder
	code, why := s.Health()
	verdict := "healthy"
	if code != ExitHealthy {
		verdict = "DEGRADED: " + strings.Join(why, "; ")
	}
	fmt.Fprintf(&b, "%s on %s at %s: %s\n", s.Version, s.Local, s.Time.Format(timeFormat), verdict)
	fmt.Fprintf(&b, "timing: keepalive %d ms, deadtime %d ms\n", s.Keepalive, s.Deadtime)

	writeTextNodes(&b, s)
	writeTextGroups(&b, s)
	writeTextCounters(&b, s)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTextNodes writes the Nodes section: each node, and each peer's links.
func writeTextNodes(b *strings.Builder, s *Snapshot) {
	b.WriteString("\nNodes\n")
	for _, n := range s.Nodes {
		name := n.Name
		if n.Local {
			name += " (this node)"
		}
		if n.Type == "ping" {
			fmt.Fprintf(b, "  %-22s ping node, %s\n", name, pingWord(n.State))
			continue
		}
		sw := n.Software
		if sw == "" {
			sw = "software unknown"
		}
		gen := "gen ?"
		if n.Generation > 0 {
			gen = fmt.Sprintf("gen %d", n.Generation)
		}
		fmt.Fprintf(b, "  %-22s %-7s %-9s %s", name, n.State, gen, sw)
		if !n.Local {
			fmt.Fprintf(b, ", %d late heartbeats", n.LateHeartbeats)
		}
		b.WriteString("\n")
		if n.Local {
			continue
		}
		for _, l := range n.Links {
			st := "up"
			if !l.Up {
				st = "DOWN"
			}
			age := "never heard"
			if l.LastHeartbeatAge != nil {
				age = "last heartbeat " + ageText(*l.LastHeartbeatAge) + " ago"
			}
			fmt.Fprintf(b, "    link %-16s %-4s %s\n", l.Name, st, age)
		}
	}
}

// writeTextGroups writes the Resource groups section and the last transition.
func writeTextGroups(b *strings.Builder, s *Snapshot) {
	b.WriteString("\nResource groups\n")
	if len(s.Groups) == 0 {
		b.WriteString("  none\n")
	}
	for _, g := range s.Groups {
		holder := g.Holder
		if holder == "" {
			holder = "nobody"
		}
		handed := ""
		if g.HandedOver {
			handed = "; handed over by " + s.Local + " after failures, not taken back until heartbeat cleanup"
		}
		fmt.Fprintf(b, "  %s (primary %s): held by %s%s\n", g.Name, g.Primary, holder, handed)
		for _, r := range g.Resources {
			since := ""
			if !r.Since.IsZero() {
				since = " since " + r.Since.In(s.Time.Location()).Format(timeFormat)
			}
			mon := ""
			if r.MonitorFailures > 0 {
				mon = fmt.Sprintf(" (%d seen by the monitor)", r.MonitorFailures)
			}
			if r.FailuresTotal != r.Failures {
				// cleanup or failure_window took some back, or they were counted before this daemon started
				mon += fmt.Sprintf(", %d since the daemon started", r.FailuresTotal)
			}
			fmt.Fprintf(b, "    %-34s %s%s, %d failures%s\n", r.Name, r.State, since, r.Failures, mon)
		}
	}
	if t := s.LastTransition; t != nil {
		fmt.Fprintf(b, "  last transition %s (%s): %s\n", t.Time.In(s.Time.Location()).Format(timeFormat), t.Cause, t.Text)
	} else {
		b.WriteString("  no transition since start\n")
	}
}

// writeTextCounters writes the dropped datagrams, the peer's configuration and the warnings.
func writeTextCounters(b *strings.Builder, s *Snapshot) {
	b.WriteString("\nDropped datagrams: ")
	var drops []string
	for _, k := range sortedKeys(s.Drops) {
		if v := s.Drops[k]; v > 0 {
			drops = append(drops, fmt.Sprintf("%s %d", k, v))
		}
	}
	if len(drops) == 0 {
		drops = []string{"none"}
	}
	b.WriteString(strings.Join(drops, ", ") + "\n")

	b.WriteString("Peer configuration: ")
	switch s.PeerConfig.State {
	case ConfigMatch:
		b.WriteString("matches\n")
	case ConfigMismatch:
		fmt.Fprintf(b, "DIFFERS in %s (compare the files on both nodes)\n", strings.Join(s.PeerConfig.Parts, ", "))
	default:
		b.WriteString("unknown (a stock peer, or not heard yet)\n")
	}

	if len(s.Warnings) > 0 {
		b.WriteString("\nWarnings\n")
		for _, wn := range s.Warnings {
			fmt.Fprintf(b, "  %s: %s\n", wn.Code, wn.Text)
		}
	}
}

func pingWord(st string) string {
	if st == "dead" {
		return "UNREACHABLE"
	}
	return "reachable"
}

// ageText shows seconds the way a person reads them: 0.2 s, 12 s, 3 min.
func ageText(sec float64) string {
	switch d := time.Duration(sec * float64(time.Second)); {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", sec)
	case d < 2*time.Minute:
		return fmt.Sprintf("%.0f s", sec)
	case d < 2*time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	default:
		return fmt.Sprintf("%.0f h", d.Hours())
	}
}
