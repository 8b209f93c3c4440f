//go:build race

package sim

// raceEnabled: the race detector makes sync.Pool drop a quarter of what is
// put back, on purpose, so pool hit rates mean nothing under -race.
const raceEnabled = true
