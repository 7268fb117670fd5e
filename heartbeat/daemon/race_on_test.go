//go:build race

package daemon

// raceDetector tells tests that the race detector is on: it changes what
// allocates (sync.Pool drops items at random, for one).
const raceDetector = true
