package planner

import "strings"

// parseMsg builds the planner message for a wire message with the fields
// kv (name, value, name, value, …), as heartbeat/core/node/rscwire's
// FromWire does: the first field of a name counts, src is membership's
// business and ignored. It stands in for FromWire in this package's tests
// (importing it here would be a cycle); rscwire's TestFromWire pins the
// same readings. ok is false for a type the planner does not take.
func parseMsg(kv ...string) (Message, bool) {
	get := func(name string) (string, bool) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1], true
			}
		}
		return "", false
	}
	str := func(name string) string { v, _ := get(name); return v }
	switch str("t") {
	case "starting":
		return Starting{}, true
	case "resource":
		r := Resource{Full: str("rtype") == "full", Info: str("info")}
		var ok bool
		r.Set, ok = get("rsc_hold")
		r.NoSet = !ok
		if st, ok := get("isstable"); ok {
			r.Stable = StableNo
			if st == "1" {
				r.Stable = StableYes
			}
		}
		return r, true
	case "ask_resources":
		a := AskResources{Set: "all"}
		if s, ok := get("rsc_hold"); ok {
			a.Set = s
		}
		var ok bool
		a.Info, ok = get("info")
		a.NoInfo = !ok
		return a, true
	case "hb_takeover":
		return HbTakeover{Set: str("rsc_hold")}, true
	case "ip-request":
		return IPRequest{Key: str("ipaddr")}, true
	case "ip-request-resp":
		return IPRequestResp{Dest: str("dest"), Key: str("ipaddr"), WeOwn: str("weown"), OK: str("ok") == "OK"}, true
	case "shutdone":
		return Shutdone{}, true
	case "stonith":
		return StonithResult{Node: str("node"), Result: str("result")}, true
	}
	return nil, false
}

// mustMsg is parseMsg for a message the test knows the planner takes.
func mustMsg(kv ...string) Message {
	m, ok := parseMsg(kv...)
	if !ok {
		panic("not a planner message: " + strings.Join(kv, " "))
	}
	return m
}

// fieldsOf splits name=value words into parseMsg's kv list.
func fieldsOf(words []string) []string {
	var kv []string
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		kv = append(kv, k, v)
	}
	return kv
}
