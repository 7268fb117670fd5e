package hacf

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"hbgo/internal/diag"
	"hbgo/internal/sched"
)

// Host answers the questions about this machine that stock heartbeat asks
// while reading ha.cf (interfaces, devices, users, /etc/services).
type Host interface {
	// InterfaceExists reports whether a network interface of that name exists.
	InterfaceExists(name string) bool
	// CharDevice reports whether path exists and whether it is a character device.
	CharDevice(path string) (exists, isChar bool)
	// Executable reports whether path is an executable file.
	Executable(path string) bool
	// UserExists reports whether a user of that name exists.
	UserExists(name string) bool
	// GroupExists reports whether a group of that name exists.
	GroupExists(name string) bool
	// ServiceByPort returns the /etc/services name of a UDP port, if any.
	ServiceByPort(port int) (string, bool)
	// ServicePort returns the UDP port /etc/services gives a service, if any.
	ServicePort(name string) (int, bool)
}

// IPv4Host is a Host that also tells whether an interface has an IPv4
// address; CheckHost asks it for bcast interfaces when the Host has it.
type IPv4Host interface {
	// InterfaceHasIPv4 reports whether the interface has an IPv4 address.
	InterfaceHasIPv4(name string) bool
}

// StonithHost is a Host that also lists the STONITH device types
// cluster-glue's stonith(8) knows; CheckHost asks it when ha.cf has
// stonith or stonith_host lines and the Host has it.
type StonithHost interface {
	// StonithTypes returns the device types of `stonith -L`, or an error
	// when stonith(8) cannot be run.
	StonithTypes() (map[string]bool, error)
}

// StonithCommand is cluster-glue's stonith(8), which hbgo runs to reset a node.
const StonithCommand = "/usr/sbin/stonith"

// HintNoStonith is the hint for a STONITH line on a host without stonith(8).
const HintNoStonith = "install cluster-glue (it provides " + StonithCommand + ", which hbgo runs to reset the peer), or remove the line"

// StonithTypes implements StonithHost with `stonith -L`.
func (OSHost) StonithTypes() (map[string]bool, error) {
	out, err := sched.CombinedOutput(exec.Command(StonithCommand, "-L"))
	if err != nil {
		return nil, fmt.Errorf("%s -L: %w", StonithCommand, err)
	}
	return ParseStonithTypes(out), nil
}

// ParseStonithTypes reads `stonith -L`: one type a line; lines that are not
// a single type name (the plugin library's warnings) are skipped.
func ParseStonithTypes(out []byte) map[string]bool {
	types := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && strings.IndexFunc(l, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-./", c))
		}) < 0 {
			types[l] = true
		}
	}
	return types
}

// OSHost is Host for the machine hbgo runs on.
type OSHost struct {
	// Services is the services file to read; "" means /etc/services.
	Services string
}

// InterfaceExists implements Host.
func (OSHost) InterfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// InterfaceHasIPv4 implements IPv4Host.
func (OSHost) InterfaceHasIPv4(name string) bool {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return false
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return true
		}
	}
	return false
}

// CharDevice implements Host.
func (OSHost) CharDevice(path string) (bool, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, false
	}
	return true, fi.Mode()&fs.ModeCharDevice != 0
}

// Executable implements Host.
func (OSHost) Executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// UserExists implements Host.
func (OSHost) UserExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

// GroupExists implements Host.
func (OSHost) GroupExists(name string) bool {
	_, err := user.LookupGroup(name)
	return err == nil
}

// ServiceByPort implements Host.
func (h OSHost) ServiceByPort(port int) (string, bool) {
	for _, s := range h.services() {
		if s.port == port {
			return s.name, true
		}
	}
	return "", false
}

// ServicePort implements Host.
func (h OSHost) ServicePort(name string) (int, bool) {
	for _, s := range h.services() {
		if s.name == name || s.alias(name) {
			return s.port, true
		}
	}
	return 0, false
}

type service struct {
	name    string
	port    int
	aliases []string
}

func (s service) alias(n string) bool {
	for _, a := range s.aliases {
		if a == n {
			return true
		}
	}
	return false
}

// services reads the UDP entries of the services file; a missing file is empty.
func (h OSHost) services() []service {
	path := h.Services
	if path == "" {
		path = "/etc/services"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	return parseServices(f)
}

func parseServices(f interface{ Read([]byte) (int, error) }) []service {
	var out []service
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fl := strings.Fields(line)
		if len(fl) < 2 {
			continue
		}
		ps, proto, ok := strings.Cut(fl[1], "/")
		if !ok || proto != "udp" {
			continue
		}
		port, err := strconv.Atoi(ps)
		if err != nil {
			continue
		}
		out = append(out, service{name: fl[0], port: port, aliases: fl[2:]})
	}
	return out
}

// Hints `heartbeat check` gives for media that do not exist on this host;
// the daemon ends the same failures with the same text.
const (
	HintNoInterface   = "name an interface from `ip link` (interface names differ between hosts; check this node's)"
	HintNoSerial      = "name the serial device that exists on this host, e.g. /dev/ttyS0"
	HintNotCharDevice = "name a character device, e.g. /dev/ttyS0"
)

// HintLogDir is the hint for a logfile or debugfile (directive) whose
// directory dir is missing.
func HintLogDir(directive, dir string) string {
	return fmt.Sprintf("create %s, or write %s with a path in an existing directory (/var/log/ha-log is stock's)", dir, directive)
}

// HintLogOpen is what to do when the daemon cannot open ha.cf's logfile or
// debugfile (err names the path): the same hint as `heartbeat check` for a
// missing directory, else a pointer to the two lines.
func (c *Config) HintLogOpen(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		name := "logfile"
		if pe.Path == c.Debugfile && pe.Path != c.Logfile {
			name = "debugfile"
		}
		return HintLogDir(name, filepath.Dir(pe.Path))
	}
	return "check the logfile and debugfile lines of ha.cf and that heartbeat may write there (run `heartbeat check`)"
}

// HintNoIPv4 is the hint for a bcast interface without an IPv4 address.
func HintNoIPv4(iface string) string {
	return fmt.Sprintf("give %s an IPv4 address (bcast sends to its broadcast address), or use ucast or mcast", iface)
}

// CheckHost runs the checks stock makes against the machine while reading
// ha.cf: media interfaces and devices, respawn users and commands, apiauth
// users and groups, the UDP port's /etc/services entry. With strict false
// (checking another node's ha.cf) every finding is a warning.
func (c *Config) CheckHost(h Host, strict bool) diag.Problems {
	r := &hostReport{c: c, sev: diag.Error}
	if !strict {
		r.sev = diag.Warning
	}
	r.checkMedia(h)
	r.checkClients(h)
	r.checkStonith(h)
	if c.Watchdog != "" {
		if exists, isChar := h.CharDevice(c.Watchdog); !exists || !isChar {
			r.add(c.lastLine("watchdog"), r.sev, "", "load a watchdog driver (e.g. softdog) or remove the watchdog line",
				"watchdog device %s is not a character device on this host", c.Watchdog)
		}
	}
	if _, set := c.tryParam("udpport"); set {
		if name, ok := h.ServiceByPort(c.UDPPort); ok && name != "ha-cluster" {
			// Stock only warns (set_udpport).
			r.add(c.lastLine("udpport"), diag.Warning, fmt.Sprintf("heartbeat: udp port %s reserved for service \"%s\".", c.Params["udpport"], name),
				"use 694 (ha-cluster) or a port no other service uses", "udpport %d is registered to service %s in /etc/services", c.UDPPort, name)
		}
	} else if port, ok := h.ServicePort("ha-cluster"); ok && port != DefaultUDPPort {
		r.add(0, r.sev, "", fmt.Sprintf("write udpport %d so every node agrees", port),
			"/etc/services gives ha-cluster/udp port %d, which stock uses when ha.cf has no udpport; hbgo uses %d", port, DefaultUDPPort)
	}
	return r.ps
}

// hostReport collects CheckHost's problems at one severity.
type hostReport struct {
	c   *Config
	sev diag.Severity // Error when strict, else Warning
	ps  diag.Problems
}

func (r *hostReport) add(line int, s diag.Severity, stock, hint, format string, args ...any) {
	r.ps = append(r.ps, diag.Problem{File: r.c.File, Line: line, Severity: s, What: fmt.Sprintf(format, args...), Hint: hint, Stock: stock})
}

// checkMedia checks that each medium's interface or serial device exists, and a bcast interface has IPv4.
func (r *hostReport) checkMedia(h Host) {
	c := r.c
	for _, m := range c.Media {
		switch m.Type {
		case MediumBcast, MediumUcast, MediumMcast, MediumUcast6, MediumMcast6:
			if h.InterfaceExists(m.Iface) {
				// Stock reads the broadcast address while parsing and
				// refuses the line without one (testdata/stock/bcast-no-ipv4.txt).
				if v4, ok := h.(IPv4Host); ok && m.Type == MediumBcast && !v4.InterfaceHasIPv4(m.Iface) {
					r.add(m.Line, r.sev, fmt.Sprintf("glib: Get broadcast for interface %s failed: Cannot assign requested address", m.Iface),
						HintNoIPv4(m.Iface), "bcast interface %s has no IPv4 address", m.Iface)
				}
				continue
			}
			stock := ""
			switch m.Type {
			case MediumBcast:
				stock = fmt.Sprintf("glib: IP interface [%s] does not exist", m.Iface)
			case MediumUcast:
				stock = fmt.Sprintf("glib: ucast: interface [%s] does not exist", m.Iface)
			case MediumMcast:
				stock = fmt.Sprintf("glib: mcast device [%s] is invalid or not set up properly", m.Iface)
			}
			r.add(m.Line, r.sev, stock, HintNoInterface,
				"%s interface %s does not exist on this host", m.Type, m.Iface)
		case MediumSerial:
			exists, isChar := h.CharDevice(m.Device)
			switch {
			case !exists:
				r.add(m.Line, r.sev, fmt.Sprintf("glib: Nonexistent serial port [%s] in config file", m.Device),
					HintNoSerial, "serial device %s does not exist", m.Device)
			case !isChar:
				r.add(m.Line, r.sev, fmt.Sprintf("glib: Serial port [%s] not a char device in config file", m.Device),
					HintNotCharDevice, "serial device %s is not a character device", m.Device)
			}
		}
	}
}

// checkClients checks the users and programs of respawn/failfast lines and the users and groups of apiauth lines.
func (r *hostReport) checkClients(h Host) {
	c := r.c
	for _, ch := range c.Respawn {
		name := "respawn"
		if ch.Failfast {
			name = "failfast"
		}
		if !h.UserExists(ch.User) {
			r.add(ch.Line, r.sev, fmt.Sprintf("Invalid uid [%s] specified for client child", ch.User),
				"name an existing user (usually hacluster)", "%s user %s does not exist", name, ch.User)
		}
		if !h.Executable(ch.Path) {
			r.add(ch.Line, r.sev, fmt.Sprintf("Client child command [%s] is not executable", ch.Path),
				"install the program or fix its path", "%s command %s is not executable", name, ch.Path)
		}
	}
	for _, a := range c.APIAuth {
		if a.Implicit {
			continue
		}
		for _, u := range a.UIDs {
			if _, err := strconv.Atoi(u); err != nil && !h.UserExists(u) {
				r.add(a.Line, r.sev, fmt.Sprintf("Invalid apiauth directive [%s]", a.Raw), "name an existing user", "apiauth %s: user %s does not exist", a.Client, u)
			}
		}
		for _, g := range a.GIDs {
			if _, err := strconv.Atoi(g); err != nil && !h.GroupExists(g) {
				r.add(a.Line, r.sev, fmt.Sprintf("Invalid apiauth directive [%s]", a.Raw), "name an existing group", "apiauth %s: group %s does not exist", a.Client, g)
			}
		}
	}
}

// checkStonith checks that stonith(8) knows each stonith and stonith_host device type.
func (r *hostReport) checkStonith(h Host) {
	c := r.c
	if sh, ok := h.(StonithHost); ok && len(c.Stonith) > 0 {
		known, err := sh.StonithTypes()
		for _, st := range c.Stonith {
			directive, lsev := "stonith", r.sev
			if st.Host != "" {
				directive = "stonith_host"
			}
			if st.Host != "" && st.Host != "*" {
				// A stonith_host line for another node is ignored by stock
				// (COMPAT §2.3); whether it is this node's is not known here.
				lsev = diag.Warning
			}
			switch {
			case err != nil:
				r.add(st.Line, lsev, "", HintNoStonith, "%s %s: stonith(8) cannot be run on this host (%v)", directive, st.Type, err)
			case !known[st.Type]:
				// Stock asks the plugin library while parsing and refuses
				// the line (config.c: stonith_new fails).
				r.add(st.Line, lsev, fmt.Sprintf("Invalid Stonith type [%s]", st.Type),
					"name a type that `stonith -L` lists (e.g. external/ssh, meatware, null)",
					"%s device type %s is not known to stonith(8)", directive, st.Type)
			}
		}
	}
}

// tryParam reports whether ha.cf itself set name (not a default).
func (c *Config) tryParam(name string) (string, bool) {
	for i := len(c.Directives) - 1; i >= 0; i-- {
		if c.Directives[i].Name == name {
			return c.Directives[i].Value, true
		}
	}
	return "", false
}
