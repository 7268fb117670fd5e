package main

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// harness is the testnet.T of the program: a cleanup stack, temporary
// directories, and failure by panic (recovered in run) instead of
// runtime.Goexit. Once ctx is done, the next Helper call on the main
// goroutine unwinds the demo the same way, so an interrupt stops it at the
// next step of building or driving the lab.
type harness struct {
	ctx context.Context

	mu       sync.Mutex
	cleanups []func()
	draining bool
	tmp      string
}

// failure is what Fatalf and Skip panic with.
type failure struct{ msg string }

func (f failure) Error() string { return f.msg }

func newHarness(ctx context.Context) *harness { return &harness{ctx: ctx} }

func (h *harness) Helper() {
	h.mu.Lock()
	draining := h.draining
	h.mu.Unlock()
	if !draining && h.ctx.Err() != nil {
		panic(failure{"interrupted"})
	}
}

func (h *harness) Fatalf(format string, args ...any) {
	panic(failure{fmt.Sprintf(format, args...)})
}

func (h *harness) Skip(args ...any) { panic(failure{fmt.Sprint(args...)}) }

func (h *harness) Cleanup(fn func()) {
	h.mu.Lock()
	h.cleanups = append(h.cleanups, fn)
	h.mu.Unlock()
}

func (h *harness) TempDir() string {
	h.mu.Lock()
	if h.tmp == "" {
		h.mu.Unlock()
		dir, err := os.MkdirTemp("", "hbgo-demo-")
		if err != nil {
			h.Fatalf("temp dir: %v", err)
		}
		h.mu.Lock()
		h.tmp = dir
		h.cleanups = append(h.cleanups, func() { os.RemoveAll(dir) })
	}
	defer h.mu.Unlock()
	dir, err := os.MkdirTemp(h.tmp, "t")
	if err != nil {
		panic(failure{fmt.Sprintf("temp dir: %v", err)})
	}
	return dir
}

// drain runs the cleanup stack, newest first, including cleanups that
// cleanups register; a panicking cleanup is reported and the rest still run.
func (h *harness) drain(report func(string)) {
	h.mu.Lock()
	h.draining = true
	h.mu.Unlock()
	for {
		h.mu.Lock()
		n := len(h.cleanups)
		if n == 0 {
			h.mu.Unlock()
			return
		}
		fn := h.cleanups[n-1]
		h.cleanups = h.cleanups[:n-1]
		h.mu.Unlock()
		func() {
			defer func() {
				if r := recover(); r != nil {
					report(fmt.Sprint("cleanup: ", r))
				}
			}()
			fn()
		}()
	}
}

// guard runs fn and turns a harness panic into an error.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			err = f
		}
	}()
	return fn()
}
