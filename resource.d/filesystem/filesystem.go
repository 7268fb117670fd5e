// Package filesystem is the native Filesystem agent: mount(2) and umount(2) of a shared disk, with the Filesystem RA's checks, fsck and busy-mount cleanup.
package filesystem

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"hbgo/resource.d/agent"
)

// Spec is a parsed `Filesystem::device::directory[::fstype[::options]]`.
type Spec struct {
	Device  string // as written: /dev/…, LABEL=…, UUID=…, -L…, -U…, host:/path, //srv/share
	Dir     string // mount point, cleaned
	FSType  string // "" = detect
	Options string // mount -o options
}

// Parse checks Filesystem's arguments (COMPAT §6.4).
func Parse(args []string) (Spec, error) {
	hint := "write Filesystem::<device>::<directory>[::<fstype>[::<options>]], e.g. Filesystem::/dev/drbd0::/data::ext4"
	bad := func(format string, a ...any) error {
		return &agent.ArgError{Agent: "Filesystem", What: fmt.Sprintf(format, a...), Hint: hint}
	}
	if len(args) < 2 || len(args) > 4 {
		return Spec{}, bad("takes 2 to 4 arguments, got %d", len(args))
	}
	s := Spec{Device: args[0], Dir: args[1]}
	if len(args) > 2 {
		s.FSType = args[2]
	}
	if len(args) > 3 {
		s.Options = args[3]
	}
	if s.Device == "" {
		return Spec{}, bad("the device is empty")
	}
	if !filepath.IsAbs(s.Dir) {
		return Spec{}, bad("mount point %q is not an absolute path", s.Dir)
	}
	s.Dir = filepath.Clean(s.Dir)
	if err := refusedDir(s.Dir); err != nil {
		return Spec{}, err
	}
	if strings.ContainsAny(s.FSType, " /") {
		return Spec{}, bad("file system type %q is not a type name", s.FSType)
	}
	return s, nil
}

// noFsck lists the types the Filesystem RA never checks (journalled or
// network file systems, COMPAT §6.4); everything else, ext2 and an unknown
// type included, gets `fsck -p` first when the device is a block device.
var noFsck = map[string]bool{
	"ext3": true, "ext4": true, "ext4dev": true, "xfs": true, "jfs": true, "reiserfs": true, "reiser4": true,
	"vfat": true, "fat": true, "nfs": true, "nfs4": true, "cifs": true, "smbfs": true, "ocfs2": true,
	"gfs2": true, "tmpfs": true, "none": true, "lustre": true, "glusterfs": true, "btrfs": true, "ceph": true,
}

// NeedsFsck says whether start runs fsck for this spec.
func (s Spec) NeedsFsck() bool { return !s.Network() && !noFsck[s.FSType] }

// Network says whether the device is an NFS or CIFS share, mounted by mount(8).
func (s Spec) Network() bool {
	switch s.FSType {
	case "nfs", "nfs4", "cifs", "smbfs", "glusterfs", "ceph":
		return true
	}
	return strings.HasPrefix(s.Device, "//") || (strings.Contains(s.Device, ":/") && !strings.HasPrefix(s.Device, "/"))
}

// Attempts and pause of the stop cleanup: 20 s in haresources mode, first
// half TERM, second half KILL (COMPAT §6.4).
const (
	StopAttempts = 20
	StopPause    = time.Second
)

// Agent is one Filesystem resource.
type Agent struct {
	Spec      Spec
	Log       agent.Logger
	Run       agent.Runner
	Sleep     func(ctx context.Context, d time.Duration) error
	Mountinfo string // default /proc/self/mountinfo
	Proc      string // default /proc, scanned for processes using the mount
	DiskDir   string // default /dev/disk (by-label, by-uuid)
	Fsck      string // default fsck
	MountCmd  string // default mount, for network file systems only
}

// New builds the agent from haresources arguments.
func New(args []string, deps agent.Deps) (*Agent, error) {
	s, err := Parse(args)
	if err != nil {
		return nil, err
	}
	return &Agent{Spec: s, Log: deps.Log, Run: deps.Run(), Sleep: deps.Sleeper()}, nil
}

func (a *Agent) tag() string {
	return "Filesystem(Filesystem_" + a.Spec.Device + ")"
}

func (a *Agent) logf(format string, args ...any) { agent.Logf(a.Log, a.tag(), format, args...) }

func (a *Agent) mounts() ([]Mount, error) {
	p := a.Mountinfo
	if p == "" {
		p = "/proc/self/mountinfo"
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseMountinfo(f, p)
}

// point returns the mount point as the kernel names it, resolved once per
// operation (ResolveMountPoint): a symbolic link, / or a system mount is
// refused and logged.
func (a *Agent) point() (string, error) {
	p, err := ResolveMountPoint(a.Spec.Dir)
	if err != nil {
		a.logf("ERROR: %v", err)
	}
	return p, err
}

// Status reports whether the mount point is mounted.
func (a *Agent) Status(ctx context.Context) (agent.Status, error) {
	ms, err := a.mounts()
	if err != nil {
		return agent.Status{Text: agent.TextStopped}, err
	}
	pt, err := a.point()
	if err != nil {
		return agent.Status{Text: agent.TextStopped}, err
	}
	if MountedAt(ms, pt) != nil {
		return agent.Status{Running: true, Text: agent.TextRunning}, nil
	}
	return agent.Status{Text: agent.TextStopped}, nil
}

// Device resolves LABEL=/UUID=/-L/-U forms to a device path through
// /dev/disk/by-label|by-uuid, falling back to blkid; others are returned as is.
func (a *Agent) Device(ctx context.Context) (string, error) {
	d := a.Spec.Device
	var kind, val, flag string
	switch {
	case strings.HasPrefix(d, "LABEL="):
		kind, val, flag = "by-label", d[6:], "-L"
	case strings.HasPrefix(d, "-L"):
		kind, val, flag = "by-label", d[2:], "-L"
	case strings.HasPrefix(d, "UUID="):
		kind, val, flag = "by-uuid", d[5:], "-U"
	case strings.HasPrefix(d, "-U"):
		kind, val, flag = "by-uuid", d[2:], "-U"
	default:
		return d, nil
	}
	dir := a.DiskDir
	if dir == "" {
		dir = "/dev/disk"
	}
	if p, err := filepath.EvalSymlinks(filepath.Join(dir, kind, val)); err == nil {
		return p, nil
	}
	out, code, err := a.Run.Run(ctx, "blkid", flag, val)
	if err != nil || code != 0 || strings.TrimSpace(out) == "" {
		return "", fmt.Errorf("Filesystem: cannot find the device for %s (blkid %s %s: code %d, %v)", d, flag, val, code, err)
	}
	return strings.TrimSpace(out), nil
}

// Start mounts the file system (a no-op when already mounted).
func (a *Agent) Start(ctx context.Context) error {
	s := a.Spec
	a.logf("INFO: Running start for %s on %s", s.Device, s.Dir)
	ms, err := a.mounts()
	if err != nil {
		return err
	}
	pt, err := a.point()
	if err != nil {
		return err
	}
	if len(Below(ms, pt)) > 0 {
		a.logf("ERROR: There is one or more mounts mounted under %s.", s.Dir)
		return fmt.Errorf("Filesystem: something is mounted below %s", s.Dir)
	}
	if MountedAt(ms, pt) != nil {
		return nil
	}
	if s.Network() {
		return a.mountCmd(ctx, pt)
	}
	dev, err := a.Device(ctx)
	if err != nil {
		a.logf("ERROR: %v", err)
		return err
	}
	if fi, err := os.Stat(dev); err != nil || fi.Mode()&os.ModeDevice == 0 {
		a.logf("ERROR: Couldn't find device [%s]. Expected /dev/??? to exist", dev)
		return fmt.Errorf("Filesystem: %s is not a device", dev)
	}
	if s.NeedsFsck() {
		if err := a.fsck(ctx, dev); err != nil {
			return err
		}
	}
	if err := a.mkdir(pt); err != nil {
		return err
	}
	fstype := s.FSType
	if fstype == "" {
		if fstype, err = a.detect(ctx, dev); err != nil {
			a.logf("ERROR: Couldn't mount filesystem %s on %s", s.Device, s.Dir)
			return err
		}
	}
	flags, data := MountFlags(s.Options)
	if err := unix.Mount(dev, pt, fstype, flags, data); err != nil {
		a.logf("ERROR: Couldn't mount filesystem %s on %s", s.Device, s.Dir)
		return fmt.Errorf("Filesystem: mount %s on %s (%s): %w", dev, pt, fstype, err)
	}
	a.logf("%s", agent.Mounted(dev, s.Dir, fstype, "mount(2)"))
	return nil
}

// mkdir creates the resolved mount point, then checks that no symbolic
// link took its place meanwhile (mount(2) would follow it).
func (a *Agent) mkdir(pt string) error {
	if err := os.MkdirAll(pt, 0o755); err != nil {
		return fmt.Errorf("Filesystem: create mount point: %w", err)
	}
	if fi, err := os.Lstat(pt); err != nil || !fi.IsDir() {
		a.logf("ERROR: mount point %s is no longer a directory", pt)
		return fmt.Errorf("Filesystem: mount point %s is not a directory", pt)
	}
	return nil
}

func (a *Agent) fsck(ctx context.Context, dev string) error {
	a.logf("INFO: Starting filesystem check on %s", dev)
	args := []string{"-p"}
	if a.Spec.FSType != "" {
		args = []string{"-t", a.Spec.FSType, "-p"}
	}
	cmd := a.Fsck
	if cmd == "" {
		cmd = "fsck"
	}
	_, code, err := a.Run.Run(ctx, cmd, append(args, dev)...)
	if err != nil || code >= 4 {
		a.logf("ERROR: Couldn't successfully fsck filesystem for %s", a.Spec.Device)
		return fmt.Errorf("Filesystem: fsck %s: code %d, %v", dev, code, err)
	}
	return nil
}

// detect finds the type of dev with blkid, as mount(8) would probe it.
func (a *Agent) detect(ctx context.Context, dev string) (string, error) {
	out, code, err := a.Run.Run(ctx, "blkid", "-o", "value", "-s", "TYPE", dev)
	t := strings.TrimSpace(out)
	if err != nil || code != 0 || t == "" {
		return "", fmt.Errorf("Filesystem: cannot tell the file system type of %s; give it as the third argument", dev)
	}
	return t, nil
}

func (a *Agent) mountCmd(ctx context.Context, pt string) error {
	s := a.Spec
	if err := a.mkdir(pt); err != nil {
		return err
	}
	var args []string
	if s.FSType != "" {
		args = append(args, "-t", s.FSType)
	}
	if s.Options != "" {
		args = append(args, "-o", s.Options)
	}
	cmd := a.MountCmd
	if cmd == "" {
		cmd = "mount"
	}
	_, code, err := a.Run.Run(ctx, cmd, append(args, s.Device, pt)...)
	if err != nil || code != 0 {
		a.logf("ERROR: Couldn't mount filesystem %s on %s", s.Device, s.Dir)
		return fmt.Errorf("Filesystem: mount %s %s: code %d, %v", s.Device, s.Dir, code, err)
	}
	fstype := s.FSType
	if fstype == "" {
		fstype = "auto"
	}
	a.logf("%s", agent.Mounted(s.Device, s.Dir, fstype, "mount(8)"))
	return nil
}

var flagTable = map[string]struct {
	set   bool
	value uintptr
}{
	"ro": {true, unix.MS_RDONLY}, "rw": {false, unix.MS_RDONLY},
	"nosuid": {true, unix.MS_NOSUID}, "suid": {false, unix.MS_NOSUID},
	"nodev": {true, unix.MS_NODEV}, "dev": {false, unix.MS_NODEV},
	"noexec": {true, unix.MS_NOEXEC}, "exec": {false, unix.MS_NOEXEC},
	"sync": {true, unix.MS_SYNCHRONOUS}, "async": {false, unix.MS_SYNCHRONOUS},
	"noatime": {true, unix.MS_NOATIME}, "atime": {false, unix.MS_NOATIME},
	"nodiratime": {true, unix.MS_NODIRATIME}, "diratime": {false, unix.MS_NODIRATIME},
	"relatime": {true, unix.MS_RELATIME}, "norelatime": {false, unix.MS_RELATIME},
	"strictatime": {true, unix.MS_STRICTATIME}, "dirsync": {true, unix.MS_DIRSYNC},
	"mand": {true, unix.MS_MANDLOCK}, "nomand": {false, unix.MS_MANDLOCK},
	"lazytime": {true, unix.MS_LAZYTIME}, "nolazytime": {false, unix.MS_LAZYTIME},
	"defaults": {false, 0}, "auto": {false, 0}, "noauto": {false, 0}, "nofail": {false, 0},
	"user": {false, 0}, "nouser": {false, 0}, "users": {false, 0}, "_netdev": {false, 0},
}

// MountFlags splits mount(8) options into mount(2) flags and the data string
// the file system itself parses.
func MountFlags(options string) (uintptr, string) {
	var flags uintptr
	var data []string
	for _, o := range strings.Split(options, ",") {
		if o == "" {
			continue
		}
		if f, ok := flagTable[o]; ok {
			if f.set {
				flags |= f.value
			} else {
				flags &^= f.value
			}
			continue
		}
		data = append(data, o)
	}
	return flags, strings.Join(data, ",")
}

// Stop unmounts everything below the mount point, then the mount point,
// cleaning up busy processes with TERM then KILL (COMPAT §6.4).
func (a *Agent) Stop(ctx context.Context) error {
	s := a.Spec
	a.logf("INFO: Running stop for %s on %s", s.Device, s.Dir)
	ms, err := a.mounts()
	if err != nil {
		return err
	}
	pt, err := a.point()
	if err != nil {
		return err
	}
	points := Below(ms, pt)
	if MountedAt(ms, pt) != nil {
		points = append(points, pt)
	}
	for _, p := range points {
		if err := a.unmount(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (a *Agent) unmount(ctx context.Context, point string) error {
	// UMOUNT_NOFOLLOW: a symbolic link put in place of the resolved path
	// after it was resolved is not followed.
	flags := unix.UMOUNT_NOFOLLOW
	if a.Spec.Network() {
		flags |= unix.MNT_FORCE
	}
	// Logged once per mount point, not per attempt (testdata/stock/ha-log).
	a.logf("INFO: Trying to unmount %s", point)
	for i := range StopAttempts {
		err := unix.Unmount(point, flags)
		if err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			// EINVAL: not (or no longer) a mount point.
			a.logf("INFO: unmounted %s successfully", point)
			return nil
		}
		sig, name := syscall.SIGTERM, "TERM"
		if i >= StopAttempts/2 {
			sig, name = syscall.SIGKILL, "KILL"
		}
		a.logf("ERROR: Couldn't unmount %s; trying cleanup with %s", point, name)
		users, uerr := a.Users(point)
		if uerr != nil {
			a.logf("ERROR: %v", uerr)
		}
		proc := a.Proc
		if proc == "" {
			proc = "/proc"
		}
		boot := bootTime(proc)
		for _, u := range users {
			line, err := PsLine(proc, u.PID, time.Now(), boot)
			if err != nil {
				line = fmt.Sprintf("%d %s", u.PID, u.Comm)
			}
			a.logf("INFO: sending signal %s to: %s", name, line)
			syscall.Kill(u.PID, sig)
		}
		if i == StopAttempts-1 {
			break
		}
		if err := a.Sleep(ctx, StopPause); err != nil {
			return err
		}
	}
	a.logf("ERROR: Couldn't unmount %s, giving up!", point)
	return fmt.Errorf("Filesystem: could not unmount %s after %d attempts", point, StopAttempts)
}
