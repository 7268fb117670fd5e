package daemon

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// trimDelay is how long after start-up or a resource operation the daemon
// gives memory back: long enough for the burst to be over, short against
// the hours a node idles.
const trimDelay = 3 * time.Second

// trimMemory returns what an idle daemon does not use to the kernel: the
// heap's free pages (start-up parses configurations and scans resources),
// and the pages of its own executable that start-up touched but the loop
// no longer reads (flag parsing, config checks, agents' code). Those are
// clean file pages: dropping them from this process's page tables loses
// nothing, a later use faults them back in from the page cache. Mappings
// holding any private (copied-on-write) page are left alone. It returns
// the KiB unmapped, -1 if the mappings could not be read.
func trimMemory() int {
	debug.FreeOSMemory()
	exe, err := os.Executable()
	if err != nil {
		return -1
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return -1
	}
	dropped := 0
	for _, m := range cleanFileMappings(string(smaps), exe) {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m[0], m[1]-m[0], unix.MADV_DONTNEED); errno == 0 {
			dropped += int(m[1] - m[0])
		}
	}
	return dropped / 1024
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
