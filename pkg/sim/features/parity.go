package features

import (
	"fmt"
	"math"
)

// Tolerance of the features computed through least squares or library
// pow/log calls, whose last bits differ from the reference by design
// (ENGINE.md §8.2): D_box and D_r2 absolute; V_skew and V_kurt relative to
// max(1, |ref|); E_trend relative to max(1, max_t E_t).
const Tolerance = 1e-12

// Diff compares got with the reference values want under the parity rules
// of ENGINE.md §8 and returns one line per feature that differs (nil when
// they agree): every feature computed by numpy reductions, min/max, counts
// and the cluster-size std must be bit-identical; D_box, D_r2, V_skew,
// V_kurt and E_trend must be within Tolerance (scaled as documented there).
// maxEnergy is max_t E_t of the history in mV^2 (see MaxEnergy), the scale
// of the E_trend tolerance.
func Diff(got, want Vector, maxEnergy float64) []string {
	var diffs []string
	g, w := got.Values(), want.Values()
	for i, name := range names {
		tol := -1.0 // exact
		switch name {
		case "D_box", "D_r2":
			tol = Tolerance
		case "V_skew", "V_kurt":
			tol = Tolerance * max(1, math.Abs(w[i]))
		case "E_trend":
			tol = Tolerance * max(1, maxEnergy)
		}
		switch {
		case tol < 0 && g[i] != w[i]:
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v (exact)", name, g[i], w[i]))
		case tol >= 0 && !(math.Abs(g[i]-w[i]) <= tol):
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v (|diff| %g > %g)", name, g[i], w[i], math.Abs(g[i]-w[i]), tol))
		}
	}
	return diffs
}

// MaxEnergy returns max_t sum_k (1000 * history[t][k])^2 for a history of
// n x n snapshots: the scale of the E_trend tolerance. It sums naively; a
// tolerance scale needs no exact rounding.
func MaxEnergy(history []float64, n int) float64 {
	nn := n * n
	e := 0.0
	for s := 0; nn > 0 && s+nn <= len(history); s += nn {
		sum := 0.0
		for _, x := range history[s : s+nn] {
			y := x * mvScale
			sum += float64(y * y)
		}
		e = max(e, sum)
	}
	return e
}
