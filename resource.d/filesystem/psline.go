package filesystem

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// PsLine renders a process as `ps -f <pid> | tail -1` prints it (UID PID
// PPID C STIME TTY STAT TIME CMD), which the Filesystem RA puts in its
// "sending signal TERM to:" line (testdata/stock/ha-log). now and boot are
// the current time and the boot time.
func PsLine(proc string, pid int, now, boot time.Time) (string, error) {
	dir := filepath.Join(proc, strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return "", err
	}
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return "", fmt.Errorf("%s/stat: malformed", dir)
	}
	comm := s[open+1 : close]
	f := strings.Fields(s[close+1:])
	if len(f) < 22 {
		return "", fmt.Errorf("%s/stat: %d fields", dir, len(f))
	}
	// f[0] is field 3 (state) of proc(5).
	num := func(i int) int64 { v, _ := strconv.ParseInt(f[i-3], 10, 64); return v }
	state := f[0]
	ppid, pgrp, sid, ttyNr, tpgid := num(4), num(5), num(6), num(7), num(8)
	cpu := num(14) + num(15)
	nice, threads, start := num(19), num(20), num(22)

	uid := "?"
	if st, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		for _, line := range strings.Split(string(st), "\n") {
			if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
				if fs := strings.Fields(rest); len(fs) > 0 {
					uid = fs[0]
					if u, err := user.LookupId(uid); err == nil {
						uid = u.Username
					}
				}
			}
		}
	}
	stat := state
	switch {
	case nice < 0:
		stat += "<"
	case nice > 0:
		stat += "N"
	}
	if sid == int64(pid) {
		stat += "s"
	}
	if threads > 1 {
		stat += "l"
	}
	if tpgid >= 0 && tpgid == pgrp {
		stat += "+"
	}
	started := boot.Add(time.Duration(start) * time.Second / clockTicks)
	stime := started.Format("15:04")
	if now.Sub(started) >= 24*time.Hour {
		stime = started.Format("Jan02")
	}
	c := int64(0)
	if el := now.Sub(started).Seconds(); el > 0 {
		c = int64(float64(cpu) / clockTicks * 100 / el)
	}
	cpuSec := cpu / clockTicks
	args, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	cmd := strings.TrimSpace(strings.ReplaceAll(string(args), "\x00", " "))
	if cmd == "" {
		cmd = "[" + comm + "]"
	}
	return fmt.Sprintf("%-8s %5d %5d %2d %5s %-8s %-4s %6s %s", uid, pid, ppid, c, stime, tty(ttyNr), stat,
		fmt.Sprintf("%d:%02d", cpuSec/60, cpuSec%60), cmd), nil
}

// tty names a proc(5) tty_nr the way ps does for the common cases.
func tty(nr int64) string {
	major, minor := (nr>>8)&0xfff, (nr&0xff)|((nr>>12)&0xfff00)
	switch {
	case nr == 0:
		return "?"
	case major >= 136 && major <= 143:
		return fmt.Sprintf("pts/%d", (major-136)*256+minor)
	case major == 4 && minor < 64:
		return fmt.Sprintf("tty%d", minor)
	case major == 4:
		return fmt.Sprintf("ttyS%d", minor-64)
	}
	return "?"
}

// bootTime reads btime from <proc>/stat.
func bootTime(proc string) time.Time {
	b, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "btime "); ok {
				if v, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64); err == nil {
					return time.Unix(v, 0)
				}
			}
		}
	}
	return time.Time{}
}
