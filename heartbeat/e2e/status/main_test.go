package status

import (
	"testing"

	"hbgo/internal/harness/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }
