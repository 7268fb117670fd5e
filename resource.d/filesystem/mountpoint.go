package filesystem

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"hbgo/resource.d/agent"
)

// systemDirs are the kernel and system mounts a haresources Filesystem may
// never mount over or unmount: stop unmounts everything below its mount
// point and signals every process using it.
var systemDirs = []string{"/proc", "/sys", "/dev", "/run", "/boot", "/usr", "/var", "/etc"}

// kernelTrees are the pseudo file systems whose whole tree is refused, not
// only their top: nothing of a shared disk belongs below them.
var kernelTrees = []string{"/proc", "/sys", "/dev"}

// mountPointHint is what to write instead of a refused mount point.
const mountPointHint = "mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"

// systemMount says why a cleaned absolute path may not be a mount point,
// or "" when it may.
func systemMount(dir string) string {
	if dir == "/" {
		return "it is the root file system"
	}
	for _, d := range systemDirs {
		if dir == d {
			return "it is a system mount"
		}
	}
	for _, d := range kernelTrees {
		if strings.HasPrefix(dir, d+"/") {
			return "it is inside the kernel's " + d
		}
	}
	return ""
}

// MountPointError is a mount point refused on this host: a symlink, or a
// path that resolves to / or a system mount.
type MountPointError struct {
	Dir      string // as configured
	Resolved string // after resolving symlinks in its parents; "" when not resolved
	What     string
}

func (e *MountPointError) Error() string {
	s := fmt.Sprintf("Filesystem: refusing mount point %s", e.Dir)
	if e.Resolved != "" && e.Resolved != e.Dir {
		s += " (" + e.Resolved + ")"
	}
	return s + ": " + e.What
}

// Hint is what to write instead.
func (e *MountPointError) Hint() string {
	if strings.Contains(e.What, "symbolic link") {
		return "name the directory the link points to, or mount somewhere else: " + mountPointHint
	}
	return mountPointHint
}

// ResolveMountPoint resolves the mount point once, as start, status and
// stop then use it: dir itself must not be a symbolic link (a link can be
// pointed at / between start and stop), and the resolved path must not be
// / or a system mount. A dir that does not exist yet is resolved through
// its nearest existing parent (start creates it).
//
// Stock's Filesystem RA canonicalises the mount point with readlink -f at
// every call and has no such refusal, so a link to / makes its stop
// unmount and kill everything (COMPAT §6.4).
func ResolveMountPoint(dir string) (string, error) {
	dir = filepath.Clean(dir)
	if why := systemMount(dir); why != "" {
		return "", &MountPointError{Dir: dir, What: why}
	}
	fi, err := os.Lstat(dir)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(dir)
		return "", &MountPointError{Dir: dir, What: fmt.Sprintf("it is a symbolic link (to %s)", target)}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("Filesystem: mount point %s: %w", dir, err)
	}
	// Resolve the nearest existing ancestor; what is below it does not
	// exist, so it holds no link.
	base, rest := dir, ""
	for {
		p, err := filepath.EvalSymlinks(base)
		if err == nil {
			resolved := filepath.Join(p, rest)
			if why := systemMount(resolved); why != "" {
				return "", &MountPointError{Dir: dir, Resolved: resolved, What: why}
			}
			return resolved, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || base == "/" {
			return "", fmt.Errorf("Filesystem: mount point %s: %w", dir, err)
		}
		rest = filepath.Join(filepath.Base(base), rest)
		base = filepath.Dir(base)
	}
}

// refusedDir is Parse's check of the configured path alone.
func refusedDir(dir string) error {
	if why := systemMount(dir); why != "" {
		return &agent.ArgError{Agent: "Filesystem", What: fmt.Sprintf("refusing mount point %s: %s", dir, why), Hint: mountPointHint}
	}
	return nil
}
