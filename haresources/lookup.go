package haresources

// ResourceManager's lookups (COMPAT §4.11) over parsed groups. Stock selects
// lines with egrep patterns (listkeys takes a regular expression, takegroup
// searches whole lines for " key "); these match exactly instead, which gives
// the same answers because Parse refuses duplicate keys and keys found in
// other groups' lines.

// Keys returns every group's key in file order (allkeys, listkeys '.*').
func Keys(groups []Group) []string {
	keys := make([]string, 0, len(groups))
	for _, g := range groups {
		keys = append(keys, g.Key())
	}
	return keys
}

// NodeKeys returns the keys of node's groups in file order (listkeys <node>;
// the node compares case-insensitively, as stock's egrep -i does).
func NodeKeys(groups []Group, node string) []string {
	local, _ := Split(groups, node)
	return Keys(local)
}

// Split divides groups into node's local groups and the foreign rest, each in file order (PROTOCOL §11.1).
func Split(groups []Group, node string) (local, foreign []Group) {
	n := asciiLower(node)
	for _, g := range groups {
		if g.Node == n {
			local = append(local, g)
		} else {
			foreign = append(foreign, g)
		}
	}
	return local, foreign
}

// Ours returns the groups whose preferred node is node (ourkeys with HA_CURHOST=node).
func Ours(groups []Group, node string) []Group {
	local, _ := Split(groups, node)
	return local
}

// Others returns the groups whose preferred node is not node (otherkeys with HA_CURHOST=node).
func Others(groups []Group, node string) []Group {
	_, foreign := Split(groups, node)
	return foreign
}

// ByKey returns the group whose key is exactly key (takegroup/givegroup/statgroup <key>).
func ByKey(groups []Group, key string) (Group, bool) {
	for _, g := range groups {
		if g.Key() == key {
			return g, true
		}
	}
	return Group{}, false
}
