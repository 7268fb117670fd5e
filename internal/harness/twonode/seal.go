package twonode

import (
	"strings"

	"hbgo/authkeys"
	"hbgo/heartbeat/core/wire"
	"hbgo/internal/harness/testnet"
)

// Seal signs m as a node whose authkeys file reads authText would.
func Seal(t testnet.T, authText string, m *wire.Message) []byte {
	t.Helper()
	k, probs := authkeys.Parse(strings.NewReader(authText), "authkeys")
	if probs.HasErrors() {
		t.Fatalf("%v", probs)
	}
	b, err := wire.Seal(m, k)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return b
}
