// Package native maps haresources agent names to the native agents (it lives apart from package agent, which every agent imports).
package native

import (
	"hbgo/resource.d/agent"
	"hbgo/resource.d/delay"
	"hbgo/resource.d/drbddisk"
	"hbgo/resource.d/filesystem"
	"hbgo/resource.d/ipaddr"
	"hbgo/resource.d/sendarp"
)

// Native returns a factory per native agent name. Agents standing in for a
// packaged resource.d wrapper (all but drbddisk) also log the wrapper's
// summary line (agent.Legacy). The agents it builds share
// one ARP sender (one raw socket per interface, kept) and one netlink handle,
// both opened on first use in the caller's network namespace.
func Native(deps agent.Deps) map[string]agent.Factory {
	sender := &sendarp.Sender{Sleep: deps.Sleep}
	host := &ipaddr.Host{Sender: sender, Log: deps.Log}
	return map[string]agent.Factory{
		"IPaddr": func(args []string) (agent.Agent, error) {
			a, err := ipaddr.New(ipaddr.IPaddr, args, host)
			if err != nil {
				return nil, err
			}
			return agent.Legacy(a, deps.Log, "IPaddr", "IPaddr_"+a.Spec.IP.String()), nil
		},
		"IPaddr2": func(args []string) (agent.Agent, error) {
			a, err := ipaddr.New(ipaddr.IPaddr2, args, host)
			if err != nil {
				return nil, err
			}
			return agent.Legacy(a, deps.Log, "IPaddr2", "IPaddr2_"+a.Spec.IP.String()), nil
		},
		"SendArp": func(args []string) (agent.Agent, error) {
			a, err := sendarp.New(args, sender, deps.Log)
			if err != nil {
				return nil, err
			}
			return agent.Legacy(a, deps.Log, "SendArp", "SendArp_"+a.T.IP.String()), nil
		},
		"Filesystem": func(args []string) (agent.Agent, error) {
			a, err := filesystem.New(args, deps)
			if err != nil {
				return nil, err
			}
			return agent.Legacy(a, deps.Log, "Filesystem", "Filesystem_"+a.Spec.Device), nil
		},
		"drbddisk": func(args []string) (agent.Agent, error) {
			return wrap(drbddisk.New(args, deps, drbddisk.DefaultsFile))
		},
		"Delay": func(args []string) (agent.Agent, error) {
			a, err := delay.New(args, deps)
			if err != nil {
				return nil, err
			}
			// The wrapper's instance is Delay_<startdelay>, 10 when not given.
			inst := "10"
			if len(args) > 0 {
				inst = args[0]
			}
			return agent.Legacy(a, deps.Log, "Delay", "Delay_"+inst), nil
		},
	}
}

// wrap turns a typed nil agent with an error into a nil interface.
func wrap[T agent.Agent](a T, err error) (agent.Agent, error) {
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Validators returns an argument check per native agent name, without side
// effects, for `heartbeat check`; errors are *agent.ArgError.
func Validators() map[string]func(args []string) error {
	return map[string]func(args []string) error{
		"IPaddr":     func(a []string) error { _, err := ipaddr.Parse(ipaddr.IPaddr, a); return err },
		"IPaddr2":    func(a []string) error { _, err := ipaddr.Parse(ipaddr.IPaddr2, a); return err },
		"SendArp":    func(a []string) error { _, err := sendarp.Parse(a); return err },
		"Filesystem": func(a []string) error { _, err := filesystem.Parse(a); return err },
		"drbddisk":   drbddisk.Validate,
		"Delay":      func(a []string) error { _, _, err := delay.Parse(a); return err },
	}
}
