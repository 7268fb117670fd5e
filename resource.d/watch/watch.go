// Package watch holds the I/O edges that see a held resource fail after its start (netlink address and link events, ARP claimants, mount table changes, polled status checks), each sending Events on a channel.
package watch

import "time"

// Kind is what a watcher saw.
type Kind int

// Kinds of Event.
const (
	Vanished Kind = iota + 1 // a held VIP was removed
	LinkUp                   // the interface of a held VIP came (back) up
	Conflict                 // another MAC claims a held VIP
	Failed                   // a watch or check found the resource failed
)

func (k Kind) String() string {
	switch k {
	case Vanished:
		return "vanished"
	case LinkUp:
		return "link-up"
	case Conflict:
		return "conflict"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Event is one observation of a watcher.
type Event struct {
	Resource string // haresources token
	Kind     Kind
	Cause    string // e.g. "netlink RTM_DELADDR", "status exit 3"
	MAC      string // Conflict: the other claimant
	At       time.Time
}

// send delivers ev without blocking the watcher forever: a full channel
// drops it (the next event or poll reports again).
func send(ch chan<- Event, ev Event) bool {
	select {
	case ch <- ev:
		return true
	default:
		return false
	}
}
