// Command heartbeat is hbgo's single binary: the daemon and, through argv[0], heartbeat's admin commands.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	name := filepath.Base(os.Args[0])
	if err := dropSetgid(personality(name)); err != nil {
		errf("%s: %v", name, err)
		os.Exit(1)
	}
	os.Exit(dispatch(name, os.Args[1:]))
}

// personality is the command dispatch runs for argv[0]'s base name.
func personality(name string) string {
	name = strings.TrimPrefix(name, "hbgo-")
	switch name {
	case "hb_standby", "hb_takeover", "cl_status", "ResourceManager":
		return name
	}
	return "heartbeat"
}

// dropSetgid gives up a group gained from a setgid file unless the command
// is cl_status. /usr/bin/cl_status is a setgid-haclient copy of this whole
// binary (dist/files.list), so `exec -a heartbeat /usr/bin/cl_status` or any
// other name would otherwise run every command with egid haclient. The
// decision needs no trust in argv[0]: a name that picks cl_status gets only
// cl_status, and every other name loses the group before anything else
// runs. (Stock ships cl_status as its own small program, mode 2555
// root:haclient, and nothing else setgid.)
func dropSetgid(personality string) error {
	rgid := syscall.Getgid()
	if personality == "cl_status" || syscall.Getegid() == rgid {
		return nil
	}
	// Real, effective and saved: nothing can take the group back. Go
	// applies it to every thread.
	if err := syscall.Setresgid(rgid, rgid, rgid); err != nil {
		return fmt.Errorf("cannot drop the setgid group: %w", err)
	}
	if syscall.Getegid() != rgid {
		return fmt.Errorf("cannot drop the setgid group: egid %d", syscall.Getegid())
	}
	return nil
}

// dispatch picks the command by the name it was called as, the way stock's
// tools are separate programs (COMPAT §0.4, §7).
func dispatch(name string, args []string) int {
	switch name {
	case "hb_standby":
		return hbStandby(name, args, false)
	case "hb_takeover":
		return hbStandby(name, args, true)
	case "cl_status":
		return clStatus(args)
	case "ResourceManager":
		return resourceManager(args)
	}
	if strings.HasPrefix(name, "hbgo-") {
		name = strings.TrimPrefix(name, "hbgo-")
		return dispatch(name, args)
	}
	return heartbeat(args)
}

func errf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
