package watch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"

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
// mount namespace the wake-up came within a millisecond. The rescan only
// looks for held points, so it runs only while one is held: a node that
// holds no Filesystem (the standby) wakes for mount table changes alone.
type Mounts struct {
	Events   chan<- Event
	Path     string        // "" = /proc/self/mountinfo
	Backstop time.Duration // rescan period besides the wake-ups; 0 = DefaultMountBackstop
	Now      func() time.Time

	mu      sync.Mutex
	held    map[string]string // mount point → resource
	gone    map[string]bool   // reported, until mounted again
	changed bool              // held changed since the last scan
	timer   *backstopTimer    // Run's backstop, armed while a point is held (nil: not running)
	scans   int               // reads of the table (tests)

	buf, last []byte // the table as read, and as last parsed (Run's goroutine only)
}

// preadAll reads the whole of fd from offset 0 into dst with raw pread
// calls: a procfs read does not block, and a raw call keeps the scheduler
// (and its sysmon thread) out of it.
func preadAll(fd int, dst []byte) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, make([]byte, max(4096, cap(dst)))...)[:len(dst)]
		}
		free := dst[len(dst):cap(dst)]
		n, _, errno := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(&free[0])), uintptr(len(free)), uintptr(len(dst)), 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return dst, errno
		}
		if n == 0 {
			return dst, nil
		}
		dst = dst[:len(dst)+int(n)]
	}
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
	m.changed = true
	m.timer.set(true)
}

// Release stops watching point.
func (m *Mounts) Release(point string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.held, point)
	delete(m.gone, point)
	m.changed = true
	m.timer.set(len(m.held) > 0)
}

// backstopTimer is the backstop's timerfd, armed (periodic) or disarmed.
type backstopTimer struct {
	fd     int
	period time.Duration
	armed  bool
}

// set arms or disarms t (under Mounts.mu); nil does nothing.
func (t *backstopTimer) set(on bool) {
	if t == nil || t.armed == on {
		return
	}
	var ts unix.Timespec // zero: disarmed
	if on {
		ts = unix.NsecToTimespec(int64(t.period))
	}
	if unix.TimerfdSettime(t.fd, 0, &unix.ItimerSpec{Interval: ts, Value: ts}, nil) == nil {
		t.armed = on
	}
}

// Run watches the mount table until ctx ends. ready is closed once the
// first read is done, so a change after it is seen.
//
// The table's descriptor (mountinfo wakes its pollers on a change) and a
// periodic timerfd for the backstop sit in an epoll set of their own,
// and that set waits on Go's network poller. A goroutine blocked in poll(2)
// instead held a thread in a system call, and a Go timer for the backstop
// woke sysmon: each rescan then cost the scheduler a P hand-off and sysmon
// several wake-ups (bench/results/idle-2026-12-06.md). Where epoll or a
// timerfd is unavailable it falls back to poll(2).
func (m *Mounts) Run(ctx context.Context, ready chan<- struct{}) error {
	path := m.Path
	if path == "" {
		path = "/proc/self/mountinfo"
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("watch mounts: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	backstop := m.Backstop
	if backstop <= 0 {
		backstop = DefaultMountBackstop
	}
	m.scan(fd, path)
	if ready != nil {
		close(ready)
	}
	set, err := newMountSet(fd)
	if err != nil {
		return m.runPoll(ctx, fd, path, backstop)
	}
	defer set.close()
	m.mu.Lock()
	m.timer = &backstopTimer{fd: set.tfd, period: backstop}
	m.timer.set(len(m.held) > 0)
	m.mu.Unlock()
	defer func() { // before set.close: Hold and Release no longer touch the timerfd
		m.mu.Lock()
		m.timer = nil
		m.mu.Unlock()
	}()
	rc, err := set.ep.SyscallConn()
	if err != nil {
		return fmt.Errorf("watch mounts: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { set.ep.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		if err := rc.Read(set.ready); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch mounts: %w", err)
		}
		m.scan(fd, path)
	}
}

// mountSet is Run's epoll set: the table and the backstop's timerfd
// (created disarmed; Run arms it while a point is held).
type mountSet struct {
	ep  *os.File // the epoll descriptor, on Go's poller
	tfd int
	evs [2]unix.EpollEvent
}

func newMountSet(table int) (*mountSet, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	s := &mountSet{tfd: tfd}
	// Edge-triggered on EPOLLIN, which mountinfo always reports: the set
	// is readied by each wake-up of the table's wait queue (a change).
	// Not EPOLLPRI: mountinfo's poll clears the change as it reports
	// it, and Go's poller asking whether the set is ready already polls
	// the table, so the set's own epoll_wait would see nothing.
	err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, table, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(table)})
	if err == nil {
		err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, tfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(tfd)})
	}
	if err == nil {
		err = unix.SetNonblock(epfd, true)
	}
	if err != nil {
		unix.Close(epfd)
		unix.Close(tfd)
		return nil, err
	}
	s.ep = os.NewFile(uintptr(epfd), "mountinfo-epoll") // non-blocking: on Go's poller
	if err := s.ep.SetReadDeadline(time.Time{}); err != nil {
		s.close() // the poller did not take it
		return nil, err
	}
	return s, nil
}

// ready is rc.Read's callback: true when the table changed or the backstop
// ticked (the timerfd read clears it), false to wait for the poller.
func (s *mountSet) ready(epfd uintptr) bool {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_WAIT, epfd, uintptr(unsafe.Pointer(&s.evs[0])), uintptr(len(s.evs)), 0, 0, 0)
	if errno != 0 || n == 0 {
		return false
	}
	for _, ev := range s.evs[:n] {
		if int(ev.Fd) == s.tfd {
			var x [8]byte
			unix.RawSyscall(unix.SYS_READ, uintptr(s.tfd), uintptr(unsafe.Pointer(&x[0])), 8)
		}
	}
	return true
}

func (s *mountSet) close() {
	if s.ep != nil {
		s.ep.Close()
	}
	unix.Close(s.tfd)
}

// runPoll is Run's loop with poll(2) in this goroutine, for a table whose
// descriptor the network poller refused.
func (m *Mounts) runPoll(ctx context.Context, fd int, path string, backstop time.Duration) error {
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
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}, {Fd: int32(p[0]), Events: unix.POLLIN}}
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
			m.scan(int(fds[0].Fd), path)
		}
	}
}

// scan re-reads the table from the start and reports held points that are
// gone (once each, until they are mounted again). A table byte for byte
// the same as the last one parsed, with the held points unchanged, is not
// parsed again: the backstop's rescans allocate nothing.
func (m *Mounts) scan(fd int, path string) {
	b, err := preadAll(fd, m.buf[:0])
	if err != nil {
		return
	}
	m.buf = b
	m.mu.Lock()
	m.scans++
	same := m.last != nil && !m.changed && bytes.Equal(b, m.last)
	m.changed = false
	m.mu.Unlock()
	if same {
		return
	}
	m.last = append(m.last[:0], b...)
	ms, err := filesystem.ParseMountinfo(bytes.NewReader(b), path)
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
