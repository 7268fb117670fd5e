package soak

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadRecords(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	r1 := Record{Seq: 1, At: at, Node: "node1"}
	r2 := Record{Seq: 2, At: at.Add(10 * time.Millisecond), Node: "node2"}
	bad := r2.Encode()
	bad[5] ^= 1
	long := Record{Seq: 3, At: at, Node: strings.Repeat("n", 30)}
	tests := []struct {
		name string
		in   []byte
		want []Record
		errs []string
	}{
		{"empty", nil, nil, nil},
		{"two", cat(r1.Encode(), r2.Encode()), []Record{r1, r2}, nil},
		{"torn tail", cat(r1.Encode(), r2.Encode()[:20]), []Record{r1}, []string{"f:@64: torn record: 20 of 64 bytes"}},
		{"flipped bit", cat(r1.Encode(), bad, r1.Encode()), []Record{r1, r1}, []string{"f:@64: checksum mismatch"}},
		{"garbage", bytes.Repeat([]byte("x"), 64), nil, []string{"f:@0: not a record (separators)"}},
		{"long node cut", long.Encode(), []Record{{Seq: 3, At: at, Node: strings.Repeat("n", nodeWidth)}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ReadRecords(bytes.NewReader(tc.in), "f", 0)
			var es []string
			for _, e := range errs {
				es = append(es, e.Error())
			}
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
				t.Errorf("records (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.errs, es); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestEncodeSize(t *testing.T) {
	for _, r := range []Record{{}, {Seq: ^uint64(0), At: time.Unix(1<<32, 0), Node: strings.Repeat("x", 40)}} {
		if n := len(r.Encode()); n != RecordSize {
			t.Errorf("%+v encodes to %d bytes", r, n)
		}
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// FuzzReadRecords checks that any bytes give good records that re-encode
// to themselves and errors that never panic.
func FuzzReadRecords(f *testing.F) {
	f.Add(Record{Seq: 7, At: time.Unix(1, 2), Node: "node1"}.Encode())
	f.Add([]byte("R0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, _ := ReadRecords(bytes.NewReader(b), "f", 0)
		for _, r := range recs {
			back, err := DecodeRecord(r.Encode())
			if err != nil || back.Seq != r.Seq || !back.At.Equal(r.At) || back.Node != r.Node {
				t.Fatalf("%+v does not round-trip: %+v %v", r, back, err)
			}
		}
	})
}

func TestOutage(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	rec := func(ms int) Record { return Record{At: at(ms)} }
	recs := []Record{rec(100), rec(110), rec(900), rec(910)}
	tests := []struct {
		name     string
		prev     Record
		hasPrev  bool
		from, to time.Time
		want     time.Duration
	}{
		{"gap inside", Record{}, false, at(0), at(1000), 790 * time.Millisecond},
		{"gap from the previous batch", rec(0), true, at(50), at(1000), 790 * time.Millisecond},
		{"previous batch gap largest", rec(-2000), true, at(-2000), at(1000), 2100 * time.Millisecond},
		{"window after the gap", Record{}, false, at(905), at(1000), 10 * time.Millisecond},
		{"nothing", Record{}, false, at(2000), at(3000), 0},
	}
	for _, tc := range tests {
		if got := outage(tc.prev, tc.hasPrev, recs, tc.from, tc.to); got != tc.want {
			t.Errorf("%s: outage = %v, want %v", tc.name, got, tc.want)
		}
	}
}
