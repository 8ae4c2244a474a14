//go:build race

package graph_test

// raceDetector tells whether the tests run with the race detector, which
// makes the pure-Go SQLite engine some thirty times slower.
const raceDetector = true
