// Package haresources holds haresources resource groups: parsing them as heartbeat does, resolving each resource to an agent, and planning their start and stop.
package haresources

import "strings"

// Resource is one token of a haresources line, after the IP shorthand.
type Resource struct {
	Token string   // as written, e.g. "10.0.0.5/24" or "Filesystem::/dev/drbd0::/data::ext4"
	Name  string   // agent or script name, e.g. "IPaddr", "Filesystem", "mysql"
	Args  []string // the "::"-separated arguments, passed as separate argv words
}

// String renders the resource as heartbeat's scripts name it in logs (the token).
func (r Resource) String() string { return r.Token }

// Group is one logical haresources line: a preferred node and its resources
// in start order. Groups are addressed by Key (the first token).
type Group struct {
	Node      string     // preferred node, lower-cased
	Resources []Resource // start order; stop is the reverse
	Line      int        // first physical line (a continued entry reports its first line)
}

// Key returns the group's key: its first resource token (PROTOCOL §11.1).
func (g Group) Key() string {
	if len(g.Resources) == 0 {
		return ""
	}
	return g.Resources[0].Token
}

// Text returns the normalised line "node res1 res2 …", as ResourceManager
// logs it in "Acquiring resource group:" lines (COMPAT §4.6).
func (g Group) Text() string {
	parts := make([]string, 0, len(g.Resources)+1)
	parts = append(parts, g.Node)
	for _, r := range g.Resources {
		parts = append(parts, r.Token)
	}
	return strings.Join(parts, " ")
}
