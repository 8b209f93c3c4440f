package features

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The per-block pass must give the same doubles and max with and without
// the SIMD kernel, for every length (tails included) and for values that
// stress rounding and signs.
func TestFusedMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	special := []float64{0, math.Copysign(0, -1), -0.095, 0.04, 1e-300, -5e-324, 1e150, -1e150, 0.1, 0.3}
	for n := range 70 {
		field, prev := make([]float64, n), make([]float64, n)
		for k := range field {
			field[k] = -0.07 + 0.02*r.NormFloat64()
			prev[k] = -70 + 20*r.NormFloat64()
			if k%7 == 3 {
				field[k] = special[k%len(special)]
				prev[k] = special[(k+3)%len(special)] * 1000
			}
		}
		for _, m0 := range []float64{math.Inf(-1), 5} {
			var a, b [3][]float64
			for i := range a {
				a[i], b[i] = make([]float64, n), make([]float64, n)
			}
			ma := fusedGo(field, a[0], a[1], prev, a[2], m0)
			mb := fused(field, b[0], b[1], prev, b[2], m0)
			if ma != mb {
				t.Fatalf("n=%d m0=%v: max %v (Go) vs %v", n, m0, ma, mb)
			}
			for i := range a {
				for k := range n {
					if math.Float64bits(a[i][k]) != math.Float64bits(b[i][k]) {
						t.Fatalf("n=%d: array %d cell %d: %v (Go) vs %v", n, i, k, a[i][k], b[i][k])
					}
				}
			}
		}
	}
}
