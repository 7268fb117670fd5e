// Command rsspages prints which pages of a process's executable are
// resident, by ELF section, by package and by page-cache folio size.
//
// It reads /proc/PID/maps and /proc/PID/pagemap for the mappings that cover
// the executable's loadable sections (text, rodata, pclntab, data, and the
// anonymous bss behind them), /proc/kpageflags for the folio each present
// page belongs to, and the executable's symbol table to name the bytes a
// present page holds. A page's bytes are shared among the symbols they
// overlap, so package figures add up to the section's resident bytes. The
// pclntab is split into the tables its header names (function names, file
// tables, pc-value tables, function table), since the Go runtime reads each
// for a different reason. The executable must have its symbol table: build
// the same source without -s (the load segments do not move; compare
// `readelf -lW`) and pass it with -exe; without one, the split by package
// is left out.
//
// Usage: rsspages [-exe FILE] [-top N] [-pages] PID
//
// Needs root (PFNs in pagemap and /proc/kpageflags are root-only; without
// them it still counts present pages but cannot see folios).
package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

const pageSize = 4096

// Bits of /proc/kpageflags (Documentation/admin-guide/mm/pagemap.rst).
const (
	kpfAnon         = 12
	kpfCompoundHead = 15
	kpfCompoundTail = 16
	kpfTHP          = 22
)

// mapping is one line of /proc/PID/maps.
type mapping struct {
	lo, hi uint64
	perm   string
	path   string
}

// page is one present page of the executable's range.
type page struct {
	addr  uint64
	pfn   uint64
	flags uint64
	folio int // pages in the folio holding it (1 for a small page)
}

// sym is one symbol of the executable, with its package.
type sym struct {
	lo, hi uint64
	name   string
	pkg    string
}

func main() {
	exe := flag.String("exe", "", "executable with a symbol table (default /proc/PID/exe)")
	top := flag.Int("top", 25, "packages listed per section")
	pages := flag.Bool("pages", false, "also list every present text page with the functions on it")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: rsspages [-exe FILE] [-top N] [-pages] PID")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	pid, err := strconv.Atoi(flag.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "rsspages: PID %q: %v\n", flag.Arg(0), err)
		os.Exit(2)
	}
	if *exe == "" {
		*exe = fmt.Sprintf("/proc/%d/exe", pid)
	}
	if err := run(os.Stdout, pid, *exe, *top, *pages); err != nil {
		fmt.Fprintln(os.Stderr, "rsspages:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, pid int, exe string, top int, listPages bool) error {
	f, err := elf.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	var secs []*elf.Section
	var lo, hi uint64
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Size == 0 {
			continue
		}
		secs = append(secs, s)
		if lo == 0 || s.Addr < lo {
			lo = s.Addr
		}
		hi = max(hi, s.Addr+s.Size)
	}
	lo &^= pageSize - 1
	syms, symErr := symbols(f) // without them: no package split
	maps, err := readMaps(pid, lo, hi)
	if err != nil {
		return err
	}
	pg, err := presentPages(pid, maps)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# pid %d, executable %s, %d mappings over %#x-%#x\n", pid, exe, len(maps), lo, hi)
	printMappings(w, maps, pg)
	printSections(w, secs, pg)
	for _, s := range secs {
		if s.Name == ".gopclntab" {
			printPclntab(w, s, pg)
		}
	}
	if symErr != nil {
		fmt.Fprintf(w, "\n## no split by package: %v\n", symErr)
		return nil
	}
	for _, s := range secs {
		printPackages(w, s, syms, pg, top)
	}
	if listPages {
		printPages(w, secs, syms, pg)
	}
	return nil
}

// symbols reads the executable's symbol table as a partition of its
// address space: sorted by address, one symbol per address (a sized one
// before a marker of size zero, a linker group such as type:* before a
// runtime marker such as runtime.types), each ending where the next
// begins at the latest, a marker where the next begins. Go's type
// descriptors have no symbols of their own: type:* covers them all.
func symbols(f *elf.File) ([]sym, error) {
	es, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("symbol table: %w (build without -s and pass it with -exe)", err)
	}
	return partition(es), nil
}

// partition is symbols' work on the table's entries.
func partition(es []elf.Symbol) []sym {
	var all []sym
	for _, s := range es {
		if s.Value == 0 || s.Section == elf.SHN_UNDEF || s.Section >= elf.SHN_LORESERVE {
			continue
		}
		all = append(all, sym{lo: s.Value, hi: s.Value + s.Size, name: s.Name, pkg: pkgOf(s.Name)})
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.lo != b.lo {
			return a.lo < b.lo
		}
		if a.hi-a.lo != b.hi-b.lo {
			return a.hi-a.lo > b.hi-b.lo
		}
		// the linker's group (type:*, whose descriptors have no symbols
		// of their own) before the runtime's section markers
		if ga, gb := strings.Contains(a.name, ":"), strings.Contains(b.name, ":"); ga != gb {
			return ga
		}
		return a.name < b.name
	})
	var out []sym
	for _, s := range all {
		if len(out) > 0 && out[len(out)-1].lo == s.lo {
			continue
		}
		out = append(out, s)
	}
	for i := range out {
		if i+1 < len(out) && (out[i].hi == out[i].lo || out[i].hi > out[i+1].lo) {
			out[i].hi = out[i+1].lo
		}
	}
	return out
}

// pkgOf names the package of a Go symbol: the import path before the first
// dot after the last slash, generic shapes and receivers cut off. Linker
// symbols (type:, go:) are grouped by their prefix.
func pkgOf(name string) string {
	switch {
	case strings.HasPrefix(name, "type:"):
		return "type:* (type descriptors)"
	case strings.HasPrefix(name, "go:string"):
		return "go:string.* (string data)"
	case strings.HasPrefix(name, "go:func"):
		return "go:func.* (GC and arg maps, funcdata)"
	case strings.HasPrefix(name, "go:"):
		return "go:* (linker data)"
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	start := strings.LastIndexByte(name, '/') + 1
	if i := strings.IndexByte(name[start:], '.'); i >= 0 {
		return name[:start+i]
	}
	return name
}

// readMaps returns the mappings of pid that overlap [lo, hi).
func readMaps(pid int, lo, hi uint64) ([]mapping, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	var out []mapping
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		a, z, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		m := mapping{perm: f[1]}
		if m.lo, err = strconv.ParseUint(a, 16, 64); err != nil {
			continue
		}
		if m.hi, err = strconv.ParseUint(z, 16, 64); err != nil {
			continue
		}
		if len(f) >= 6 {
			m.path = f[5]
		}
		if m.hi > lo && m.lo < hi {
			out = append(out, m)
		}
	}
	return out, nil
}

// presentPages reads pagemap for the mappings, and kpageflags for the
// folio of each present page.
func presentPages(pid int, maps []mapping) (map[uint64]page, error) {
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer pm.Close()
	kf, kerr := os.Open("/proc/kpageflags")
	if kerr == nil {
		defer kf.Close()
	}
	flagsOf := func(pfn uint64) (uint64, bool) {
		if kf == nil {
			return 0, false
		}
		var b [8]byte
		if _, err := kf.ReadAt(b[:], int64(pfn*8)); err != nil {
			return 0, false
		}
		return binary.LittleEndian.Uint64(b[:]), true
	}
	folioSize := map[uint64]int{} // by head PFN
	sizeAt := func(pfn, fl uint64) int {
		if fl&(1<<kpfCompoundHead|1<<kpfCompoundTail) == 0 {
			return 1
		}
		head := pfn
		for i := 0; i < 1<<18 && head > 0; i++ {
			f, ok := flagsOf(head)
			if !ok || f&(1<<kpfCompoundTail) == 0 {
				break
			}
			head--
		}
		if n, ok := folioSize[head]; ok {
			return n
		}
		n := 1
		for {
			f, ok := flagsOf(head + uint64(n))
			if !ok || f&(1<<kpfCompoundTail) == 0 {
				break
			}
			n++
		}
		folioSize[head] = n
		return n
	}
	out := map[uint64]page{}
	for _, m := range maps {
		n := (m.hi - m.lo) / pageSize
		buf := make([]byte, n*8)
		if _, err := pm.ReadAt(buf, int64(m.lo/pageSize*8)); err != nil && err != io.EOF {
			return nil, fmt.Errorf("pagemap: %w", err)
		}
		for i := uint64(0); i < n; i++ {
			e := binary.LittleEndian.Uint64(buf[i*8:])
			if e&(1<<63) == 0 {
				continue
			}
			p := page{addr: m.lo + i*pageSize, pfn: e & (1<<55 - 1), folio: 1}
			if p.pfn != 0 {
				if fl, ok := flagsOf(p.pfn); ok {
					p.flags = fl
					p.folio = sizeAt(p.pfn, fl)
				}
			}
			out[p.addr] = p
		}
	}
	return out, nil
}

func kib(pages int) string { return fmt.Sprintf("%d KiB", pages*pageSize/1024) }

func printMappings(w io.Writer, maps []mapping, pg map[uint64]page) {
	fmt.Fprintln(w, "\n## mappings (present pages; folio sizes in pages: count of present pages in folios of that size)")
	for _, m := range maps {
		n, anon := 0, 0
		hist := map[int]int{}
		for a := m.lo; a < m.hi; a += pageSize {
			p, ok := pg[a]
			if !ok {
				continue
			}
			n++
			if p.flags&(1<<kpfAnon) != 0 {
				anon++
			}
			hist[p.folio]++
		}
		name := m.path
		if name == "" {
			name = "[anon]"
		}
		fmt.Fprintf(w, "%x-%x %s %8s of %8s present (anon %s)  folios %s  %s\n",
			m.lo, m.hi, m.perm, kib(n), kib(int((m.hi-m.lo)/pageSize)), kib(anon), histString(hist), name)
	}
}

func histString(h map[int]int) string {
	var ks []int
	for k := range h {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "%d:%d ", k, h[k])
	}
	return strings.TrimSpace(b.String())
}

func printSections(w io.Writer, secs []*elf.Section, pg map[uint64]page) {
	fmt.Fprintln(w, "\n## sections (a page is counted in each section it overlaps)")
	fmt.Fprintf(w, "%-18s %10s %10s %10s  %s\n", "section", "size", "resident", "pages", "folio sizes (pages: present pages)")
	for _, s := range secs {
		n := 0
		hist := map[int]int{}
		for a := s.Addr &^ (pageSize - 1); a < s.Addr+s.Size; a += pageSize {
			if p, ok := pg[a]; ok {
				n++
				hist[p.folio]++
			}
		}
		fmt.Fprintf(w, "%-18s %10s %10s %10d  %s\n", s.Name, fmt.Sprintf("%d KiB", s.Size/1024), kib(n), n, histString(hist))
	}
}

// printPclntab splits the pclntab's resident pages by the tables its
// header (runtime.pcHeader, Go 1.20 and later) names.
func printPclntab(w io.Writer, s *elf.Section, pg map[uint64]page) {
	hdr := make([]byte, 72)
	if _, err := s.ReadAt(hdr, 0); err != nil {
		return
	}
	magic := binary.LittleEndian.Uint32(hdr)
	if magic != 0xfffffff1 {
		fmt.Fprintf(w, "\n## pclntab: unknown magic %#x\n", magic)
		return
	}
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(hdr[8+8*i:]) }
	// nfunc, nfiles, textStart, funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset
	parts := []struct {
		name   string
		lo, hi uint64
	}{
		{"header", 0, u(3)},
		{"funcnametab (function names)", u(3), u(4)},
		{"cutab", u(4), u(5)},
		{"filetab (file names)", u(5), u(6)},
		{"pctab (pc-sp, pc-file, pc-line, stack map indexes)", u(6), u(7)},
		{"functab + _func records", u(7), s.Size},
	}
	fmt.Fprintf(w, "\n## pclntab by table (%d functions)\n", u(0))
	for _, p := range parts {
		n := 0
		for a := (s.Addr + p.lo) &^ (pageSize - 1); a < s.Addr+p.hi; a += pageSize {
			if _, ok := pg[a]; ok {
				n++
			}
		}
		fmt.Fprintf(w, "%-55s %8d KiB %10s resident\n", p.name, (p.hi-p.lo)/1024, kib(n))
	}
}

// printPackages shares each present page of the section among the symbols
// it overlaps, and sums them by package.
func printPackages(w io.Writer, s *elf.Section, syms []sym, pg map[uint64]page, top int) {
	if s.Name == ".gopclntab" {
		return
	}
	type acc struct{ size, res uint64 }
	by := map[string]*acc{}
	var total uint64
	for _, y := range syms {
		lo, hi := max(y.lo, s.Addr), min(y.hi, s.Addr+s.Size)
		if lo >= hi {
			continue
		}
		a := by[y.pkg]
		if a == nil {
			a = &acc{}
			by[y.pkg] = a
		}
		a.size += hi - lo
		for p := lo &^ (pageSize - 1); p < hi; p += pageSize {
			if _, ok := pg[p]; ok {
				r := min(hi, p+pageSize) - max(lo, p)
				a.res += r
				total += r
			}
		}
	}
	if total == 0 {
		return
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return by[keys[i]].res > by[keys[j]].res })
	fmt.Fprintf(w, "\n## %s by package (resident KiB of the package's bytes; %d KiB in all)\n", s.Name, total/1024)
	for i, k := range keys {
		if i == top || by[k].res == 0 {
			if rest := len(keys) - i; rest > 0 {
				var r uint64
				for _, k := range keys[i:] {
					r += by[k].res
				}
				fmt.Fprintf(w, "%8.1f KiB  (%d more packages)\n", float64(r)/1024, rest)
			}
			break
		}
		a := by[k]
		fmt.Fprintf(w, "%8.1f KiB of %8.1f KiB  %s\n", float64(a.res)/1024, float64(a.size)/1024, k)
	}
}

// printPages lists each present text page with the functions whose code
// lies on it.
func printPages(w io.Writer, secs []*elf.Section, syms []sym, pg map[uint64]page) {
	for _, s := range secs {
		if s.Name != ".text" {
			continue
		}
		fmt.Fprintln(w, "\n## present .text pages (address, folio pages, functions on the page)")
		j := 0
		for a := s.Addr &^ (pageSize - 1); a < s.Addr+s.Size; a += pageSize {
			p, ok := pg[a]
			if !ok {
				continue
			}
			for j < len(syms) && syms[j].hi <= a {
				j++
			}
			var names []string
			for k := j; k < len(syms) && syms[k].lo < a+pageSize; k++ {
				if syms[k].hi > a {
					names = append(names, syms[k].name)
				}
			}
			fmt.Fprintf(w, "%x %d %s\n", a, p.folio, strings.Join(names, " "))
		}
	}
}
