package features

import (
	"fmt"
	"math"

	"github.com/mfn-io/mfn-operator/pkg/sim/reduce"
)

// FromField returns the features of a single n x n field (volts, row-major):
// the temporal features are 0 and T_stable is 0, as in the reference.
func FromField(field []float64, n int, c Config) (Vector, error) {
	return FromHistory(field, 1, n, c)
}

// FromHistory returns the features of a history of t snapshots of n x n
// cells (volts; snapshot s occupies history[s*n*n:(s+1)*n*n]). The static
// features use the last snapshot. It follows the reference literally: the
// whole (t-1) x n x n array of changes is materialised and reduced at once,
// so it needs memory for two copies of the history; Stream gives the same
// result in O(n^2).
func FromHistory(history []float64, t, n int, c Config) (Vector, error) {
	if err := checkInput(history, t, n, c); err != nil {
		return Vector{}, err
	}
	nn := n * n
	hm := make([]float64, len(history))
	energy := make([]float64, t)
	for s := range t {
		e, err := snapshotEnergy(history[s*nn:(s+1)*nn], hm[s*nn:(s+1)*nn], s)
		if err != nil {
			return Vector{}, err
		}
		energy[s] = e
	}
	var v Vector
	w := newWorkspace(n)
	w.static(hm[(t-1)*nn:], w.maskOf(history[(t-1)*nn:], newThresholds(c)), c, &v)
	if t < 2 {
		return v, nil
	}
	delta := make([]float64, (t-1)*nn)
	for k := range delta {
		delta[k] = math.Abs(hm[k+nn] - hm[k])
	}
	v.DVMean = reduce.Sum(delta) / float64(len(delta))
	v.DVMax = math.Inf(-1)
	for _, d := range delta {
		if d > v.DVMax {
			v.DVMax = d
		}
	}
	v.TStable = t
	if t > c.StabilityWindow {
		run := 0
		for s := range t - 1 {
			if reduce.Std(delta[s*nn:(s+1)*nn]) < c.StabilityThresholdMV {
				run++
				if run == c.StabilityWindow {
					v.TStable = s - c.StabilityWindow + 2
					break
				}
			} else {
				run = 0
			}
		}
	}
	v.ETrend = energyTrend(energy)
	return v, nil
}

// checkInput validates the shape and the config. (Values are checked by
// snapshotEnergy.)
func checkInput(history []float64, t, n int, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	switch {
	case n < 1:
		return fmt.Errorf("features: grid size must be at least 1, got %d", n)
	case t < 1:
		return fmt.Errorf("features: number of snapshots must be at least 1, got %d", t)
	case n > 1<<15 || len(history)/n/n != t || len(history) != t*n*n:
		return fmt.Errorf("features: history has %d values, want %d x %d x %d", len(history), t, n, n)
	}
	return nil
}
