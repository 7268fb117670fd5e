package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/summary.golden.md")

// TestRenderGolden renders the fixed sample results.txt and compares the
// table with the golden file (go test -update rewrites it).
func TestRenderGolden(t *testing.T) {
	in := filepath.Join("testdata", "results.txt")
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runs, failed, err := ParseResults(f, in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	NewSet(runs, failed).Render(&b)
	golden := filepath.Join("testdata", "summary.golden.md")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestParseResults(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Run
		failed  int
		wantErr string
	}{
		{name: "stock and hbgo labels, NA skipped, derived metrics",
			in: "# comment\nRUN scenario=failover impl1=heartbeat-3.0.6 impl2=heartbeat config=c variant=kill run=2 vip_ms=10.0 garp_ms=12.5 svc_ms=NA t0=17.5\n" +
				"SUMMARY impl1=x metric=vip_ms n=1\n",
			want: []Run{{Pair: "stock+heartbeat", Config: "c", Variant: "kill", N: 2,
				Metrics: map[string]float64{"vip_ms": 10, "garp_ms": 12.5, "vip_garp_ms": 2.5}}}},
		{name: "idle per minute",
			in: "RUN impl1=hbgo impl2=hbgo config=c variant=idle run=1 idle_s=30 n1_sched_ms=5 n2_sched_ms=6\n",
			want: []Run{{Pair: "hbgo+hbgo", Config: "c", Variant: "idle", N: 1,
				Metrics: map[string]float64{"idle_s": 30, "n1_sched_ms": 5, "n2_sched_ms": 6, "n1_sched_ms_per_min": 10, "n2_sched_ms_per_min": 12}}}},
		{name: "failed run counted", in: "RUN impl1=a impl2=b config=c variant=kill run=1 status=fail reason=bring-up\n", failed: 1},
		{name: "not key=value", in: "RUN impl1=a impl2=b config=c variant=kill run=1 oops\n", wantErr: `x:1: field "oops" is not key=value`},
		{name: "missing config", in: "RUN impl1=a impl2=b variant=kill run=1\n", wantErr: "x:1: RUN line without config="},
		{name: "bad run", in: "RUN impl1=a impl2=b config=c variant=kill run=one\n", wantErr: `x:1: run="one"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, failed, err := ParseResults(strings.NewReader(tt.in), "x")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
			if failed != tt.failed {
				t.Errorf("failed = %d, want %d", failed, tt.failed)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
	}
	for _, tt := range tests {
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

// FuzzParseResults feeds arbitrary results files through the parser and
// the renderer: neither may panic.
func FuzzParseResults(f *testing.F) {
	f.Add([]byte("RUN impl1=hbgo impl2=hbgo config=c variant=kill run=1 vip_ms=1 garp_ms=2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		runs, failed, err := ParseResults(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		NewSet(runs, failed).Render(&out)
	})
}

// TestRenderIdleWithoutFloors: no floor measured, no idle comparison (its
// ratios would all be "-").
func TestRenderIdleWithoutFloors(t *testing.T) {
	runs, _, err := ParseResults(strings.NewReader("RUN impl1=hbgo impl2=hbgo config="+fastConf+" variant=idle run=1 idle_s=30 n1_sched_ms=50 n2_sched_ms=40 n1_rss_kb=9000 n2_rss_kb=9100\n"), "x")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	NewSet(runs, 0).Render(&b)
	if strings.Contains(b.String(), "Idle beside the floors") {
		t.Errorf("idle comparison rendered without floors:\n%s", b.String())
	}
}
