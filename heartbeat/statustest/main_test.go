package statustest

import (
	"testing"

	"hbgo/heartbeat/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }
