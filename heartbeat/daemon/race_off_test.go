//go:build !race

package daemon

// raceDetector tells tests that the race detector is on.
const raceDetector = false
