package daemon

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// newLoadavg returns the ld field's provider: /proc/loadavg without its
// newline, "n/a" if unreadable (PROTOCOL §5). It is read on every status we
// send, so the file stays open and is re-read with one raw pread: opening it
// each time cost five system calls, each of which woke the Go runtime's
// sysmon thread (bench/results/idle-2026-11-23.md).
func newLoadavg() func(dst []byte) []byte {
	fd, err := unix.Open("/proc/loadavg", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	var buf [128]byte
	return func(dst []byte) []byte {
		if err != nil {
			return append(dst, "n/a"...)
		}
		n, _, errno := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
		if errno != 0 || n == 0 {
			return append(dst, "n/a"...)
		}
		return append(dst, bytes.TrimSpace(buf[:n])...)
	}
}
