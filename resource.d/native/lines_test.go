package native

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/resource.d/agent"
	"hbgo/resource.d/delay"
	"hbgo/resource.d/drbddisk"
	"hbgo/resource.d/sendarp"
)

type recLog struct {
	mu    sync.Mutex
	lines []string
}

func (r *recLog) Script(tag, text string) {
	r.mu.Lock()
	r.lines = append(r.lines, tag+": "+text)
	r.mu.Unlock()
}

type okRunner struct{}

func (okRunner) Run(ctx context.Context, name string, args ...string) (string, int, error) {
	return "", 0, nil
}

type nopConn struct{}

func (nopConn) WriteTo(b []byte, _ net.Addr) (int, error) { return len(b), nil }
func (nopConn) Close() error                              { return nil }

// TestNativeAgentsSayWhatTheyDid: SendArp, drbddisk and Delay each write
// their own line (agent.NativeLineFormats) once the work is done; IPaddr,
// IPaddr2 and Filesystem are checked in their namespace and loop-device
// tests (issue 17).
func TestNativeAgentsSayWhatTheyDid(t *testing.T) {
	ctx := context.Background()
	log := &recLog{}
	deps := agent.Deps{Log: log, Runner: okRunner{}, Sleep: func(ctx context.Context, d time.Duration) error { return nil }}

	s := &sendarp.Sender{Listen: func(*net.Interface) (sendarp.Conn, error) { return nopConn{}, nil }, Sleep: deps.Sleep}
	defer s.Close()
	sa, err := sendarp.New([]string{"10.0.0.5/eth0"}, s, log)
	if err != nil {
		t.Fatal(err)
	}
	sa.Interface = func(string) (*net.Interface, error) {
		return &net.Interface{Index: 3, Name: "eth0", HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}}, nil
	}
	dd, err := drbddisk.New([]string{"r0"}, deps, filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	dl, err := delay.New([]string{"3", "1"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []agent.Agent{sa, dd, dl} {
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"SendArp(SendArp_10.0.0.5): INFO: sending 10 gratuitous ARPs for 10.0.0.5 on eth0",
		"drbddisk(r0): INFO: drbdadm primary r0: done (attempt 1 of 6)",
		"drbddisk(r0): INFO: drbdadm secondary r0: done (attempt 1 of 3)",
		"Delay(Delay_3): INFO: waited 3s",
		"Delay(Delay_3): INFO: waited 1s",
	}
	if d := cmp.Diff(want, log.lines); d != "" {
		t.Errorf("native lines (-want +got):\n%s", d)
	}
	for _, l := range log.lines {
		if _, text, _ := strings.Cut(l, ": "); !agent.NativeLine(text) {
			t.Errorf("%q is not in agent.NativeLineFormats", l)
		}
	}
}
