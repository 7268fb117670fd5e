package media

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"go.bug.st/serial"

	"hbgo/heartbeat/config/hacf"
)

// OpenError is a medium that could not be opened: which one, why, and what
// the admin can do about it.
type OpenError struct {
	Kind string // ha.cf directive: bcast, ucast, mcast, serial
	Link string // interface or device
	Err  error  // what failed
	Hint string // what to do next
}

// Error reads `<kind> <link>: <what failed>; <what to do>`, the shape of
// `heartbeat check`'s problems.
func (e *OpenError) Error() string {
	return fmt.Sprintf("%s %s: %v; %s", e.Kind, e.Link, e.Err, e.Hint)
}

// Unwrap returns what failed.
func (e *OpenError) Unwrap() error { return e.Err }

// Config reports whether the failure is one stock finds while reading ha.cf
// (a missing interface or serial device, a bcast interface without IPv4) and
// refuses with its config exit code 6 (hacf/testdata/stock/bcast-no-ipv4.txt).
func (e *OpenError) Config() bool {
	switch e.Hint {
	case hacf.HintNoInterface, hacf.HintNoSerial, hacf.HintNotCharDevice, hacf.HintNoIPv4(e.Link):
		return true
	}
	return false
}

// HintCheck is the hint for a failure with no more specific advice.
const HintCheck = "run `heartbeat check` to list what is wrong with the configuration on this host"

// Explain returns err as an *OpenError for medium kind on link (port: the
// UDP port it binds, 0 for serial), with the hint for its cause; an
// *OpenError is returned as it is.
func Explain(kind, link string, port int, err error) error {
	if err == nil {
		return nil
	}
	var oe *OpenError
	if errors.As(err, &oe) {
		return err
	}
	return &OpenError{Kind: kind, Link: link, Err: err, Hint: hint(kind, link, port, err)}
}

// errNoIPv4 is a bcast interface without an IPv4 address to broadcast on.
var errNoIPv4 = errors.New("no IPv4 address")

// errLocked is a serial device another live process has locked.
type errLocked struct {
	pid  int
	path string
}

func (e *errLocked) Error() string { return fmt.Sprintf("locked by pid %d (%s)", e.pid, e.path) }

// hint says what to do about err from opening kind on link.
func hint(kind, link string, port int, err error) string {
	var locked *errLocked
	var pe *serial.PortError
	switch {
	case errors.As(err, &locked):
		return fmt.Sprintf("stop process %d, which holds %s, or name another serial device", locked.pid, link)
	case errors.As(err, &pe) && pe.Code() == serial.PortBusy:
		return fmt.Sprintf("stop the program that has %s open, or name another serial device", link)
	case errors.As(err, &pe) && pe.Code() == serial.InvalidSerialPort:
		return hacf.HintNotCharDevice
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM),
		errors.As(err, &pe) && pe.Code() == serial.PermissionDenied:
		return "start heartbeat as root"
	case kind == "serial" && errors.Is(err, syscall.ENOENT):
		return hacf.HintNoSerial
	case errors.Is(err, syscall.ENODEV), strings.Contains(err.Error(), "no such network interface"):
		return hacf.HintNoInterface
	case errors.Is(err, errNoIPv4):
		return hacf.HintNoIPv4(link)
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Sprintf("another program holds UDP port %d (a heartbeat still running? `ss -ulpn` names it); stop it, or give every node the same free udpport", port)
	case errors.Is(err, syscall.EADDRNOTAVAIL) && kind == "mcast":
		return fmt.Sprintf("bring %s up with multicast on (`ip link set %s up multicast on`)", link, link)
	}
	return HintCheck
}
