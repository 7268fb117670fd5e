//go:build race

package main

// raceDetector tells tests that the race detector is on: its
// instrumentation changes what allocates.
const raceDetector = true
