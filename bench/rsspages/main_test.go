package main

import (
	"bytes"
	"debug/elf"
	"os"
	"strings"
	"testing"
)

func TestPkgOf(t *testing.T) {
	for name, want := range map[string]string{
		"runtime.mallocgc": "runtime",
		"hbgo/heartbeat/core/membership.(*Machine).Step":     "hbgo/heartbeat/core/membership",
		"slices.SortFunc[go.shape.*hbgo/x.T,go.shape.int]":   "slices",
		"github.com/vishvananda/netlink.LinkList.func1":      "github.com/vishvananda/netlink",
		"vendor/golang.org/x/net/dns/dnsmessage.(*Parser).A": "vendor/golang.org/x/net/dns/dnsmessage",
		"type:*hbgo/heartbeat/daemon.node":                   "type:* (type descriptors)",
		"go:string.*":                                        "go:string.* (string data)",
		"go:func.*":                                          "go:func.* (GC and arg maps, funcdata)",
		"_rt0_amd64_linux":                                   "_rt0_amd64_linux",
	} {
		if got := pkgOf(name); got != want {
			t.Errorf("pkgOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestPartition: one symbol per address, the sized one before a marker
// of size zero there; a marker ends where the next symbol begins, and no
// two overlap.
func TestPartition(t *testing.T) {
	es := []elf.Symbol{
		{Name: "type:*T", Value: 0x1000, Size: 0x40, Section: 4},
		{Name: "runtime.types", Value: 0x1000, Size: 0, Section: 4},
		{Name: "runtime.rodata", Value: 0x800, Size: 0, Section: 4},
		{Name: "type:*", Value: 0x800, Size: 0, Section: 4},
		{Name: "type:*U", Value: 0x1040, Size: 0x80, Section: 4},
		{Name: "go:string.*", Value: 0x1080, Size: 0, Section: 4},
		{Name: "runtime.etypes", Value: 0x2000, Size: 0, Section: 4},
		{Name: "undefined", Value: 0, Section: elf.SHN_UNDEF},
	}
	got := partition(es)
	want := []sym{
		{0x800, 0x1000, "type:*", "type:* (type descriptors)"},
		{0x1000, 0x1040, "type:*T", "type:* (type descriptors)"},
		{0x1040, 0x1080, "type:*U", "type:* (type descriptors)"},
		{0x1080, 0x2000, "go:string.*", "go:string.* (string data)"},
		{0x2000, 0x2000, "runtime.etypes", "runtime"},
	}
	if len(got) != len(want) {
		t.Fatalf("partition = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("symbol %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestRunSelf prints this process's own resident pages (go test strips
// the symbol table, so without the split by package).
func TestRunSelf(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, os.Getpid(), "/proc/self/exe", 5, false); err != nil {
		t.Skip(err)
	}
	out := b.String()
	for _, want := range []string{"## mappings", "## sections", "## pclntab by table", "\n.text "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
