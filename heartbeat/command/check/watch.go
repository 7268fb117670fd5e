package check

import (
	"fmt"
	"io"

	"hbgo/haresources"
	"hbgo/heartbeat/config/hacf"
	"hbgo/internal/diag"
)

// watchConf is the hbgo.cf in force: the file's, or the defaults.
func (r *Report) watchConf() hacf.Watch {
	if r.Conf != nil && r.Conf.Hbgo != nil {
		return r.Conf.Hbgo.Watch
	}
	return hacf.DefaultWatch()
}

// watchProblems warns about monitor lines that name no haresources resource
// and no agent of one: they would watch nothing.
func (r *Report) watchProblems() diag.Problems {
	var ps diag.Problems
	if r.Conf == nil || r.Conf.Hbgo == nil {
		return nil
	}
	for _, m := range r.Conf.Hbgo.Watch.Monitors {
		found := false
		for _, p := range r.Plans {
			for _, s := range p.Steps {
				if s.Resource.Token == m.Target || s.Resource.Name == m.Target {
					found = true
				}
			}
		}
		if !found {
			ps.Warnf(r.HbgoPath, m.Line, "write a resource as haresources spells it (e.g. IPaddr::10.0.0.5/24/eth0) or an agent name (e.g. mysql)",
				"monitor %s names no haresources resource or agent; it watches nothing", m.Target)
		}
	}
	return ps
}

// describeWatch says what watches one resource after its start and what a
// failure does.
func describeWatch(w hacf.Watch, s Step) string {
	rs := s.Resource
	native := s.Resolution.Kind == haresources.Native
	m, monitored := w.MonitorFor(rs.Token, rs.Name)
	ip := native && (rs.Name == "IPaddr" || rs.Name == "IPaddr2")
	var what string
	switch {
	case ip && w.VIPWatch:
		what = "netlink events (a removed VIP is put back and announced), ARP (another MAC claiming it: bounded re-announce)"
		if !monitored {
			return what + "; never moves the group (no monitor line)"
		}
		what += "; a failed restore"
	case ip:
		if !monitored {
			return "not watched (vip_watch off, no monitor line)"
		}
		what = fmt.Sprintf("status every %s (timeout %s, vip_watch off)", ms(m.Interval), ms(m.Timeout))
	case !monitored:
		return "not watched after start (no monitor line)"
	case native && rs.Name == "Filesystem":
		what = "mount table events (/proc/self/mountinfo): an unmount"
	case native && rs.Name == "drbddisk":
		what = fmt.Sprintf("drbdadm role every %s (timeout %s): leaving Primary", ms(m.Interval), ms(m.Timeout))
	default:
		what = fmt.Sprintf("status every %s (timeout %s, the process group killed then): not running", ms(m.Interval), ms(m.Timeout))
	}
	return what + " → " + onFailText(w, m.OnFail)
}

func onFailText(w hacf.Watch, onFail string) string {
	switch onFail {
	case "standby":
		return "on-fail standby: the group goes to the peer when it is active"
	case "ignore":
		return "on-fail ignore: logged only"
	}
	return fmt.Sprintf("on-fail restart: this resource and those after it restart; after %d failures in %s the group goes to the peer when it is active",
		w.FailoverThreshold, w.FailureWindow)
}

// writeWatch writes the watch settings of hbgo.cf for the summary.
func writeWatch(out io.Writer, w hacf.Watch) {
	fmt.Fprintf(out, "  vip_watch %s\n", onOff(w.VIPWatch))
	fmt.Fprintf(out, "  failover_threshold %d\n", w.FailoverThreshold)
	fmt.Fprintf(out, "  failure_window %s\n", w.FailureWindow)
	for _, m := range w.Monitors {
		fmt.Fprintf(out, "  monitor %s interval=%s timeout=%s on-fail=%s\n", m.Target, m.Interval, m.Timeout, m.OnFail)
	}
}
