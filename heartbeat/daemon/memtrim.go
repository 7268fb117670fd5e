package daemon

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// trimDelay is how long after start-up or a resource operation the daemon
// gives memory back: long enough for the burst to be over, short against
// the hours a node idles.
const trimDelay = 3 * time.Second

// memTrim gives an idle daemon's memory back to the kernel, 3 s after
// start-up and after each resource operation (trim). Its first trim also
// has the executable's clean mappings fault one page at a time from then
// on (smallFaults): without that, each fault on them maps a whole 64 KiB
// fault-around window, and an idle node's scattered touches of code,
// pclntab and type descriptors kept 5.6 MB of the binary mapped where it
// reads 2.5 MB (bench/results/idle-2026-12-06b/rss).
type memTrim struct {
	tried bool // smallFaults was tried (once: the mappings never move)
	uffd  int  // the userfaultfd that keeps them so, or -1
	err   error
}

// close lets the mappings fault around again (the daemon is stopping).
func (t *memTrim) close() {
	if t.tried && t.uffd >= 0 {
		unix.Close(t.uffd)
		t.uffd = -1
	}
}

// trim returns what an idle daemon does not use to the kernel: the heap's
// free pages (start-up parses configurations and scans resources), and the
// pages of its own executable that start-up touched but the loop no longer
// reads (flag parsing, config checks, agents' code). Those are clean file
// pages: dropping them from this process's page tables loses nothing, a
// later use faults them back in from the page cache, which keeps them (no
// eviction, so no disk read in a failover). Mappings holding any private
// (copied-on-write) page are left alone. It returns the KiB unmapped, -1
// if the mappings could not be read.
func (t *memTrim) trim() int {
	debug.FreeOSMemory()
	exe, err := os.Executable()
	if err != nil {
		return -1
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return -1
	}
	maps := cleanFileMappings(string(smaps), exe)
	if !t.tried {
		t.tried = true
		t.uffd, t.err = smallFaults(maps)
	}
	dropped := 0
	for _, m := range maps {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m[0], m[1]-m[0], unix.MADV_DONTNEED); errno == 0 {
			dropped += int(m[1] - m[0])
		}
	}
	return dropped / 1024
}

// userfaultfd(2) ABI (linux/userfaultfd.h).
const (
	uffdUserModeOnly   = 1          // UFFD_USER_MODE_ONLY: no kernel-mode faults
	uffdAPI            = 0xAA       // UFFD_API
	uffdFeatureWPAsync = 1 << 15    // UFFD_FEATURE_WP_ASYNC (Linux 6.7)
	uffdioAPI          = 0xc018aa3f // UFFDIO_API: _IOWR(0xAA, 0x3F, struct uffdio_api)
	uffdioRegister     = 0xc020aa00 // UFFDIO_REGISTER: _IOWR(0xAA, 0x00, struct uffdio_register)
	uffdRegisterWP     = 1 << 1     // UFFDIO_REGISTER_MODE_WP
)

// smallFaults registers the mappings with a userfaultfd for write-protect
// tracking in asynchronous mode. Nothing is ever write-protected and the
// mappings are read-only, so no fault ever reaches the descriptor (nobody
// reads it, and with WP_ASYNC the kernel would resolve one itself); what
// the registration changes is that the kernel does not fault around in a
// registered mapping (mm/memory.c, should_fault_around), so a fault maps
// the one page touched. The descriptor must stay open: closing it
// unregisters. Linux before 6.7 (no WP_ASYNC, EINVAL) or a sandbox
// without userfaultfd (ENOSYS, EPERM) leaves fault-around as it was.
func smallFaults(maps [][2]uintptr) (int, error) {
	if len(maps) == 0 {
		return -1, nil
	}
	fd, _, errno := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK|uffdUserModeOnly, 0, 0)
	if errno != 0 {
		return -1, fmt.Errorf("userfaultfd: %w", errno)
	}
	api := struct{ api, features, ioctls uint64 }{api: uffdAPI, features: uffdFeatureWPAsync}
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, uffdioAPI, uintptr(unsafe.Pointer(&api))); errno != 0 {
		unix.Close(int(fd))
		return -1, fmt.Errorf("userfaultfd WP_ASYNC: %w", errno)
	}
	for _, m := range maps {
		reg := struct{ start, len, mode, ioctls uint64 }{start: uint64(m[0]), len: uint64(m[1] - m[0]), mode: uffdRegisterWP}
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, uffdioRegister, uintptr(unsafe.Pointer(&reg))); errno != 0 {
			unix.Close(int(fd)) // unregisters what was registered
			return -1, fmt.Errorf("userfaultfd register %#x-%#x: %w", m[0], m[1], errno)
		}
	}
	return int(fd), nil
}

// cleanFileMappings picks, from /proc/self/smaps text, the read-only
// mappings of file path (text, rodata) that hold no anonymous page, as
// [start, end) address pairs.
func cleanFileMappings(smaps, path string) [][2]uintptr {
	const pageSize = 4096 // the smallest page Linux maps; larger pages are multiples
	var out [][2]uintptr
	var cur [2]uintptr
	ok := false
	for _, line := range strings.Split(smaps, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && len(f) >= 5 {
			if ok {
				out = append(out, cur)
			}
			ok = false
			lo, hi, dash := strings.Cut(f[0], "-")
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			// The kernel writes page-aligned, non-empty ranges; anything
			// else is not a mapping and must never reach madvise.
			if !dash || err1 != nil || err2 != nil || len(f) < 6 || f[5] != path ||
				a >= b || a%pageSize != 0 || b%pageSize != 0 {
				continue
			}
			if perm := f[1]; len(perm) == 4 && perm[1] == '-' && perm[3] == 'p' {
				cur, ok = [2]uintptr{uintptr(a), uintptr(b)}, true
			}
			continue
		}
		if ok && f[0] == "Anonymous:" && len(f) >= 2 && f[1] != "0" {
			ok = false
		}
	}
	if ok {
		out = append(out, cur)
	}
	return out
}

// memReport is the Go runtime's memory by class, in KiB, for the trim's
// debug line: what the anonymous part of the daemon's RSS is made of
// (bench/results/idle-2026-12-06b/rss). The classes are runtime/metrics'
// /memory/classes/* by their last name (heap/objects is "objects",
// metadata/other "gc-meta", ...), taken from runtime.MemStats's matching
// fields instead of runtime/metrics, whose first Read builds a table of
// every metric that stayed in the heap for good (a 9.5 KB map alone in a
// 56 KiB span) and its package's init 15 KB more, in every process, for
// a line that is formatted at each trim (bench/results/idle-2026-12-06d/rss3).
func memReport() string {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	classes := [...]struct {
		name  string
		bytes uint64
	}{
		{"objects", m.HeapAlloc},
		{"unused", m.HeapInuse - m.HeapAlloc},
		{"free", m.HeapIdle - m.HeapReleased},
		{"released", m.HeapReleased},
		{"stacks", m.StackInuse},
		{"os-stacks", m.StackSys - m.StackInuse},
		{"mspan", m.MSpanInuse},
		{"mspan-free", m.MSpanSys - m.MSpanInuse},
		{"mcache", m.MCacheInuse},
		{"mcache-free", m.MCacheSys - m.MCacheInuse},
		{"gc-meta", m.GCSys},
		{"buckets", m.BuckHashSys},
		{"other", m.OtherSys},
		{"total", m.Sys},
	}
	b := make([]byte, 0, 256)
	for _, c := range classes {
		b = fmt.Appendf(b, " %s=%d", c.name, c.bytes/1024)
	}
	return string(b)
}
