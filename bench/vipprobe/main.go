// Command vipprobe is the client, the service and the address watcher of the monitor bench (bench/monitor.sh): it times a client's outage on a VIP.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

func usage() {
	fmt.Fprint(os.Stderr, `usage: vipprobe COMMAND [flags]
  serve -addr :PORT -ready FILE    accept TCP connections, answer "ok", close; FILE gets a
                                   stamped LISTEN line once the socket listens
  probe -addr IP:PORT [-interval 2ms] [-timeout 100ms] [-for 60s]
                                   start one connect every interval, each in its own
                                   goroutine; print "START ok|fail" per attempt (stamps
                                   of the attempt's start) when stopped (SIGTERM) or done
  addrwatch -ip IP                 netlink address events of this netns for IP, one
                                   stamped "NEW|DEL IP/LEN LINKINDEX" line each
  outage -from STAMP FILE          from a probe's output: the first failed attempt after
                                   STAMP, the first good one after it, and the outage
Stamps are wall-clock SECONDS.MICROSECONDS.
`)
	os.Exit(2)
}

func stamp(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "probe":
		err = probe(os.Args[2:])
	case "addrwatch":
		err = addrwatch(os.Args[2:])
	case "outage":
		err = outage(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vipprobe %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// serve is the bench's service: what a client must reach on the VIP.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "listen address")
	ready := fs.String("ready", "", "file that gets a stamped LISTEN line once listening")
	fs.Parse(args)
	ln, err := net.Listen("tcp4", *addr)
	if err != nil {
		return err
	}
	if *ready != "" {
		f, err := os.OpenFile(*ready, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintf(f, "%s LISTEN %d\n", stamp(time.Now()), os.Getpid())
		f.Close()
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		c.Write([]byte("ok\n"))
		c.Close()
	}
}

type attempt struct {
	start time.Time
	ok    bool
}

// probe is the client: a new connection every interval, so that an outage
// is seen with the interval's resolution whatever the kernel's SYN
// retransmission timers do to one connection.
func probe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	addr := fs.String("addr", "", "IP:PORT to connect to")
	interval := fs.Duration("interval", 2*time.Millisecond, "time between connection attempts")
	timeout := fs.Duration("timeout", 100*time.Millisecond, "an attempt not answered by then failed")
	dur := fs.Duration("for", 60*time.Second, "stop after this long")
	fs.Parse(args)
	if *addr == "" {
		return fmt.Errorf("-addr is required")
	}
	var mu sync.Mutex
	var res []attempt
	var wg sync.WaitGroup
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(*interval)
	end := time.After(*dur)
loop:
	for {
		select {
		case <-stop:
			break loop
		case <-end:
			break loop
		case <-tick.C:
			wg.Add(1)
			go func(t0 time.Time) {
				defer wg.Done()
				ok := false
				c, err := net.DialTimeout("tcp4", *addr, *timeout)
				if err == nil {
					c.SetReadDeadline(t0.Add(*timeout))
					b := make([]byte, 3)
					n, _ := c.Read(b)
					ok = n > 0
					c.Close()
				}
				mu.Lock()
				res = append(res, attempt{t0, ok})
				mu.Unlock()
			}(time.Now())
		}
	}
	tick.Stop()
	wg.Wait()
	sort.Slice(res, func(i, j int) bool { return res[i].start.Before(res[j].start) })
	w := bufio.NewWriter(os.Stdout)
	for _, a := range res {
		r := "fail"
		if a.ok {
			r = "ok"
		}
		fmt.Fprintf(w, "%s %s\n", stamp(a.start), r)
	}
	return w.Flush()
}

// addrwatch stamps the kernel's address events for one IP as they are read.
func addrwatch(args []string) error {
	fs := flag.NewFlagSet("addrwatch", flag.ExitOnError)
	ip := fs.String("ip", "", "the address to report")
	fs.Parse(args)
	want := net.ParseIP(*ip)
	if want == nil {
		return fmt.Errorf("-ip %q is not an IP address", *ip)
	}
	ch := make(chan netlink.AddrUpdate, 256)
	done := make(chan struct{})
	if err := netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{ReceiveBufferSize: 1 << 20}); err != nil {
		return err
	}
	fmt.Printf("%s READY\n", stamp(time.Now()))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	for {
		select {
		case <-stop:
			close(done)
			return nil
		case u, ok := <-ch:
			if !ok {
				return fmt.Errorf("netlink subscription closed")
			}
			if !u.LinkAddress.IP.Equal(want) {
				continue
			}
			ev := "DEL"
			if u.NewAddr {
				ev = "NEW"
			}
			fmt.Printf("%s %s %s %d\n", stamp(time.Now()), ev, u.LinkAddress.String(), u.LinkIndex)
		}
	}
}

// outage reads a probe's output and prints key=value fields (see
// measureOutage).
func outage(args []string) error {
	fs := flag.NewFlagSet("outage", flag.ExitOnError)
	from := fs.Float64("from", 0, "stamp (SECONDS.MICROSECONDS) after which to look")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("one probe output file, please")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	line, err := measureOutage(f, *from)
	if err != nil {
		return err
	}
	fmt.Println(line)
	return nil
}

// measureOutage reads a probe's "STAMP ok|fail" lines and returns
// key=value fields: first_fail (the first failed attempt after from),
// back (the first good attempt after that), outage_ms = back - first_fail
// (new connections failed for that long, to within one interval), gap_ms
// = back - the last good attempt before first_fail, fails (failed
// attempts in between) and attempts (all lines read). outage_ms is 0 when
// every attempt after from got through, NA when no good attempt followed
// the first failure (no recovery). Lines that are not two fields with a
// number first are skipped.
func measureOutage(r io.Reader, from float64) (string, error) {
	var lastOK, firstFail, back float64
	fails, total, okAfter := 0, 0, 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) != 2 {
			continue
		}
		t, err := strconv.ParseFloat(fl[0], 64)
		if err != nil {
			continue
		}
		total++
		ok := fl[1] == "ok"
		if ok && t >= from {
			okAfter++
		}
		switch {
		case t < from || firstFail == 0 && ok:
			if ok && firstFail == 0 {
				lastOK = t
			}
		case firstFail == 0:
			firstFail = t
			fails++
		case back == 0 && !ok:
			fails++
		case back == 0 && ok:
			back = t
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if firstFail == 0 && okAfter > 0 {
		// every attempt after from got through: no outage the probe's
		// interval can resolve
		return fmt.Sprintf("outage_ms=0.0 gap_ms=NA fails=0 attempts=%d first_fail=0 back=0", total), nil
	}
	ms := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "NA"
		}
		return fmt.Sprintf("%.1f", (a-b)*1000)
	}
	return fmt.Sprintf("outage_ms=%s gap_ms=%s fails=%d attempts=%d first_fail=%.6f back=%.6f",
		ms(back, firstFail), ms(back, lastOK), fails, total, firstFail, back), nil
}
