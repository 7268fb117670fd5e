//go:build ignore

// gofloor: floor.c in plain Go: a reader goroutine and a time.Ticker, net's
// UDP calls, default runtime settings (bench/idle-floors.sh runs it with
// GOMAXPROCS=1). Measures this machine's Go floor.
//
// Usage: gofloor ME PEER [VARIANT], ME and PEER each PORT (on 127.0.0.1)
// or A.B.C.D:PORT: ME the address bound (0.0.0.0:694 as hbgo's ucast
// reader binds), PEER the address sent to.
//
// A third argument picks a variant, to price one design choice of hbgo's
// loop each (bench/results/idle-2026-12-06.md):
//
//	locked  the ticker's goroutine is locked to its own thread
//	        (runtime.LockOSThread), as hbgo's SCHED_RR loop was: every
//	        packet and tick is handed from the netpoller's thread to it
//	epoll   one locked thread waits itself in epoll_wait (through
//	        syscall.Syscall6, so the scheduler sees a blocking call) on
//	        the socket and a timerfd: the route issue 16 suggests
//	rr      every thread SCHED_RR at priority 50 and the loop unlocked, as
//	        hbgo's daemon runs since internal/sched (needs root)
package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	me, peer := addrOf(os.Args[1]), addrOf(os.Args[2])
	mode := ""
	if len(os.Args) > 3 {
		mode = os.Args[3]
	}
	if mode == "epoll" {
		epollLoop(me, peer)
		return
	}
	if mode == "rr" {
		allRR(50)
	}
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(me))
	if err != nil {
		panic(err)
	}
	rx := make(chan int, 16)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, _, _ := c.ReadFromUDP(buf)
			rx <- n
		}
	}()
	if mode == "locked" {
		runtime.LockOSThread()
	}
	dst := net.UDPAddrFromAddrPort(peer)
	msg := make([]byte, 250)
	t := time.NewTicker(200 * time.Millisecond)
	for {
		select {
		case <-t.C:
			c.WriteToUDP(msg, dst)
		case <-rx:
		}
	}
}

// addrOf reads PORT (127.0.0.1:PORT) or A.B.C.D:PORT.
func addrOf(s string) netip.AddrPort {
	if !strings.Contains(s, ":") {
		s = "127.0.0.1:" + s
	}
	a, err := netip.ParseAddrPort(s)
	if err != nil || !a.Addr().Is4() {
		panic("gofloor: bad address " + s)
	}
	return a
}

// epollLoop is floor.c's loop on a locked thread: a blocking socket and a
// timerfd in one epoll set, waited on with the scheduler told (Syscall6);
// the reads and the send are raw calls, as hbgo's media make them.
func epollLoop(me, peer netip.AddrPort) {
	runtime.LockOSThread()
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		panic(err)
	}
	if err := syscall.Bind(s, &syscall.SockaddrInet4{Port: int(me.Port()), Addr: me.Addr().As4()}); err != nil {
		panic(err)
	}
	pp := peer.Port()
	dst := syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: pp>>8 | (pp&0xff)<<8, Addr: peer.Addr().As4()}
	tfd, _, e := syscall.RawSyscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, syscall.O_NONBLOCK, 0)
	if e != 0 {
		panic(e)
	}
	spec := [4]int64{0, 200e6, 0, 200e6} // interval, value
	if _, _, e := syscall.RawSyscall6(syscall.SYS_TIMERFD_SETTIME, tfd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); e != 0 {
		panic(e)
	}
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		panic(err)
	}
	for _, fd := range []int{s, int(tfd)} {
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}); err != nil {
			panic(err)
		}
	}
	msg := make([]byte, 250)
	buf := make([]byte, 2048)
	var evs [2]syscall.EpollEvent
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_EPOLL_WAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), 2, ^uintptr(0), 0, 0)
		if e != 0 {
			continue
		}
		for _, ev := range evs[:n] {
			if int(ev.Fd) == s {
				syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(s), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
			} else {
				var x [8]byte
				syscall.RawSyscall(syscall.SYS_READ, tfd, uintptr(unsafe.Pointer(&x[0])), 8)
				syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(s), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0,
					uintptr(unsafe.Pointer(&dst)), unsafe.Sizeof(dst))
			}
		}
	}
}

// allRR makes every thread SCHED_RR at prio, passing over /proc/self/task
// until a pass finds no thread it has not set; threads made later inherit
// the policy from the thread that clones them (internal/sched.Realtime).
func allRR(prio int) {
	param := int32(prio)
	set := map[int]bool{}
	for {
		d, err := os.Open("/proc/self/task")
		if err != nil {
			panic(err)
		}
		names, _ := d.Readdirnames(-1)
		d.Close()
		fresh := false
		for _, name := range names {
			tid, _ := strconv.Atoi(name)
			if set[tid] {
				continue
			}
			fresh, set[tid] = true, true
			if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), 2 /* SCHED_RR */, uintptr(unsafe.Pointer(&param))); e != 0 && e != syscall.ESRCH {
				panic(fmt.Sprintf("SCHED_RR for thread %d: %v", tid, e))
			}
		}
		if !fresh {
			return
		}
	}
}
