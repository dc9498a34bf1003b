//go:build !race

package feeds

// raceDetector reports whether the tests run under the race detector, whose
// shadow memory inflates the resident size a memory test would judge.
const raceDetector = false
