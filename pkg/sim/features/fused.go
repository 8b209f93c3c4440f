package features

import "math"

// fusedGo is the per-block pass of Stream.Add: for every cell
//
//	next[k] = x, cur[k] = fl(x * 1000), d[k] = |cur[k] - prev[k]|
//
// and it returns the running max of d starting from m. All slices have
// len(field) elements. fused (per architecture) is the same with SIMD.
func fusedGo(field, next, cur, prev, d []float64, m float64) float64 {
	next, cur, prev, d = next[:len(field)], cur[:len(field)], prev[:len(field)], d[:len(field)]
	for k, x := range field {
		next[k] = x
		y := float64(x * mvScale) // rounded: no fused multiply-subtract below
		cur[k] = y
		v := math.Abs(y - prev[k])
		d[k] = v
		if v > m {
			m = v
		}
	}
	return m
}
