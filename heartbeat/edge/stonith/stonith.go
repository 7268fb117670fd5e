// Package stonith resets a dead peer with a legacy STONITH device (ha.cf
// stonith/stonith_host) through cluster-glue's stonith(8), as stock heartbeat
// does through the plugin library (COMPAT §5.8).
package stonith

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/internal/sched"
)

// DefaultCommand is where cluster-glue installs stonith(8).
const DefaultCommand = hacf.StonithCommand

// Results of a reset, as stock puts them in `t=stonith result=` (PROTOCOL §7.10).
const (
	ResultOK      = "OK"
	ResultBadHost = "badhost"
	ResultBad     = "bad"
)

// Exit statuses of stonith(8): it exits with the plugin's return code
// (cluster-glue include/stonith/stonith.h: S_OK 0, S_BADHOST 4).
const (
	exitOK      = 0
	exitBadHost = 4
)

// Device is the STONITH device this node resets peers with.
type Device struct {
	Line   int    // ha.cf line it comes from
	Type   string // plugin type, e.g. "null", "external/ipmi"
	File   string // stonith: the device's config file (-F)
	Params string // stonith_host: the parameter text (-p)
}

// FromConfig returns the device this node uses: stock configures a device
// for every `stonith` line and for every `stonith_host` line naming this
// node or "*", each replacing the one before, so the last such line wins
// (heartbeat config.c set_stonith_info, set_stonith_host_info).
func FromConfig(lines []hacf.Stonith, self string) (Device, bool) {
	var d Device
	found := false
	self = strings.ToLower(self)
	for _, l := range lines {
		switch {
		case l.Host == "":
			d = Device{Line: l.Line, Type: l.Type, File: strings.TrimSpace(l.Params)}
		case l.Host == "*" || l.Host == self:
			d = Device{Line: l.Line, Type: l.Type, Params: l.Params}
		default:
			continue
		}
		found = true
	}
	return d, found
}

// deviceIDs are the ST_DEVICEID strings of cluster-glue's compiled plugins
// (each plugin's DEVICE define), which stock prints in its STONITH lines.
// stonith(8) cannot print them, so they are listed here; other types
// (external/*) show their type name.
var deviceIDs = map[string]string{
	"apcmaster": "APC MasterSwitch", "apcmastersnmp": "APC MasterSwitch (SNMP)", "apcsmart": "APCSmart",
	"baytech": "BayTech power switch", "bladehpi": "IBM BladeCenter (OpenHPI)", "cyclades": "Cyclades AlterPath PM",
	"drac3": "Dell DRACIII Card", "ibmhmc": "IBM HMC", "ipmilan": "IPMI Over LAN", "meatware": "Meatware STONITH device",
	"null": "NULL STONITH device", "nw_rpc100s": "NW RPC100S Power Switch", "rcd_serial": "RC Delayed Serial",
	"riloe": "Compaq RILOE", "rps10": "WTI RPS10 Power Switch", "ssh": "SSH STONITH device",
	"suicide": "Suicide STONITH device", "wti_mpc": "WTI MPC", "wti_nps": "WTI Network Power Switch",
}

// ID returns the device name stock shows in brackets: `Resetting node X with [<ID>]`.
func (d Device) ID() string {
	if id, ok := deviceIDs[d.Type]; ok {
		return id
	}
	return d.Type
}

// paramsFD is the file descriptor on which stonith(8) reads a stonith_host
// line's parameters: they hold the device's password, and a command line
// is readable by every local user (ps, /proc/PID/cmdline).
const paramsFD = 3

// config returns the stonith(8) options that configure the device: -F with
// the stonith line's file, or -F /dev/fd/3 for a stonith_host line, whose
// parameters Params feeds through a pipe. stonith(8) reads -F as it reads
// -p (its -h says so). Stock passes them to the plugin library inside the
// daemon, so they are never on a command line there either (COMPAT §5.8).
func (d Device) config() []string {
	args := []string{"-t", d.Type}
	if d.File != "" {
		return append(args, "-F", d.File)
	}
	return append(args, "-F", "/dev/fd/"+strconv.Itoa(paramsFD))
}

// Secret returns what the child reads on fd 3 (nil for a stonith line,
// whose parameters are in its own file).
func (d Device) Secret() []byte {
	if d.File != "" {
		return nil
	}
	return []byte(d.Params + "\n")
}

// ResetArgs returns the stonith(8) arguments that reset node.
func (d Device) ResetArgs(node string) []string {
	return append(d.config(), "-T", "reset", strings.ToLower(node))
}

// StatusArgs returns the stonith(8) arguments that check the device.
func (d Device) StatusArgs() []string { return append(d.config(), "-S") }

// maxSecret bounds the parameters written to the pipe before the child
// starts (a Linux pipe holds 64 KiB; an ha.cf line is far shorter).
const maxSecret = 16 << 10

// RunFunc runs a command, giving it secret (when not nil) to read on file
// descriptor 3, and returns its exit status and combined output; a non-nil
// error means it could not run or was killed (no exit status).
type RunFunc func(ctx context.Context, name string, args []string, secret []byte) (exit int, out []byte, err error)

// Exec runs the command as a child process; secret goes through a pipe on
// its fd 3, never on its command line or in a file.
func Exec(ctx context.Context, name string, args []string, secret []byte) (int, []byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if len(secret) > maxSecret {
		return -1, nil, fmt.Errorf("stonith: parameters of %d bytes, more than the %d a pipe takes at once", len(secret), maxSecret)
	}
	if secret != nil {
		pr, pw, err := os.Pipe()
		if err != nil {
			return -1, nil, fmt.Errorf("stonith: %w", err)
		}
		defer pr.Close()
		cmd.ExtraFiles = []*os.File{pr} // fd 3
		// A pipe holds 64 KiB; a parameter line is far shorter, so the
		// write completes before the child reads it.
		_, werr := pw.Write(secret)
		pw.Close()
		if werr != nil {
			return -1, nil, fmt.Errorf("stonith: parameters: %w", werr)
		}
	}
	err := sched.Run(cmd)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitCode(), buf.Bytes(), nil
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return -1, buf.Bytes(), fmt.Errorf("stonith: running %s: %w; %s", name, err, hacf.HintNoStonith)
	}
	if err != nil {
		return -1, buf.Bytes(), fmt.Errorf("stonith: running %s: %w", name, err)
	}
	return 0, buf.Bytes(), nil
}

// Runner resets nodes and checks the device with stonith(8).
type Runner struct {
	Device  Device
	Command string  // stonith(8); "" means DefaultCommand
	Run     RunFunc // nil means Exec
}

func (r *Runner) run(ctx context.Context, args []string) (int, []byte, error) {
	name, run := r.Command, r.Run
	if name == "" {
		name = DefaultCommand
	}
	if run == nil {
		run = Exec
	}
	return run(ctx, name, args, r.Device.Secret())
}

// Reset resets node and returns the result for `t=stonith` with the lines
// stock's reset child logs before it (hb_resource.c Initiate_Reset). The
// planner logs the rest (`node X now reset.`, `Host X not reset!`, the
// retry line) when it gets the result.
func (r *Runner) Reset(ctx context.Context, node string) (string, []hblog.Msg) {
	msgs := []hblog.Msg{hblog.StonithResetting(node, r.Device.ID())}
	exit, out, err := r.run(ctx, r.Device.ResetArgs(node))
	msgs = append(msgs, outputLines(out)...)
	switch {
	case err != nil:
		msgs = append(msgs, hblog.Msg{Level: hblog.Error, Text: "hbgo: " + err.Error()})
		return ResultBad, msgs
	case exit == exitOK:
		return ResultOK, msgs
	case exit == exitBadHost:
		// stock: "Device %s cannot reset host %s." (hb_resource.c Initiate_Reset, S_BADHOST)
		return ResultBadHost, append(msgs, hblog.Msg{Level: hblog.Error,
			Text: fmt.Sprintf("Device %s cannot reset host %s.", r.Device.ID(), node)})
	}
	return ResultBad, msgs
}

// Status checks the device as stock does at start and every hour after
// (hb_resource.c Initiate_Reset with doreset false, StonithStatProcessDied).
func (r *Runner) Status(ctx context.Context) (bool, []hblog.Msg) {
	msgs := []hblog.Msg{hblog.StonithChecking(r.Device.ID())}
	exit, out, err := r.run(ctx, r.Device.StatusArgs())
	msgs = append(msgs, outputLines(out)...)
	if err == nil && exit == exitOK {
		return true, msgs
	}
	if err != nil {
		msgs = append(msgs, hblog.Msg{Level: hblog.Error, Text: "hbgo: " + err.Error()})
	}
	return false, append(msgs,
		hblog.Msg{Level: hblog.Error, Text: fmt.Sprintf("STONITH device %s not operational!", r.Device.ID())},
		hblog.Msg{Level: hblog.Error, Text: "STONITH status operation failed."},
		hblog.Msg{Level: hblog.Info, Text: "This may mean that the STONITH device has failed!"})
}

// outputLines turns what stonith(8) printed into hbgo-tagged info lines
// (stock's plugin library logs through the daemon's own logger).
func outputLines(out []byte) []hblog.Msg {
	var msgs []hblog.Msg
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			msgs = append(msgs, hblog.Msg{Level: hblog.Info, Text: "hbgo: stonith: " + l})
		}
	}
	return msgs
}
