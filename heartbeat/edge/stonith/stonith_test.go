package stonith

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/edge/hblog"
)

func TestFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []hacf.Stonith
		want  Device
		found bool
	}{
		{name: "none"},
		{name: "stonith line", lines: []hacf.Stonith{{Line: 3, Type: "baytech", Params: "/etc/ha.d/conf/stonith.baytech"}},
			want: Device{Line: 3, Type: "baytech", File: "/etc/ha.d/conf/stonith.baytech"}, found: true},
		{name: "stonith_host for any node", lines: []hacf.Stonith{{Line: 4, Host: "*", Type: "null", Params: "node1 node2"}},
			want: Device{Line: 4, Type: "null", Params: "node1 node2"}, found: true},
		{name: "stonith_host for this node", lines: []hacf.Stonith{{Line: 4, Host: "node1", Type: "ssh", Params: "node2"}},
			want: Device{Line: 4, Type: "ssh", Params: "node2"}, found: true},
		{name: "stonith_host for another node is not ours", lines: []hacf.Stonith{{Line: 4, Host: "node2", Type: "ssh", Params: "node1"}}},
		{name: "host compared without case", lines: []hacf.Stonith{{Line: 4, Host: "node1", Type: "null", Params: "node2"}},
			want: Device{Line: 4, Type: "null", Params: "node2"}, found: true},
		{name: "last applicable line wins", lines: []hacf.Stonith{
			{Line: 4, Host: "*", Type: "null", Params: "a"},
			{Line: 5, Host: "node1", Type: "ssh", Params: "node2"},
			{Line: 6, Host: "node2", Type: "ssh", Params: "node1"}},
			want: Device{Line: 5, Type: "ssh", Params: "node2"}, found: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found := FromConfig(tc.lines, "NODE1")
			if found != tc.found {
				t.Errorf("found = %v, want %v", found, tc.found)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("device (-want +got):\n%s", d)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		name          string
		dev           Device
		reset, status []string
		id            string
		secret        string // what the child reads on fd 3
	}{
		{name: "parameters", dev: Device{Type: "null", Params: "node1 node2"},
			reset:  []string{"-t", "null", "-F", "/dev/fd/3", "-T", "reset", "node2"},
			status: []string{"-t", "null", "-F", "/dev/fd/3", "-S"}, id: "NULL STONITH device", secret: "node1 node2\n"},
		{name: "config file", dev: Device{Type: "baytech", File: "/etc/ha.d/baytech.cf"},
			reset:  []string{"-t", "baytech", "-F", "/etc/ha.d/baytech.cf", "-T", "reset", "node2"},
			status: []string{"-t", "baytech", "-F", "/etc/ha.d/baytech.cf", "-S"}, id: "BayTech power switch"},
		{name: "external plugin shows its type", dev: Device{Type: "external/ipmi", Params: "node2 10.0.0.9 admin pw lan"},
			reset:  []string{"-t", "external/ipmi", "-F", "/dev/fd/3", "-T", "reset", "node2"},
			status: []string{"-t", "external/ipmi", "-F", "/dev/fd/3", "-S"}, id: "external/ipmi", secret: "node2 10.0.0.9 admin pw lan\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.reset, tc.dev.ResetArgs("Node2")); d != "" {
				t.Errorf("ResetArgs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.status, tc.dev.StatusArgs()); d != "" {
				t.Errorf("StatusArgs (-want +got):\n%s", d)
			}
			if got := tc.dev.ID(); got != tc.id {
				t.Errorf("ID = %q, want %q", got, tc.id)
			}
			if got := string(tc.dev.Secret()); got != tc.secret {
				t.Errorf("Secret = %q, want %q", got, tc.secret)
			}
		})
	}
}

// needStonith skips when cluster-glue's stonith(8) is not installed.
func needStonith(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(DefaultCommand); err != nil {
		t.Skipf("stonith(8) not installed (%v); install cluster-glue", err)
	}
}

// TestResetRealStonith runs the real stonith(8): the null device resets
// any host, the ssh device refuses a host it does not control (S_BADHOST,
// before any connection) and a device without parameters is misconfigured.
func TestResetRealStonith(t *testing.T) {
	needStonith(t)
	for _, tc := range []struct {
		name   string
		dev    Device
		result string
		want   []hblog.Msg // daemon lines, without stonith(8)'s own output
	}{
		{name: "null resets", dev: Device{Type: "null", Params: "node1 node2"}, result: ResultOK,
			want: []hblog.Msg{{Level: hblog.Info, Text: "Resetting node node2 with [NULL STONITH device]"}}},
		{name: "ssh does not control the host", dev: Device{Type: "ssh", Params: "node3"}, result: ResultBadHost,
			want: []hblog.Msg{{Level: hblog.Info, Text: "Resetting node node2 with [SSH STONITH device]"},
				{Level: hblog.Error, Text: "Device SSH STONITH device cannot reset host node2."}}},
		{name: "misconfigured device", dev: Device{Type: "null", Params: ""}, result: ResultBad,
			want: []hblog.Msg{{Level: hblog.Info, Text: "Resetting node node2 with [NULL STONITH device]"}}},
		{name: "unknown type", dev: Device{Type: "no-such-device", Params: "x"}, result: ResultBad,
			want: []hblog.Msg{{Level: hblog.Info, Text: "Resetting node node2 with [no-such-device]"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Runner{Device: tc.dev}
			result, msgs := r.Reset(context.Background(), "node2")
			if result != tc.result {
				t.Errorf("result = %q, want %q (log %v)", result, tc.result, msgs)
			}
			if d := cmp.Diff(tc.want, daemonLines(msgs)); d != "" {
				t.Errorf("log (-want +got):\n%s", d)
			}
		})
	}
}

func TestStatusRealStonith(t *testing.T) {
	needStonith(t)
	ok, msgs := (&Runner{Device: Device{Type: "null", Params: "node1 node2"}}).Status(context.Background())
	if d := cmp.Diff([]hblog.Msg{{Level: hblog.Info, Text: "Checking status of STONITH device [NULL STONITH device]"}}, daemonLines(msgs)); !ok || d != "" {
		t.Errorf("null device: ok = %v, log (-want +got):\n%s", ok, d)
	}
	ok, msgs = (&Runner{Device: Device{Type: "null", Params: ""}}).Status(context.Background())
	want := []hblog.Msg{
		{Level: hblog.Info, Text: "Checking status of STONITH device [NULL STONITH device]"},
		{Level: hblog.Error, Text: "STONITH device NULL STONITH device not operational!"},
		{Level: hblog.Error, Text: "STONITH status operation failed."},
		{Level: hblog.Info, Text: "This may mean that the STONITH device has failed!"},
	}
	if d := cmp.Diff(want, daemonLines(msgs)); ok || d != "" {
		t.Errorf("misconfigured device: ok = %v, log (-want +got):\n%s", ok, d)
	}
}

// TestResetThroughSeam checks the exec seam: a wrapper that fails the
// first call and then runs the real binary, as a device that recovers.
func TestResetThroughSeam(t *testing.T) {
	needStonith(t)
	calls := 0
	var seen [][]string
	r := Runner{Device: Device{Type: "null", Params: "node1 node2"}, Command: "/bin/false",
		Run: func(ctx context.Context, name string, args []string, secret []byte) (int, []byte, error) {
			calls++
			seen = append(seen, args)
			if calls == 1 {
				return Exec(ctx, name, args, secret)
			}
			return Exec(ctx, DefaultCommand, args, secret)
		}}
	var results []string
	for range 2 {
		res, _ := r.Reset(context.Background(), "node2")
		results = append(results, res)
	}
	if d := cmp.Diff([]string{ResultBad, ResultOK}, results); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	want := []string{"-t", "null", "-F", "/dev/fd/3", "-T", "reset", "node2"}
	if d := cmp.Diff([][]string{want, want}, seen); d != "" {
		t.Errorf("args (-want +got):\n%s", d)
	}
}

// daemonLines drops stonith(8)'s own output, which varies by version.
func daemonLines(msgs []hblog.Msg) []hblog.Msg {
	var out []hblog.Msg
	for _, m := range msgs {
		if len(m.Text) < 15 || m.Text[:15] != "hbgo: stonith: " {
			out = append(out, m)
		}
	}
	return out
}

// TestExecMissingCommand: a node without cluster-glue is told what to install.
func TestExecMissingCommand(t *testing.T) {
	_, _, err := Exec(context.Background(), "/nonexistent/stonith", []string{"-L"}, nil)
	if err == nil || !strings.HasSuffix(err.Error(), hacf.HintNoStonith) {
		t.Errorf("Exec of a missing stonith(8) = %v, want it to end with %q", err, hacf.HintNoStonith)
	}
}

// TestParamsNotOnCommandLine: a stonith_host line's parameters (the
// device's password) reach stonith(8) on a pipe, never on its command
// line, which every local user can read in /proc/PID/cmdline. The stand-in
// records its own cmdline and what it reads on fd 3, then execs the real
// stonith(8) with the same arguments and descriptors.
func TestParamsNotOnCommandLine(t *testing.T) {
	needStonith(t)
	dir := t.TempDir()
	const secret = "hunter2-s3cret"
	wrapper := filepath.Join(dir, "stonith")
	script := "#!/bin/sh\n" +
		"tr '\\000' ' ' < /proc/$$/cmdline > " + dir + "/cmdline\n" +
		// Read the pipe, keep a copy, and hand the same bytes on as fd 3.
		"if cat <&3 > " + dir + "/params 2>/dev/null; then exec 3< " + dir + "/params; fi\n" +
		"exec " + DefaultCommand + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := Runner{Device: Device{Type: "null", Params: "node1 node2 " + secret}, Command: wrapper}
	result, msgs := r.Reset(context.Background(), "node2")
	if result != ResultOK {
		t.Fatalf("result %q, want OK; log %v", result, msgs)
	}
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), secret) || !strings.Contains(string(cmdline), "-F /dev/fd/3 -T reset node2") {
		t.Errorf("child's /proc/PID/cmdline = %q: want -F /dev/fd/3 and no parameters", cmdline)
	}
	if params, _ := os.ReadFile(filepath.Join(dir, "params")); string(params) != "node1 node2 "+secret+"\n" {
		t.Errorf("fd 3 carried %q", params)
	}
	if ok, msgs := r.Status(context.Background()); !ok {
		t.Errorf("status through the pipe failed: %v", msgs)
	}
}
