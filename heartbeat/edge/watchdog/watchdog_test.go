package watchdog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/edge/hblog"
)

func TestTimeout(t *testing.T) {
	for _, tc := range []struct {
		deadtime time.Duration
		want     int
	}{
		{30 * time.Second, 31}, {2 * time.Second, 3}, {1500 * time.Millisecond, 2}, {990 * time.Millisecond, 1}, {991 * time.Millisecond, 2},
	} {
		if got := Timeout(tc.deadtime); got != tc.want {
			t.Errorf("Timeout(%v) = %d, want %d", tc.deadtime, got, tc.want)
		}
	}
}

func lines(r *hblog.Recorder) []string {
	var out []string
	for _, x := range r.Records() {
		if x.Level != hblog.Debug {
			out = append(out, x.Line())
		}
	}
	return out
}

// TestRegularFileStandIn feeds a regular file: each write is one NUL byte,
// the last one the magic 'V'.
func TestRegularFileStandIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	log := hblog.NewRecorder()
	d, err := Open(path, 2*time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		d.Tickle()
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || !bytes.Equal(b[:len(b)-1], make([]byte, len(b)-1)) || b[len(b)-1] != 'V' {
		t.Errorf("device got %q, want NUL bytes then V", b)
	}
	if d := cmp.Diff([]string{"notice: Using watchdog device: " + path}, lines(log)); d != "" {
		t.Errorf("log (-want +got):\n%s", d)
	}
}

func TestCannotOpen(t *testing.T) {
	log := hblog.NewRecorder()
	path := filepath.Join(t.TempDir(), "missing", "watchdog")
	if _, err := Open(path, time.Second, log); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want not exist", err)
	}
	if d := cmp.Diff([]string{"ERROR: Cannot open watchdog device: " + path}, lines(log)); d != "" {
		t.Errorf("log (-want +got):\n%s", d)
	}
}

// TestFIFOStandIn reads what the daemon would write to the device through a FIFO.
func TestFIFOStandIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watchdog")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		r, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	d, err := Open(path, time.Second, hblog.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d.Tickle()
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := <-got
	if len(b) < 2 || b[len(b)-1] != 'V' || strings.Trim(string(b[:len(b)-1]), "\x00") != "" {
		t.Errorf("FIFO got %q, want NUL bytes then V", b)
	}
}

// blocked is a device whose writes never return.
type blocked struct{ release chan struct{} }

func (b blocked) Write(p []byte) (int, error) { <-b.release; return len(p), nil }
func (b blocked) Close() error                { return nil }

// TestBlockedWriteDoesNotBlockCaller: Tickle returns while the device is
// stuck, and Close gives up when its context ends.
func TestBlockedWriteDoesNotBlockCaller(t *testing.T) {
	dev := blocked{release: make(chan struct{})}
	defer close(dev.release)
	d := New("stuck", dev, hblog.Discard)
	for range 1000 {
		d.Tickle()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close on a stuck device = %v, want context.Canceled", err)
	}
}

// failing is a device whose writes fail.
type failing struct{ closed *bool }

func (f failing) Write(p []byte) (int, error) { return 0, syscall.EIO }
func (f failing) Close() error                { *f.closed = true; return nil }

func TestWriteFailureClosesDevice(t *testing.T) {
	closed := false
	log := hblog.NewRecorder()
	d := New("/dev/watchdog", failing{&closed}, log)
	d.Tickle()
	<-d.done
	if !closed {
		t.Error("device not closed after a write failure")
	}
	want := []string{
		"ERROR: Watchdog write failure: closing /dev/watchdog!: input/output error",
		"ERROR: Watchdog write magic character failure: closing /dev/watchdog!: input/output error",
	}
	if diff := cmp.Diff(want, lines(log)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	d.Tickle() // after the failure: nothing listens, must not block
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("Close after failure: %v", err)
	}
}
