package daemon

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// smapsSample is /proc/self/smaps of an hbgo daemon, cut to the fields
// cleanFileMappings reads (recorded on this machine, 2026-11-23).
const smapsSample = `00400000-00768000 r-xp 00000000 fe:00 9986594                            /usr/sbin/heartbeat
Size:               3488 kB
Rss:                3040 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
00768000-00afb000 r--p 00368000 fe:00 9986594                            /usr/sbin/heartbeat
Size:               3660 kB
Anonymous:             0 kB
00afb000-00b60000 rw-p 006fb000 fe:00 9986594                            /usr/sbin/heartbeat
Anonymous:           120 kB
00b60000-00b80000 r--p 00760000 fe:00 9986594                            /usr/sbin/heartbeat
Anonymous:             8 kB
7f76f3be0000-7f76f3f00000 rw-p 00000000 00:00 0 
Anonymous:          1596 kB
7f76f4000000-7f76f4010000 r--p 00000000 fe:00 1234                       /usr/lib/other.so
Anonymous:             0 kB
`

func TestCleanFileMappings(t *testing.T) {
	cases := []struct {
		name, smaps, path string
		want              [][2]uintptr
	}{
		{"text and rodata, not data nor a relocated page", smapsSample, "/usr/sbin/heartbeat",
			[][2]uintptr{{0x400000, 0x768000}, {0x768000, 0xafb000}}},
		{"other file", smapsSample, "/usr/lib/other.so", [][2]uintptr{{0x7f76f4000000, 0x7f76f4010000}}},
		{"not mapped", smapsSample, "/nope", nil},
		{"last mapping without fields", "00400000-00401000 r-xp 00000000 fe:00 1 /x\n", "/x", [][2]uintptr{{0x400000, 0x401000}}},
		{"garbage", "zz-yy r-xp 0 0 0 /x\nAnonymous: 0 kB\n", "/x", nil},
		{"empty", "", "/x", nil},
		{"backwards range", "1000-0 r-xp 0 0 0 /x\n", "/x", nil},
		{"empty range", "1000-1000 r-xp 0 0 0 /x\n", "/x", nil},
		{"unaligned range", "1001-2000 r-xp 0 0 0 /x\n1000-2001 r-xp 0 0 0 /x\n", "/x", nil},
		{"fuzz find (issue 20)", "1-0 0-0p 0 0 0 /x", "/x", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, cleanFileMappings(c.smaps, c.path)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func FuzzCleanFileMappings(f *testing.F) {
	f.Add(smapsSample, "/usr/sbin/heartbeat")
	f.Fuzz(func(t *testing.T, smaps, path string) {
		for _, m := range cleanFileMappings(smaps, path) {
			if m[0] >= m[1] {
				t.Fatalf("range %x-%x is empty or runs backwards", m[0], m[1])
			}
			if m[0]%4096 != 0 || m[1]%4096 != 0 {
				t.Fatalf("range %x-%x is not page-aligned", m[0], m[1])
			}
		}
	})
}

// TestTrimMemoryKeepsTheProcessWorking drops this test binary's clean
// pages and heap: the binary's resident text and rodata shrink, and code
// and read-only data that were dropped fault back in with the same bytes.
func TestTrimMemoryKeepsTheProcessWorking(t *testing.T) {
	exe, _ := os.Executable()
	if _, err := os.ReadFile("/proc/self/smaps"); err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	before := sha256.Sum256([]byte(smapsSample)) // a constant: it lives in rodata
	rss0 := cleanRss(t, exe)
	if kb := trimMemory(); kb <= 0 {
		t.Fatalf("trimMemory unmapped %d KiB, want some", kb)
	}
	rss1 := cleanRss(t, exe)
	if rss1 >= rss0 {
		t.Errorf("resident clean pages of %s: %d KiB before the trim, %d KiB after; want fewer", exe, rss0, rss1)
	}
	if after := sha256.Sum256([]byte(smapsSample)); after != before {
		t.Fatalf("rodata read back after the trim differs: %x, want %x", after, before)
	}
	if got := cleanFileMappings(smapsSample, "/usr/sbin/heartbeat"); len(got) != 2 {
		t.Fatalf("code run after the trim: %d mappings, want 2", len(got))
	}
}

// cleanRss sums the Rss of the mappings of exe that trimMemory would drop.
func cleanRss(t *testing.T, exe string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	clean := map[uintptr]bool{}
	for _, m := range cleanFileMappings(string(b), exe) {
		clean[m[0]] = true
	}
	if len(clean) == 0 {
		t.Fatalf("no clean mapping of %s found in /proc/self/smaps", exe)
	}
	total, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-"):
			lo, _, _ := strings.Cut(f[0], "-")
			a, _ := strconv.ParseUint(lo, 16, 64)
			in = clean[uintptr(a)]
		case in && len(f) >= 2 && f[0] == "Rss:":
			kb, _ := strconv.Atoi(f[1])
			total += kb
		}
	}
	return total
}

// trimMemory is a trim without smallFaults.
func trimMemory() int {
	return (&memTrim{tried: true, uffd: -1}).trim()
}

// TestSmallFaultsMapOnePage registers this test binary's clean mappings
// as memTrim's first trim does, drops them, and reads one byte of a
// 64 KiB window of read-only data that nothing else touched since: only
// that byte's page is mapped again, where fault-around would have mapped
// the window's other pages too.
func TestSmallFaultsMapOnePage(t *testing.T) {
	exe, _ := os.Executable()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	maps := cleanFileMappings(string(smaps), exe)
	mt := memTrim{tried: true}
	mt.uffd, mt.err = smallFaults(maps)
	if mt.err != nil {
		t.Skipf("no page-sized faults on this kernel: %v", mt.err)
	}
	defer mt.close()
	before := sha256.Sum256([]byte(smapsSample))
	if kb := mt.trim(); kb <= 0 {
		t.Fatalf("trim unmapped %d KiB, want some", kb)
	}
	const window = 16 // pages: fault_around_bytes' default, 64 KiB
	rodata := maps[len(maps)-1]
	base := unsafe.StringData(smapsSample) // in rodata too
	// Other goroutines (the GC reads type descriptors) may touch a page
	// of the same window meanwhile: one window that maps exactly one page
	// is the proof; fault-around would map all of every window.
	var tries []string
	for w := (rodata[0] + window*4096 - 1) &^ (window*4096 - 1); w+window*4096 <= rodata[1] && len(tries) < 5; w += window * 4096 {
		if presentPages(t, w, window) != 0 {
			continue
		}
		faultSink += *(*byte)(unsafe.Add(unsafe.Pointer(base), int(w)-int(uintptr(unsafe.Pointer(base))))) // the fault
		n := presentPages(t, w, window)
		if n == 1 {
			if after := sha256.Sum256([]byte(smapsSample)); after != before {
				t.Fatalf("rodata read back after the trim differs: %x, want %x", after, before)
			}
			return
		}
		tries = append(tries, fmt.Sprintf("%#x: %d pages", w, n))
	}
	if len(tries) == 0 {
		t.Skip("no 64 KiB window of read-only data left unmapped after the trim")
	}
	t.Fatalf("reading one byte of a dropped 64 KiB window mapped more than that page: %s", strings.Join(tries, ", "))
}

// faultSink keeps the test's read of a byte from being optimised away.
var faultSink byte

// presentPages counts the pages of [addr, addr+n pages) that this process
// has mapped, from /proc/self/pagemap.
func presentPages(t *testing.T, addr uintptr, n int) int {
	t.Helper()
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Skipf("no pagemap: %v", err)
	}
	defer f.Close()
	b := make([]byte, 8*n)
	if _, err := f.ReadAt(b, int64(addr/4096*8)); err != nil {
		t.Fatal(err)
	}
	c := 0
	for i := 0; i < n; i++ {
		if binary.LittleEndian.Uint64(b[8*i:])&(1<<63) != 0 {
			c++
		}
	}
	return c
}
