package drbddisk

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/resource.d/agent"
)

// fakeRunner records calls and answers from a script of (stdout, code).
type fakeRunner struct {
	calls   []string
	answers []answer
}

type answer struct {
	out  string
	code int
}

func (f *fakeRunner) Run(ctx context.Context, name string, args ...string) (string, int, error) {
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	if len(f.answers) == 0 {
		return "", 0, nil
	}
	a := f.answers[0]
	if len(f.answers) > 1 {
		f.answers = f.answers[1:]
	}
	return a.out, a.code, nil
}

func newFake(t *testing.T, args []string, answers ...answer) (*Agent, *fakeRunner, *[]time.Duration) {
	t.Helper()
	fr := &fakeRunner{answers: answers}
	var slept []time.Duration
	deps := agent.Deps{Runner: fr, Sleep: func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	a, err := New(args, deps, filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	return a, fr, &slept
}

func repeat(s string, n int) []string {
	var out []string
	for range n {
		out = append(out, s)
	}
	return out
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		op        func(*Agent) error
		answers   []answer
		wantCalls []string
		wantSleep int
		wantErr   bool
	}{
		{"start ok first", (*Agent).startBg, []answer{{"", 0}}, []string{"/sbin/drbdadm primary r0"}, 0, false},
		{"start ok third", (*Agent).startBg, []answer{{"", 11}, {"", 11}, {"", 0}}, repeat("/sbin/drbdadm primary r0", 3), 2, false},
		{"start fails 6x", (*Agent).startBg, []answer{{"", 1}}, repeat("/sbin/drbdadm primary r0", 6), 5, true},
		{"stop fails 3x", (*Agent).stopBg, []answer{{"", 1}}, repeat("/sbin/drbdadm secondary r0", 3), 2, true},
		{"stop ok second", (*Agent).stopBg, []answer{{"", 1}, {"", 0}}, repeat("/sbin/drbdadm secondary r0", 2), 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fr, slept := newFake(t, []string{"r0"}, tt.answers...)
			err := tt.op(a)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantCalls, fr.calls); diff != "" {
				t.Errorf("calls (-want +got)\n%s", diff)
			}
			if len(*slept) != tt.wantSleep {
				t.Errorf("slept %v, want %d × 1s", *slept, tt.wantSleep)
			}
			for _, d := range *slept {
				if d != time.Second {
					t.Errorf("slept %v, want 1s", d)
				}
			}
		})
	}
}

func (a *Agent) startBg() error { return a.Start(context.Background()) }
func (a *Agent) stopBg() error  { return a.Stop(context.Background()) }

func TestStatus(t *testing.T) {
	tests := []struct {
		out     string
		want    string
		running bool
	}{
		{"Primary\n", "running (Primary)", true},
		{"Primary/Secondary\n", "running (Primary)", true},
		{"Secondary\n", "stopped (Secondary)", false},
		{"Secondary/Primary\n", "stopped (Secondary)", false},
		{"Unconfigured\n", "stopped (Unconfigured)", false},
		{"", "cannot determine status, may be running ()", true},
		{"Unknown\n", "cannot determine status, may be running (Unknown)", true},
	}
	for _, tt := range tests {
		a, fr, _ := newFake(t, []string{"r0"}, answer{tt.out, 0})
		st, err := a.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Text != tt.want || st.Running != tt.running {
			t.Errorf("role %q: status %+v, want %q running=%v", tt.out, st, tt.want, tt.running)
		}
		if diff := cmp.Diff([]string{"/sbin/drbdadm role r0"}, fr.calls); diff != "" {
			t.Errorf("calls (-want +got)\n%s", diff)
		}
	}
	// No resource: "all", and status refuses without calling drbdadm.
	a, fr, _ := newFake(t, nil)
	if a.Res != "all" {
		t.Errorf("Res = %q, want all", a.Res)
	}
	st, _ := a.Status(context.Background())
	if st.Text != "A resource name is required for status inquiries." || st.Running || len(fr.calls) != 0 {
		t.Errorf("status without resource = %+v, calls %q", st, fr.calls)
	}
	a.startBg()
	if fr.calls[0] != "/sbin/drbdadm primary all" {
		t.Errorf("start without resource ran %q", fr.calls[0])
	}
}

func TestValidate(t *testing.T) {
	for _, args := range [][]string{nil, {"r0"}, {"data-1"}} {
		if err := Validate(args); err != nil {
			t.Errorf("Validate(%q) = %v", args, err)
		}
	}
	for _, args := range [][]string{{"r0", "r1"}, {""}, {"a/b"}} {
		if err := Validate(args); err == nil {
			t.Errorf("Validate(%q) accepted", args)
		}
	}
}

func TestDrbdadmOverride(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"DRBDADM=/usr/local/sbin/drbdadm\n", "/usr/local/sbin/drbdadm"},
		{"# comment\nexport DRBDADM=\"/opt/drbdadm\"\n", "/opt/drbdadm"},
		{"DRBDADM='/a'\nDRBDADM=/b # later wins\n", "/b"},
		{"DRBDADM=$PREFIX/drbdadm\n", ""},
		{"DRBDADM=`which drbdadm`\n", ""},
		{"ADJUST_AFTER_UDEV=yes\n", ""},
	}
	for _, tt := range tests {
		if got := DrbdadmOverride(strings.NewReader(tt.in)); got != tt.want {
			t.Errorf("DrbdadmOverride(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStandInDrbdadm runs the real exec path against a recording stand-in
// drbdadm written by the test: there is no DRBD kernel module on this machine.
func TestStandInDrbdadm(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	stub := filepath.Join(dir, "drbdadm")
	script := "#!/bin/sh\necho \"$*\" >> " + log + "\ncase \"$1\" in\n" +
		"role) echo Secondary/Primary; echo noise >&2;;\n" +
		"primary) n=$(wc -l < " + log + "); [ \"$n\" -ge 2 ] || exit 11;;\n" +
		"esac\nexit 0\n"
	if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	defaults := filepath.Join(dir, "default-drbd")
	os.WriteFile(defaults, []byte("DRBDADM="+stub+"\n"), 0o644)
	a, err := New([]string{"r0"}, agent.Deps{Sleep: func(context.Context, time.Duration) error { return nil }}, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if a.Drbdadm != stub {
		t.Fatalf("DRBDADM override not honoured: %q", a.Drbdadm)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := a.Status(context.Background())
	if err != nil || st.Text != "stopped (Secondary)" {
		t.Errorf("status = %+v, %v", st, err)
	}
	b, _ := os.ReadFile(log)
	if diff := cmp.Diff("primary r0\nprimary r0\nrole r0\n", string(b)); diff != "" {
		t.Errorf("drbdadm calls (-want +got)\n%s", diff)
	}
}
