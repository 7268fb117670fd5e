// Package pidfile holds heartbeat's PID file: its exact format and the check that the PID it names is a live heartbeat.
package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DefaultPath is where Debian's heartbeat keeps its PID file (COMPAT §7.6).
const DefaultPath = "/var/run/heartbeat.pid"

// Format renders pid as stock does: right-aligned in 10 columns plus a
// newline ("      1091\n", COMPAT §7.6).
func Format(pid int) []byte { return []byte(fmt.Sprintf("%10d\n", pid)) }

// Parse reads a PID file's content (leading blanks allowed).
func Parse(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pidfile: bad content %q", s)
	}
	return pid, nil
}

// Write writes pid to path atomically (temp file + rename), mode 0644.
func Write(path string, pid int) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".heartbeat.pid.*")
	if err != nil {
		return fmt.Errorf("pidfile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(Format(pid)); err != nil {
		tmp.Close()
		return fmt.Errorf("pidfile: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("pidfile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("pidfile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("pidfile: %w", err)
	}
	return nil
}

// State is what a PID file says about the daemon.
type State int

const (
	// NoFile: no PID file (heartbeat -s: "heartbeat is stopped. No process", exit 3).
	NoFile State = iota
	// Stale: a PID file whose process is gone or is not heartbeat (exit 1).
	// Stock leaves the file behind on a clean stop, so this is normal.
	Stale
	// Running: the PID file names a live heartbeat process (exit 0).
	Running
)

// Check reads path and reports whether it names a running process whose
// executable has the same base name as exe (glue checks /proc/<pid>/exe the
// same way). procRoot is normally "/proc".
func Check(path, procRoot, exe string) (State, int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return NoFile, 0, nil
	}
	if err != nil {
		return NoFile, 0, fmt.Errorf("pidfile: %w", err)
	}
	pid, err := Parse(b)
	if err != nil {
		return Stale, 0, nil
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return Stale, pid, nil
	}
	target, err := os.Readlink(filepath.Join(procRoot, strconv.Itoa(pid), "exe"))
	if err != nil {
		return Stale, pid, nil
	}
	target = strings.TrimSuffix(target, " (deleted)")
	if exe != "" && filepath.Base(target) != filepath.Base(exe) {
		return Stale, pid, nil
	}
	return Running, pid, nil
}
