package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/edge/pidfile"
)

// TestMain lets the tests run this binary as heartbeat: HBGO_TEST_ARGV0 set
// means "be the command".
func TestMain(m *testing.M) {
	if os.Getenv("HBGO_TEST_ARGV0") != "" {
		os.Exit(dispatch("heartbeat", os.Args[1:]))
	}
	os.Exit(m.Run())
}

type flagCase struct {
	args           string
	exit           int
	stdout, stderr string
}

// stockFlags reads testdata/stock-flags.txt, stock's recorded answers.
func stockFlags(t *testing.T) []flagCase {
	b, err := os.ReadFile("testdata/stock-flags.txt")
	if err != nil {
		t.Fatal(err)
	}
	var cs []flagCase
	var cur *flagCase
	var sect *string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "#") && sect == nil:
			// a comment: only above the first case (outputs may start
			// with #, as -DW's does)
		case strings.HasPrefix(l, "=== "):
			cs = append(cs, flagCase{args: strings.TrimSpace(l[4:])})
			cur, sect = &cs[len(cs)-1], nil
		case strings.HasPrefix(l, "exit "):
			cur.exit = int(l[5] - '0')
		case l == "--- stdout\n":
			sect = &cur.stdout
		case l == "--- stderr\n":
			sect = &cur.stderr
		case sect != nil:
			*sect += l
		}
	}
	return cs
}

// TestFlagsAsStock runs hbgo with each recorded flag and compares exit code,
// stdout and stderr with stock's.
func TestFlagsAsStock(t *testing.T) {
	_, noPID := os.Stat(pidfile.DefaultPath)
	for _, tc := range stockFlags(t) {
		t.Run(tc.args, func(t *testing.T) {
			if (tc.args == "-s" || tc.args == "-k") && !errors.Is(noPID, os.ErrNotExist) {
				t.Skipf("%s exists on this machine; the recording had none", pidfile.DefaultPath)
			}
			if _, err := os.Stat("/etc/ha.d/ha.cf"); strings.Contains(tc.args, "-R") && err == nil {
				t.Skip("/etc/ha.d/ha.cf exists on this machine; the -R recordings had none")
			}
			cmd := exec.Command(os.Args[0], strings.Fields(tc.args)...)
			cmd.Env = append(os.Environ(), "HBGO_TEST_ARGV0=1")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			got := flagCase{args: tc.args, exit: code, stdout: out.String(),
				stderr: strings.ReplaceAll(errb.String(), os.Args[0], "ARGV0")}
			want := tc
			if tc.args == "-V" { // the build id differs by design: stock's first word, then hbgo's build
				if !strings.HasPrefix(got.stdout, "3.0.6 (node: hbgo) hbgo ") || !strings.Contains(got.stdout, " (commit ") {
					t.Errorf("-V: %q, want \"3.0.6 (node: hbgo) hbgo VERSION (commit REV)\"", got.stdout)
				}
				want.stdout = got.stdout
			}
			if d := cmp.Diff(want, got, cmp.AllowUnexported(flagCase{})); d != "" {
				t.Errorf("heartbeat %s (-stock +hbgo):\n%s", tc.args, d)
			}
		})
	}
}

// runSelf runs this test binary as heartbeat with args.
func runSelf(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HBGO_TEST_ARGV0=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestHelp: -h, --help and help print stock's usage text first, byte for
// byte as stock prints it after a bad option, then every hbgo command with
// one line each, and exit 0; a bad option still gets stock's answer and 2
// (TestFlagsAsStock, -x).
func TestHelp(t *testing.T) {
	var stockUsage string
	for _, c := range stockFlags(t) {
		if c.args == "-x" {
			stockUsage = strings.TrimPrefix(c.stderr, "ARGV0: invalid option -- 'x'\n\n")
		}
	}
	if !strings.HasPrefix(stockUsage, "Usage: heartbeat [") {
		t.Fatalf("no recorded usage text: %q", stockUsage)
	}
	for _, arg := range []string{"-h", "--help", "help"} {
		code, out, errs := runSelf(t, arg)
		if code != 0 || errs != "" {
			t.Errorf("heartbeat %s: exit %d, stderr %q; want 0 and nothing", arg, code, errs)
		}
		if !strings.HasPrefix(out, stockUsage) {
			t.Errorf("heartbeat %s does not start with stock's usage text:\n%s", arg, out)
		}
		for _, c := range subcommands {
			if !strings.Contains(out, "\n  heartbeat "+c.name+" ") {
				t.Errorf("heartbeat %s does not list %q:\n%s", arg, c.name, out)
			}
		}
	}
	// Every listed command is dispatched: its own -h is not heartbeat's
	// getopt complaint.
	for _, c := range subcommands {
		_, _, errs := runSelf(t, c.name, "-h")
		if strings.Contains(errs, "invalid option") || strings.Contains(errs, "Usage: heartbeat [-d") {
			t.Errorf("heartbeat %s -h reached stock's flag parser: %q", c.name, errs)
		}
	}
}
