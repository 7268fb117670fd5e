// Command hbgo-demo runs a two-node hbgo cluster in network namespaces on this machine, crashes node1 and prints node2's failover timeline.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"hbgo/internal/harness/testnet"
)

func main() {
	testnet.InitChild()
	os.Exit(run(os.Args[1:]))
}

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func run(args []string) int {
	fs := flag.NewFlagSet("hbgo-demo", flag.ContinueOnError)
	bin := fs.String("heartbeat", "", "hbgo binary to run on the nodes (default: go build ./cmd/heartbeat)")
	prefix := fs.String("prefix", "hbgodemo", "network namespace prefix")
	startup := fs.Duration("startup", 40*time.Second, "how long node1 may take to hold the group")
	failover := fs.Duration("failover", 15*time.Second, "how long node2 may take to serve the client after the crash")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "hbgo-demo: needs root (it creates network namespaces, a loop device and mounts); run: sudo make demo")
		return exitUsage
	}
	if *bin != "" {
		abs, err := filepath.Abs(*bin)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "hbgo-demo: -heartbeat: %v\n", err)
			return exitUsage
		}
		*bin = abs
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	interrupted := make(chan os.Signal, 1)
	go func() {
		s := <-sigs
		interrupted <- s
		fmt.Fprintf(os.Stderr, "\nhbgo-demo: %v: stopping and cleaning up…\n", s)
		stop()
		for s := range sigs {
			fmt.Fprintf(os.Stderr, "hbgo-demo: %v: still cleaning up, please wait\n", s)
		}
	}()

	h := newHarness(ctx)
	err := guard(func() error {
		_, err := Run(ctx, h, Config{Prefix: *prefix, Heartbeat: *bin, Out: os.Stdout, Startup: *startup, Failover: *failover})
		return err
	})
	fmt.Println("cleaning up: daemons, namespaces, mounts, loop device")
	h.drain(func(msg string) { fmt.Fprintln(os.Stderr, "hbgo-demo:", msg) })
	select {
	case s := <-interrupted:
		fmt.Fprintf(os.Stderr, "hbgo-demo: interrupted by %v; everything removed\n", s)
		return exitInterrupted
	default:
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hbgo-demo: FAILED: %v\n", err)
		return exitFailed
	}
	fmt.Println("done: node2 took over; everything removed")
	return exitOK
}
