package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.bug.st/serial"

	"hbgo/heartbeat/config/hacf"
)

// noHost is a hacf.Host on which no interface or device exists.
type noHost struct{ hacf.OSHost }

func (noHost) InterfaceExists(string) bool             { return false }
func (noHost) CharDevice(string) (exists, isChar bool) { return false, false }

// checkHint returns the hint `heartbeat check` gives for the first problem
// of an ha.cf line checked against noHost.
func checkHint(t *testing.T, line string) string {
	t.Helper()
	c, _ := hacf.Parse(strings.NewReader(line+"\nnode a b\n"), "ha.cf")
	ps := c.CheckHost(noHost{}, true)
	if len(ps) == 0 {
		t.Fatalf("heartbeat check finds nothing wrong with %q", line)
	}
	return ps[0].Hint
}

// TestOpenErrorsEndWithCheckHint opens media that cannot be opened and
// checks that each error ends with the hint `heartbeat check` gives for the
// same line, or with a hint of its own for what check cannot see.
func TestOpenErrorsEndWithCheckHint(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "not-a-tty")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	lockDir := t.TempDir()
	held := "/dev/hbgo-held0"
	// A lock of a live process (our parent) on held.
	if err := os.WriteFile(filepath.Join(lockDir, "LCK..hbgo-held0"), []byte(fmt.Sprintf("%10d\n", os.Getppid())), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		open     func() (Medium, error)
		wantText string // the error's text up to the hint
		wantHint string
	}{
		{"bcast on a missing interface", func() (Medium, error) {
			return OpenBcast(ctx, BcastSpec{Iface: "hbgonosuch0", Port: 694}, nil)
		}, "bcast hbgonosuch0: route ip+net: no such network interface", checkHint(t, "bcast hbgonosuch0")},
		{"mcast on a missing interface", func() (Medium, error) {
			return OpenMcast(ctx, McastSpec{Iface: "hbgonosuch0", Port: 694}, nil)
		}, "mcast hbgonosuch0: route ip+net: no such network interface", checkHint(t, "mcast hbgonosuch0 239.0.0.1 694 1 0")},
		{"serial device missing", func() (Medium, error) {
			return OpenSerial(SerialSpec{Device: "/dev/hbgonosuch0", LockDir: lockDir}, nil, nil)
		}, "serial /dev/hbgonosuch0: no such file or directory", checkHint(t, "serial /dev/hbgonosuch0")},
		{"serial device not a tty", func() (Medium, error) {
			return OpenSerial(SerialSpec{Device: regular, LockDir: lockDir}, nil, nil)
		}, "serial " + regular + ": Invalid serial port: error getting term settings: inappropriate ioctl for device", hacf.HintNotCharDevice},
		{"serial device locked by a live process", func() (Medium, error) {
			return OpenSerial(SerialSpec{Device: held, LockDir: lockDir}, nil, nil)
		}, fmt.Sprintf("serial %s: locked by pid %d (%s)", held, os.Getppid(), filepath.Join(lockDir, "LCK..hbgo-held0")),
			fmt.Sprintf("stop process %d, which holds %s, or name another serial device", os.Getppid(), held)},
		{"serial device relative", func() (Medium, error) {
			return OpenSerial(SerialSpec{Device: "ttyS0", LockDir: lockDir}, nil, nil)
		}, "serial ttyS0: device must be an absolute path", HintCheck},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.open()
			if err == nil {
				m.Close()
				t.Fatal("opened")
			}
			var oe *OpenError
			if !errors.As(err, &oe) {
				t.Fatalf("%v is a %T, want *OpenError", err, err)
			}
			if want := tc.wantText + "; " + tc.wantHint; err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
		})
	}
}

// TestHint covers the causes no unprivileged test can provoke.
func TestHint(t *testing.T) {
	inUse := &net.OpError{Op: "listen", Net: "udp4", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	for _, tc := range []struct {
		kind, link string
		port       int
		err        error
		want       string
		config     bool // stock refuses it while reading ha.cf: exit 6
	}{
		{"bcast", "eth1", 694, fmt.Errorf("read socket: %w", inUse),
			"another program holds UDP port 694 (a heartbeat still running? `ss -ulpn` names it); stop it, or give every node the same free udpport", false},
		{"ucast", "eth1", 694, fmt.Errorf("read socket: %w", fmt.Errorf("SO_BINDTODEVICE eth1: %w", syscall.ENODEV)), hacf.HintNoInterface, true},
		{"ucast", "eth1", 694, fmt.Errorf("read socket: %w", syscall.EPERM), "start heartbeat as root", false},
		{"serial", "/dev/ttyS0", 0, &serial.PortError{}, "stop the program that has /dev/ttyS0 open, or name another serial device", false},
		{"bcast", "eth1", 694, fmt.Errorf("interface eth1 has %w", errNoIPv4),
			"give eth1 an IPv4 address (bcast sends to its broadcast address), or use ucast or mcast", true},
		{"mcast", "eth1", 694, fmt.Errorf("join 239.0.0.1: %w", syscall.EADDRNOTAVAIL),
			"bring eth1 up with multicast on (`ip link set eth1 up multicast on`)", false},
		{"ucast", "eth1", 694, errors.New("lookup peer2: no such host"), HintCheck, false},
	} {
		err := Explain(tc.kind, tc.link, tc.port, tc.err)
		var oe *OpenError
		if !errors.As(err, &oe) || oe.Hint != tc.want {
			t.Errorf("Explain(%s %s, %v) = %v\nwant hint %s", tc.kind, tc.link, tc.err, err, tc.want)
		} else if oe.Config() != tc.config {
			t.Errorf("Explain(%s %s, %v).Config() = %v, want %v", tc.kind, tc.link, tc.err, oe.Config(), tc.config)
		}
		if again := Explain("x", "y", 0, err); again != err {
			t.Errorf("Explain of an OpenError wrapped it again: %v", again)
		}
	}
}
