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

// TestSymbolsPartition reads this test binary's symbol table: the symbols
// symbols returns never overlap, so a resident page's bytes are counted
// once.
func TestSymbolsPartition(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	syms, err := symbols(f)
	if err != nil {
		t.Skip(err) // a stripped test binary
	}
	for i := 1; i < len(syms); i++ {
		if syms[i-1].hi > syms[i].lo || syms[i-1].lo >= syms[i].lo {
			t.Fatalf("%s [%#x, %#x) overlaps %s at %#x", syms[i-1].name, syms[i-1].lo, syms[i-1].hi, syms[i].name, syms[i].lo)
		}
	}
}

// TestRunSelf prints this process's own resident pages: every section of
// the report is there and the text is partly resident.
func TestRunSelf(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, os.Getpid(), "/proc/self/exe", 5, false); err != nil {
		t.Skip(err)
	}
	out := b.String()
	for _, want := range []string{"## mappings", "## sections", "## pclntab by table", "## .text by package"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
