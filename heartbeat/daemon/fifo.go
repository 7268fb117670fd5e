package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/hblog"
)

// fifoMsg is one classic message read from the FIFO.
type fifoMsg struct {
	m   *wire.Message
	err error
}

// maxFIFOMsg bounds one FIFO message; stock's lines are ≤ 511 bytes.
const maxFIFOMsg = 64 << 10

// startFIFO creates /var/lib/heartbeat/fifo (mode 0600) and reads classic
// messages from it, so stock's hb_standby, hb_takeover, mach_down and admins'
// ha_clustermsg calls keep working against hbgo (COMPAT §5.10).
func (n *node) startFIFO(ctx context.Context) error {
	path := filepath.Join(n.o.StateDir, "fifo")
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&os.ModeNamedPipe == 0 {
		os.Remove(path)
		err = os.ErrNotExist
	}
	if errors.Is(err, os.ErrNotExist) {
		n.log.Infof("Creating FIFO %s.", path)
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			return fmt.Errorf("fifo %s: %w", path, err)
		}
	}
	// O_RDWR keeps a writer open ourselves, so the reader never sees EOF
	// between clients. O_NOFOLLOW and the checks on the open file, not on
	// the path: whoever else can write in the state directory cannot make
	// us open, or chmod, something else in the FIFO's place.
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fifo %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		unix.Close(fd)
		return fmt.Errorf("fifo %s: not a FIFO; remove it and start again", path)
	}
	if st.Mode&0o7777 != 0o600 {
		_ = unix.Fchmod(fd, 0o600) // COMPAT §5.10: mode 0600
	}
	f := os.NewFile(uintptr(fd), path)
	n.closers = append(n.closers, func() { f.Close() })
	go readFIFO(f, n.fifo)
	return nil
}

// readFIFO splits the byte stream into ">>>" … "<<<" messages. A line or
// message over maxFIFOMsg is reported and skipped, and reading goes on:
// with bufio.Scanner, one long line (any local root script) ended the
// reader and the FIFO was dead until restart.
func readFIFO(r io.Reader, out chan<- fifoMsg) {
	br := bufio.NewReaderSize(r, 4096)
	var buf strings.Builder
	in := false
	for {
		line, long, err := readLine(br)
		if err != nil {
			return
		}
		if long {
			if in {
				in = false
				out <- fifoMsg{err: errors.New("line longer than 64 KiB; message skipped")}
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, ">>>"):
			buf.Reset()
			buf.WriteString(">>>\n")
			in = true
		case in && strings.HasPrefix(line, "<<<"):
			buf.WriteString("<<<\n")
			in = false
			m, _, err := wire.Parse([]byte(buf.String()))
			out <- fifoMsg{m: m, err: err}
		case in:
			if buf.Len()+len(line) > maxFIFOMsg {
				in = false
				out <- fifoMsg{err: errors.New("message too long")}
				continue
			}
			buf.WriteString(line)
			buf.WriteString("\n")
		}
	}
}

// readLine returns the next line without its newline; a line over
// maxFIFOMsg is read to its end and dropped (long is set, line empty).
func readLine(br *bufio.Reader) (line string, long bool, err error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			if len(b)+len(chunk) > maxFIFOMsg+1 {
				long, b = true, nil
			} else {
				b = append(b, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil && (len(b) == 0 || long):
			return "", long, err
		}
		return strings.TrimSuffix(string(b), "\n"), long, nil
	}
}

// onFIFO sends a message a local script injected. Requests the planner
// handles itself (standby, takeover) are turned into its events, as stock's
// daemon hands them to its resource code through the same path.
func (n *node) onFIFO(f fifoMsg) {
	if f.err != nil || f.m == nil {
		n.ing.limited("fifo", hblog.Error, fmt.Sprintf("hbgo: bad message on the FIFO dropped: %v", f.err))
		return
	}
	n.inject(f.m)
}

// inject originates a locally requested cluster message (node.Inject).
func (n *node) inject(m *wire.Message) {
	n.step(hbnode.Inject{Msg: m, At: n.now()})
}
