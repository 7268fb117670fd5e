// Package cfgfile reads a configuration file safely: regular files only, never blocking on a FIFO, and never more than a size cap.
package cfgfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// MaxSize is the cap for every configuration file hbgo reads (ha.cf,
// haresources, authkeys, hbgo.cf, nodeinfo): authkeys' historical 1 MiB.
// A real one is a few KiB.
const MaxSize = 1 << 20

// ErrNotRegular is returned for a FIFO, a device, a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned for a file over the size cap.
var ErrTooLarge = errors.New("larger than 1 MiB")

// Read returns the contents of path and its mode. It opens with O_NONBLOCK,
// so a FIFO cannot hang the caller, refuses anything but a regular file
// (a link to /dev/zero, a FIFO, a directory) with ErrNotRegular, and
// refuses a file over MaxSize with ErrTooLarge, without reading the rest.
// Symbolic links are followed, as admins link configuration files.
// Stock checks authkeys' mode bits only (COMPAT §2.4, §3), not a file's
// type or size: its reads share the weakness this guards against.
func Read(path string) ([]byte, fs.FileMode, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, st.Mode(), &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(st.Mode()))}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, st.Mode(), err
	}
	if len(b) > MaxSize {
		return nil, st.Mode(), &fs.PathError{Op: "read", Path: path, Err: ErrTooLarge}
	}
	return b, st.Mode(), nil
}

// Kind names a file type for messages: "a FIFO", "a device", ...
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a regular file"
}

// Hint is what to tell the admin for an error from Read, or "" when there
// is nothing specific to say.
func Hint(path string, err error) string {
	switch {
	case errors.Is(err, ErrNotRegular):
		return "make " + path + " a regular file (hbgo never reads configuration from a FIFO or a device)"
	case errors.Is(err, ErrTooLarge):
		return "check that " + path + " is the configuration file; a real one is a few KiB"
	}
	return ""
}
