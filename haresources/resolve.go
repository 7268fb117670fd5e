package haresources

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Kind says what runs for a resource.
type Kind int

const (
	// Native is hbgo's built-in agent.
	Native Kind = iota + 1
	// Script is the resource.d or init.d script, run per COMPAT §4.4.
	Script
	// Missing means nothing can run: "Cannot locate resource script <name>".
	Missing
)

func (k Kind) String() string {
	switch k {
	case Native:
		return "native"
	case Script:
		return "script"
	case Missing:
		return "missing"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Force is an hbgo.cf override of the native-or-script choice for one script name.
type Force struct {
	Use   Kind   // Native or Script
	Where string // the setting's location, e.g. "/etc/hbgo.cf:3", quoted in Why
}

// Resolution is what will run for one resource, and why.
type Resolution struct {
	Kind Kind
	// Path is the script's clean path (e.g. /etc/ha.d/resource.d/IPaddr).
	// For Native it is the script stock would run, or DIR/resource.d/<name>
	// when there is none, for log lines; for Missing it is empty.
	Path string
	Why  string // one sentence for "heartbeat check", starting "native:", "script:" or "missing:"
}

// Resolver decides, per resource, between a native agent and a script
// (COMPAT §4.3, §12.1). All file access goes through its directory fields.
// A Resolver must not be copied after first use.
type Resolver struct {
	Dir         string           // heartbeat's directory, /etc/ha.d
	InitDir     string           // /etc/init.d
	DpkgInfoDir string           // /var/lib/dpkg/info (*.md5sums)
	DpkgStatus  string           // /var/lib/dpkg/status (Conffiles md5s, versions)
	Native      map[string]bool  // script names hbgo has a native agent for
	Force       map[string]Force // hbgo.cf overrides by script name

	once sync.Once
	pkgs map[string]packaged // absolute path → what dpkg installed there
}

// packaged is one file as dpkg recorded it.
type packaged struct {
	md5, pkg, version string
}

// Resolve says what will run for res: a native agent only when the script
// stock would run is absent or is the unmodified packaged one, unless forced.
func (r *Resolver) Resolve(res Resource) Resolution {
	name := res.Name
	if name == "" || strings.ContainsRune(name, '/') || name == "." || name == ".." {
		return Resolution{Kind: Missing, Why: fmt.Sprintf("missing: Cannot locate resource script %s (not a plain script name)", name)}
	}
	rdPath := filepath.Join(r.Dir, "resource.d", name)
	initPath := filepath.Join(r.InitDir, name)
	script := ""
	for _, p := range []string{rdPath, initPath} {
		if executableFile(p) {
			script = p
			break
		}
	}
	lookedIn := fmt.Sprintf("no executable %s or %s", rdPath, initPath)
	native := r.Native[name]

	if f, ok := r.Force[name]; ok {
		switch {
		case f.Use == Native && native:
			p := script
			if p == "" {
				p = rdPath
			}
			return Resolution{Kind: Native, Path: p, Why: "native: forced by " + f.Where}
		case f.Use == Script && script != "":
			return Resolution{Kind: Script, Path: script, Why: fmt.Sprintf("script: %s, forced by %s", script, f.Where)}
		case f.Use == Script:
			return Resolution{Kind: Missing, Why: fmt.Sprintf("missing: Cannot locate resource script %s (forced to the script by %s, but %s)", name, f.Where, lookedIn)}
		}
	}
	if !native {
		ignored := ""
		if f, ok := r.Force[name]; ok && f.Use == Native {
			ignored = fmt.Sprintf("; %s forces native, but hbgo has no native %s", f.Where, name)
		}
		if script == "" {
			return Resolution{Kind: Missing, Why: fmt.Sprintf("missing: Cannot locate resource script %s (%s%s)", name, lookedIn, ignored)}
		}
		return Resolution{Kind: Script, Path: script, Why: fmt.Sprintf("script: %s (no native agent for %s%s)", script, name, ignored)}
	}
	if script == "" {
		return Resolution{Kind: Native, Path: rdPath, Why: fmt.Sprintf("native: no script for %s (%s)", name, lookedIn)}
	}
	return r.nativeOrScript(script)
}

// stockWrappers are the md5s of the resource.d wrappers Debian's heartbeat
// 1:3.0.6 (bookworm) ships for the agents hbgo has natively, as its
// Conffiles record them. They are used only where dpkg has no record of the
// file at all: the wrappers are conffiles, so they stay on disk when
// heartbeat is replaced by hbgo's package or removed, and then dpkg may
// no longer list them once heartbeat's config-files entry is gone (purged
// elsewhere and restored, copied from another node, a non-dpkg host).
// An edited wrapper matches neither and still runs as the admin's script.
var stockWrappers = map[string]string{
	"Delay":      "8d016e89b8577bc07ed05f681afdeaaa",
	"Filesystem": "a338211d0ca1550dbbe927f83b2d3697",
	"IPaddr":     "a7688c675b28921a25fa3c0fbb223a55",
	"IPaddr2":    "e89a056cc5db0d0e10a387dd4259fbd7",
	"SendArp":    "2954795a70cf8196bd018fa9bc7e5e0a",
}

// nativeOrScript compares an existing script with dpkg's record of it, or
// without one with stock's known wrappers.
func (r *Resolver) nativeOrScript(script string) Resolution {
	sum, err := fileMD5(script)
	if err != nil {
		return Resolution{Kind: Script, Path: script, Why: fmt.Sprintf("script: %s could not be compared with the packaged one (%v)", script, err)}
	}
	r.once.Do(r.loadPackages)
	p, ok := r.pkgs[script]
	if !ok { // e.g. Dir given as /etc/heartbeat, the Debian symlink to /etc/ha.d
		if real, err := filepath.EvalSymlinks(script); err == nil {
			p, ok = r.pkgs[real]
		}
	}
	if !ok && filepath.Dir(script) == filepath.Join(r.Dir, "resource.d") && stockWrappers[filepath.Base(script)] == sum {
		return Resolution{Kind: Native, Path: script, Why: fmt.Sprintf("native: %s is the unmodified heartbeat 3.0.6 script (no dpkg record; md5 %s as Debian's heartbeat ships it)", script, sum)}
	}
	switch {
	case !ok:
		return Resolution{Kind: Script, Path: script, Why: fmt.Sprintf("script: %s is not from an installed package, so it is taken as the admin's own", script)}
	case p.md5 != sum:
		return Resolution{Kind: Script, Path: script, Why: fmt.Sprintf("script: %s differs from the packaged one (md5 %s, %s %s ships %s)", script, sum, p.pkg, p.version, p.md5)}
	}
	return Resolution{Kind: Native, Path: script, Why: fmt.Sprintf("native: %s is the unmodified %s %s script", script, p.pkg, p.version)}
}

// Unmodified reports whether path is a file an installed package shipped,
// unchanged (its md5 matches dpkg's record), and which package it is.
// Only resource.d, rc.d and init.d files are indexed.
func (r *Resolver) Unmodified(path string) (pkg string, ok bool) {
	sum, err := fileMD5(path)
	if err != nil {
		return "", false
	}
	r.once.Do(r.loadPackages)
	p, found := r.pkgs[path]
	if !found {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			p, found = r.pkgs[real]
		}
	}
	if !found || p.md5 != sum {
		return "", false
	}
	return p.pkg + " " + p.version, true
}

// executableFile is the shell's [ -f p -a -x p ] as root: a regular file
// (after symlinks) with some execute bit.
func executableFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func fileMD5(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadPackages indexes dpkg's md5s: conffiles from the status file (resource.d
// scripts are conffiles of heartbeat) and other files from info/*.md5sums.
// Unreadable files leave the index partial: scripts then count as the admin's.
func (r *Resolver) loadPackages() {
	r.pkgs = map[string]packaged{}
	versions := map[string]string{}
	// Only the files a resource can resolve to are kept: the whole dpkg
	// database would cost the daemon tens of MB for its lifetime.
	var prefixes []string
	for _, d := range []string{filepath.Join(r.Dir, "resource.d"), filepath.Join(r.Dir, "rc.d"), r.InitDir} {
		if d == "" {
			continue
		}
		prefixes = append(prefixes, filepath.Clean(d)+"/")
		if real, err := filepath.EvalSymlinks(d); err == nil {
			prefixes = append(prefixes, filepath.Clean(real)+"/")
		}
	}
	keep := func(p string) bool {
		for _, pre := range prefixes {
			if strings.HasPrefix(p, pre) {
				return true
			}
		}
		return false
	}
	if f, err := os.Open(r.DpkgStatus); err == nil {
		parseDpkgStatus(f, versions, r.pkgs, keep)
		f.Close()
	}
	if r.DpkgInfoDir == "" {
		return
	}
	sums, _ := filepath.Glob(filepath.Join(r.DpkgInfoDir, "*.md5sums"))
	for _, s := range sums {
		pkg := strings.TrimSuffix(filepath.Base(s), ".md5sums")
		pkg, _, _ = strings.Cut(pkg, ":") // multi-arch: pkg:amd64.md5sums
		f, err := os.Open(s)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			sum, path, ok := strings.Cut(sc.Text(), "  ")
			if !ok {
				continue
			}
			abs := "/" + strings.TrimPrefix(path, "/")
			if !keep(abs) {
				continue
			}
			if _, seen := r.pkgs[abs]; !seen {
				r.pkgs[abs] = packaged{md5: sum, pkg: pkg, version: versions[pkg]}
			}
		}
		f.Close()
	}
}

// parseDpkgStatus reads package versions and Conffiles md5s from dpkg's status file.
func parseDpkgStatus(rd io.Reader, versions map[string]string, files map[string]packaged, keep func(string) bool) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var pkg, version string
	var conf [][2]string
	inConf := false
	flush := func() {
		if pkg != "" {
			versions[pkg] = version
			for _, c := range conf {
				if keep(c[0]) {
					files[c[0]] = packaged{md5: c[1], pkg: pkg, version: version}
				}
			}
		}
		pkg, version, conf, inConf = "", "", nil, false
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, " ") && inConf:
			// " /etc/ha.d/resource.d/IPaddr a7688c… [obsolete]"
			f := strings.Fields(line)
			if len(f) >= 2 && strings.HasPrefix(f[0], "/") {
				conf = append(conf, [2]string{f[0], f[1]})
			}
		case strings.HasPrefix(line, " "):
		default:
			inConf = false
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimSpace(v)
			switch k {
			case "Package":
				pkg = v
			case "Version":
				version = v
			case "Conffiles":
				inConf = true
			}
		}
	}
	flush()
}
