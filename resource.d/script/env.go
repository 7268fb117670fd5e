package script

import "strings"

// WithEnv returns a copy of s whose invocations also get extra (a later
// NAME=value replaces an earlier one): the per-invocation additions, e.g.
// HA_DONTASK=yes or MessageEnv's fields.
func (s *Script) WithEnv(extra ...string) *Script {
	c := *s
	c.Env = MergeEnv(s.Env, extra)
	return &c
}

// reservedEnv are the HA_ names hbgo (or shellfuncs) sets for scripts, some
// only in some configurations (HA_LOGFACILITY, HA_NICEFAILBACK, HA_DONTASK,
// HA_STOPRETRYMAX): a message field of that name must never supply them.
var reservedEnv = map[string]bool{
	"CURHOST": true, "DIR": true, "FUNCS": true, "DATEFMT": true, "LOGFILE": true, "DEBUGLOG": true,
	"LOGD": true, "LOGFACILITY": true, "NICEFAILBACK": true, "DONTASK": true, "OSTATUS": true,
	"STOPRETRYMAX": true, "debug": true, "RESOURCEDIR": true, "RCDIR": true, "BIN": true,
	"NOARCHBIN": true, "HBCONF_DIR": true, "LIBHBDIR": true, "VARLIB": true, "VARRUN": true,
}

// envName reports whether a field name makes a plain environment name
// after HA_: letters, digits and underscores only (no "=", no NUL).
func envName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Field is one string field of a cluster message, as the daemon hands it
// to MessageEnv (binary fields are never passed).
type Field struct{ Name, Value string }

// MessageEnv renders the cluster message that triggered a resource operation
// as HA_<field>=<value> for every string field (a repeated name keeps its last
// value, as successive setenv calls do), plus HA_OSTATUS when ostatus is not
// empty (COMPAT §4.4). Put it in Script.Message, never Script.Env: it comes
// from the wire and may not replace what hbgo set.
//
// A field named after a variable hbgo sets (reservedEnv), or whose name is
// not a plain environment name, or whose value holds a NUL byte, is left
// out. Stock's harc sets every field with setenv, so on a stock node a
// message with a FUNCS field replaces HA_FUNCS, the file rc.d scripts
// source (COMPAT §4.4, PROTOCOL §11.9); with crc keys anyone on the LAN can
// send one.
func MessageEnv(fields []Field, ostatus string) []string {
	var env []string
	for _, f := range fields {
		if !envName(f.Name) || reservedEnv[f.Name] || strings.IndexByte(f.Value, 0) >= 0 {
			continue
		}
		env = append(env, "HA_"+f.Name+"="+f.Value)
	}
	if ostatus != "" {
		env = append(env, "HA_OSTATUS="+ostatus)
	}
	return MergeEnv(nil, env)
}

// AddEnv returns base with the entries of extra whose names base does not
// set already: extra can add names, never replace them.
func AddEnv(base, extra []string) []string {
	have := make(map[string]bool, len(base))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		have[name] = true
	}
	out := append(make([]string, 0, len(base)+len(extra)), base...) // never nil: nil means inherit
	for _, kv := range extra {
		name, _, _ := strings.Cut(kv, "=")
		if !have[name] {
			have[name] = true
			out = append(out, kv)
		}
	}
	return out
}
