//go:build !race

package ceiling

// raceEnabled is true under the race detector, which makes timings meaningless.
const raceEnabled = false
