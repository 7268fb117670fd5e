package soak

import (
	"errors"
	"strings"
	"testing"

	"hbgo/authkeys"
	"hbgo/heartbeat/core/wire"
)

// TestFieldWithoutTypeRejected checks that hbgo's decoder refuses, without
// panicking, the datagram the flood sends that PROTOCOL §3.2 says aborts
// stock (a netstring field without its "(type)" prefix), whatever its key.
func TestFieldWithoutTypeRejected(t *testing.T) {
	keys, probs := authkeys.Parse(strings.NewReader(authText), "authkeys")
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	for _, d := range []string{
		"###\n8:t=status,%%%\n42:1 0000000000000000000000000000000000000000,",
		"###\n8:t=status,%%%\n",
		"###\n11:(0)t=status,8:st=active,%%%\n42:1 0000000000000000000000000000000000000000,",
	} {
		_, err := wire.Decode([]byte(d), keys)
		var mal *wire.MalformedError
		if !errors.As(err, &mal) {
			t.Errorf("Decode(%q) = %v, want a MalformedError", d, err)
		}
	}
}
