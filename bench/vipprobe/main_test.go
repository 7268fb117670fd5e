package main

import (
	"strings"
	"testing"
)

func TestMeasureOutage(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		from     float64
		want     string
	}{
		{"no failure after from", "1.000 ok\n1.002 ok\n1.004 ok\n", 1.001,
			"outage_ms=0.0 gap_ms=NA fails=0 attempts=3 first_fail=0 back=0"},
		{"outage and recovery", "1.000 ok\n1.002 fail\n1.004 fail\n1.006 ok\n1.008 fail\n", 1.001,
			"outage_ms=4.0 gap_ms=6.0 fails=2 attempts=5 first_fail=1.002000 back=1.006000"},
		{"good attempts after from before the failure count as before it", "1.000 ok\n1.002 ok\n1.004 fail\n1.006 ok\n", 1.001,
			"outage_ms=2.0 gap_ms=4.0 fails=1 attempts=4 first_fail=1.004000 back=1.006000"},
		{"a failure before from is not this outage", "0.998 fail\n1.000 ok\n1.002 fail\n1.004 ok\n", 1.001,
			"outage_ms=2.0 gap_ms=4.0 fails=1 attempts=4 first_fail=1.002000 back=1.004000"},
		{"no recovery", "1.000 ok\n1.002 fail\n1.004 fail\n", 1.001,
			"outage_ms=NA gap_ms=NA fails=2 attempts=3 first_fail=1.002000 back=0.000000"},
		{"nothing read", "", 1,
			"outage_ms=NA gap_ms=NA fails=0 attempts=0 first_fail=0.000000 back=0.000000"},
		{"junk lines skipped", "x ok\n1.000 ok extra\n\n1.002 fail\n1.004 ok\n", 1.001,
			"outage_ms=2.0 gap_ms=NA fails=1 attempts=2 first_fail=1.002000 back=1.004000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := measureOutage(strings.NewReader(tc.in), tc.from)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("measureOutage:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
