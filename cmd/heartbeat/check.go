package main

import (
	"io"

	"hbgo/heartbeat/command/check"
)

// checkCmd is `heartbeat check [-dir DIR] [-node NAME]` (see package check).
func checkCmd(args []string, stdout, stderr io.Writer) int {
	return check.Main(args, check.Options{}, stdout, stderr)
}
