package script

import (
	"hbgo/heartbeat/wire"
)

// WithEnv returns a copy of s whose invocations also get extra (a later
// NAME=value replaces an earlier one): the per-invocation additions, e.g.
// HA_DONTASK=yes or MessageEnv's fields.
func (s *Script) WithEnv(extra ...string) *Script {
	c := *s
	c.Env = MergeEnv(s.Env, extra)
	return &c
}

// MessageEnv renders the cluster message that triggered a resource operation
// as HA_<field>=<value> for every string field (a repeated name keeps its last
// value, as successive setenv calls do), plus HA_OSTATUS when ostatus is not
// empty (COMPAT §4.4).
func MessageEnv(m *wire.Message, ostatus string) []string {
	var env []string
	if m != nil {
		for _, f := range m.Fields {
			if f.Type != wire.String {
				continue
			}
			env = append(env, "HA_"+f.Name+"="+string(f.Value))
		}
	}
	if ostatus != "" {
		env = append(env, "HA_OSTATUS="+ostatus)
	}
	return MergeEnv(nil, env)
}
