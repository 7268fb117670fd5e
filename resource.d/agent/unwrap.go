package agent

// Unwrap returns the native agent a Legacy wrapper runs, so the monitor can
// reach it (a VIP's address, a quiet status poll without the wrapper's
// summary line every interval).
func (l *legacy) Unwrap() Agent { return l.Agent }

// Native returns a with every Legacy wrapper taken off.
func Native(a Agent) Agent {
	for {
		u, ok := a.(interface{ Unwrap() Agent })
		if !ok {
			return a
		}
		a = u.Unwrap()
	}
}
