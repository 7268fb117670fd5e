package ipaddr

import (
	"errors"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestRetryDump(t *testing.T) {
	calls := 0
	v, err := retryDump(func() (int, error) {
		calls++
		if calls < 3 {
			return -1, netlink.ErrDumpInterrupted
		}
		return 42, nil
	})
	if v != 42 || err != nil || calls != 3 {
		t.Errorf("got %d, %v after %d calls; want 42, nil after 3", v, err, calls)
	}
	calls = 0
	_, err = retryDump(func() (int, error) { calls++; return 0, netlink.ErrDumpInterrupted })
	if !errors.Is(err, netlink.ErrDumpInterrupted) || calls != dumpRetries {
		t.Errorf("always interrupted: %v after %d calls, want the error after %d", err, calls, dumpRetries)
	}
	other := errors.New("boom")
	calls = 0
	if _, err := retryDump(func() (int, error) { calls++; return 0, other }); err != other || calls != 1 {
		t.Errorf("other error: %v after %d calls", err, calls)
	}
}
