// Command heartbeat is hbgo's single binary: the daemon and, through argv[0], heartbeat's admin commands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "heartbeat: hbgo is under construction")
	os.Exit(1)
}
