package delay

import (
	"context"
	"errors"
	"testing"
	"time"

	"hbgo/resource.d/agent"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args        []string
		start, stop time.Duration
		bad         bool
	}{
		{nil, 10 * time.Second, 10 * time.Second, false},
		{[]string{"5"}, 5 * time.Second, 5 * time.Second, false},
		{[]string{"5", "2"}, 5 * time.Second, 2 * time.Second, false},
		{[]string{"0.5"}, 500 * time.Millisecond, 500 * time.Millisecond, false},
		{[]string{"x"}, 0, 0, true},
		{[]string{"-1"}, 0, 0, true},
		{[]string{"1e3"}, 0, 0, true},
		{[]string{"1", "2", "3"}, 0, 0, true},
	}
	for _, tt := range tests {
		start, stop, err := Parse(tt.args)
		var ae *agent.ArgError
		if tt.bad != (err != nil) || (err != nil && !errors.As(err, &ae)) {
			t.Errorf("Parse(%q) err = %v", tt.args, err)
			continue
		}
		if start != tt.start || stop != tt.stop {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.args, start, stop, tt.start, tt.stop)
		}
	}
}

func TestCycle(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		var slept []time.Duration
		a, err := New([]string{"3", "1"}, agent.Deps{StateDir: dir, Sleep: func(ctx context.Context, d time.Duration) error {
			slept = append(slept, d)
			return ctx.Err()
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if st, _ := a.Status(ctx); st.Running || st.Text != "INFO:  Resource is stopped" {
			t.Errorf("status before start = %+v", st)
		}
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if st, _ := a.Status(ctx); !st.Running || st.Text != "INFO:  Running OK" {
			t.Errorf("status after start = %+v", st)
		}
		if dir != "" {
			// A fresh agent (daemon restart) sees the state file.
			b, _ := New([]string{"3", "1"}, agent.Deps{StateDir: dir})
			if st, _ := b.Status(ctx); !st.Running {
				t.Error("state file not honoured by a new agent")
			}
		}
		if err := a.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if st, _ := a.Status(ctx); st.Running {
			t.Errorf("status after stop = %+v", st)
		}
		if len(slept) != 2 || slept[0] != 3*time.Second || slept[1] != time.Second {
			t.Errorf("slept %v, want [3s 1s]", slept)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := a.Start(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled start = %v", err)
		}
		if st, _ := a.Status(ctx); st.Running {
			t.Error("cancelled start marked the resource running")
		}
	}
}

func TestRealSleepHonoursCtx(t *testing.T) {
	a, _ := New([]string{"3600"}, agent.Deps{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("start = %v, want context.Canceled", err)
	}
}
