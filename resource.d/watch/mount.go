package watch

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"hbgo/resource.d/filesystem"
)

// Mounts watches the mount table through /proc/self/mountinfo, which the
// kernel flags (POLLPRI|POLLERR) when it changes: a held mount point that is
// no longer mounted is a Failed event.
//
// The flag is not always raised by an unmount: measured on 6.18, an umount in
// the root namespace woke poll only once some other mount event followed
// (umount_tree marks the namespace with the current event number without
// taking a new one, so a namespace whose last change was the mount itself
// sees no change). A rescan every Backstop covers that case; in a private
// mount namespace the wake-up came within a millisecond.
type Mounts struct {
	Events   chan<- Event
	Path     string        // "" = /proc/self/mountinfo
	Backstop time.Duration // rescan period besides the wake-ups; 0 = DefaultMountBackstop
	Now      func() time.Time

	mu   sync.Mutex
	held map[string]string // mount point → resource
	gone map[string]bool   // reported, until mounted again
}

// DefaultMountBackstop is the rescan period of Mounts besides poll's wake-ups.
const DefaultMountBackstop = time.Second

// Hold starts watching point for resource.
func (m *Mounts) Hold(resource, point string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held == nil {
		m.held, m.gone = map[string]string{}, map[string]bool{}
	}
	m.held[point] = resource
	delete(m.gone, point)
}

// Release stops watching point.
func (m *Mounts) Release(point string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.held, point)
	delete(m.gone, point)
}

// Run polls the mount table until ctx ends. ready is closed once the first
// read is done, so a change after it is seen.
func (m *Mounts) Run(ctx context.Context, ready chan<- struct{}) error {
	path := m.Path
	if path == "" {
		path = "/proc/self/mountinfo"
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("watch mounts: %w", err)
	}
	defer f.Close()
	// A pipe wakes poll when ctx ends.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fmt.Errorf("watch mounts: %w", err)
	}
	defer unix.Close(p[0])
	stop := context.AfterFunc(ctx, func() { unix.Write(p[1], []byte{0}); unix.Close(p[1]) })
	defer func() {
		if stop() {
			unix.Close(p[1])
		}
	}()
	m.scan(f, path)
	if ready != nil {
		close(ready)
	}
	backstop := m.Backstop
	if backstop <= 0 {
		backstop = DefaultMountBackstop
	}
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLPRI}, {Fd: int32(p[0]), Events: unix.POLLIN}}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		n, err := unix.Poll(fds, int(backstop/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("watch mounts: poll: %w", err)
		}
		if ctx.Err() != nil || fds[1].Revents != 0 {
			return nil
		}
		if n == 0 || fds[0].Revents&(unix.POLLPRI|unix.POLLERR) != 0 {
			m.scan(f, path)
		}
	}
}

// scan re-reads the table from the start and reports held points that are
// gone (once each, until they are mounted again).
func (m *Mounts) scan(f *os.File, path string) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return
	}
	ms, err := filesystem.ParseMountinfo(f, path)
	if err != nil {
		return
	}
	m.mu.Lock()
	var evs []Event
	for point, res := range m.held {
		if filesystem.MountedAt(ms, point) != nil {
			delete(m.gone, point)
			continue
		}
		if !m.gone[point] {
			m.gone[point] = true
			now := time.Now()
			if m.Now != nil {
				now = m.Now()
			}
			evs = append(evs, Event{Resource: res, Kind: Failed, Cause: point + " unmounted (mountinfo)", At: now})
		}
	}
	m.mu.Unlock()
	for _, ev := range evs {
		send(m.Events, ev)
	}
}
