package filesystem

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// User is a process holding a file system busy.
type User struct {
	PID  int
	Comm string
}

// Users lists the processes using the file system mounted on point, as
// `fuser -m` does: any open fd, cwd, root, executable or mapped file on the
// same device. The calling process is left out.
func (a *Agent) Users(point string) ([]User, error) {
	ms, err := a.mounts()
	if err != nil {
		return nil, err
	}
	m := MountedAt(ms, point)
	if m == nil {
		return nil, nil
	}
	proc := a.Proc
	if proc == "" {
		proc = "/proc"
	}
	return ScanUsers(proc, m.Major, m.Minor, os.Getpid())
}

// ScanUsers scans a proc tree for processes using device major:minor.
func ScanUsers(proc string, major, minor int, self int) ([]User, error) {
	ents, err := os.ReadDir(proc)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", proc, err)
	}
	dev := unix.Mkdev(uint32(major), uint32(minor))
	on := func(p string) bool {
		var st unix.Stat_t
		return unix.Stat(p, &st) == nil && st.Dev == dev
	}
	var out []User
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		dir := filepath.Join(proc, e.Name())
		if usesDev(dir, on, major, minor) {
			comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
			out = append(out, User{PID: pid, Comm: strings.TrimSpace(string(comm))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

func usesDev(dir string, on func(string) bool, major, minor int) bool {
	for _, l := range []string{"cwd", "root", "exe"} {
		if on(filepath.Join(dir, l)) {
			return true
		}
	}
	fds, _ := os.ReadDir(filepath.Join(dir, "fd"))
	for _, fd := range fds {
		if on(filepath.Join(dir, "fd", fd.Name())) {
			return true
		}
	}
	f, err := os.Open(filepath.Join(dir, "maps"))
	if err != nil {
		return false
	}
	defer f.Close()
	want := fmt.Sprintf("%02x:%02x", major, minor)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// address perms offset dev inode path
		fs := strings.Fields(sc.Text())
		if len(fs) >= 6 && fs[3] == want && fs[4] != "0" {
			return true
		}
	}
	return false
}
