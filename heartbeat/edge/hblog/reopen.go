package hblog

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// reopenCheckInterval is how often the path is re-stat'ed: cl_log checks when more than 59 s passed (glue cl_log.c maybe_reopen_log_files).
const reopenCheckInterval = 59 * time.Second

// ReopenWriter appends to a file and reopens it when logrotate renamed or removed it (COMPAT §8.1).
type ReopenWriter struct {
	path string
	now  func() time.Time

	rotated atomic.Bool // a queued Log's file goroutine reopened it: the notice is due

	mu        sync.Mutex
	f         *os.File
	ino       uint64
	lastCheck time.Time
}

// OpenReopenWriter opens path for appending (creating it 0644); now is the clock used to space the stat checks.
func OpenReopenWriter(path string, now func() time.Time) (*ReopenWriter, error) {
	w := &ReopenWriter{path: path, now: now}
	if err := w.open(); err != nil {
		return nil, err
	}
	w.lastCheck = now()
	return w, nil
}

func (w *ReopenWriter) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("hblog: open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("hblog: stat log file: %w", err)
	}
	w.f = f
	w.ino = inode(fi)
	return nil
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// Path returns the file name.
func (w *ReopenWriter) Path() string { return w.path }

// CheckRotated stats the path if more than 59 s passed since the last check and reopens it when its inode changed or it vanished; it reports whether it reopened.
func (w *ReopenWriter) CheckRotated() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		// An earlier open failed: retry, like cl_log on every message, but that is no rotation.
		return false, w.open()
	}
	now := w.now()
	if now.Sub(w.lastCheck) <= reopenCheckInterval {
		return false, nil
	}
	w.lastCheck = now
	fi, err := os.Stat(w.path)
	if err == nil && inode(fi) == w.ino {
		return false, nil
	}
	w.f.Close()
	w.f = nil
	if err := w.open(); err != nil {
		return true, err
	}
	return true, nil
}

// Write appends p, reopening first if an earlier open failed.
func (w *ReopenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		if err := w.open(); err != nil {
			return 0, err
		}
	}
	return w.f.Write(p)
}

// Close closes the file.
func (w *ReopenWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
