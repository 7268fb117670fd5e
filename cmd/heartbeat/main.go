// Command heartbeat is hbgo's single binary: the daemon and, through argv[0], heartbeat's admin commands.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(dispatch(filepath.Base(os.Args[0]), os.Args[1:]))
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
