package features

import "github.com/mfn-io/mfn-operator/pkg/sim/reduce"

// slope returns the ordinary least-squares slope and intercept of y against
// x (a degree-1 polynomial fit) in closed form:
//
//	slope = sum((x - xbar) * (y - ybar)) / sum((x - xbar)^2)
//	c0    = ybar - slope * xbar
//
// The reference solves the same problem with LAPACK (numpy polyfit); the two
// agree to about 1e-15 relative (ENGINE.md §6.3, §8.2). len(x) >= 2 and the
// x values must not all be equal.
func slope(x, y []float64) (d, c0 float64) {
	xbar := reduce.Mean(x)
	ybar := reduce.Mean(y)
	var sxy, sxx float64
	for i := range x {
		dx := x[i] - xbar
		sxy += float64(dx * (y[i] - ybar))
		sxx += float64(dx * dx)
	}
	d = sxy / sxx
	c0 = ybar - float64(d*xbar)
	return d, c0
}

// rSquared returns the clamped coefficient of determination of the fit
// y = d*x + c0 as the reference computes it (ENGINE.md §6.3 step 6):
//
//	ss_res = S((y - yhat)^2), ss_tot = S((y - ybar)^2)
//	R2 = 1 - ss_res/ss_tot if ss_tot > 0 else 0, clamped to [0, 1]
func rSquared(x, y []float64, d, c0 float64) float64 {
	var res, tot [MaxNumScales]float64
	ybar := reduce.Mean(y)
	for i := range x {
		r := y[i] - (float64(d*x[i]) + c0)
		res[i] = r * r
		t := y[i] - ybar
		tot[i] = t * t
	}
	ssRes := reduce.Sum(res[:len(x)])
	ssTot := reduce.Sum(tot[:len(x)])
	if !(ssTot > 0) {
		return 0
	}
	return min(max(1-ssRes/ssTot, 0), 1)
}

// energyTrend returns E_trend: the least-squares slope of e[t] against
// t = 0..T-1 (0 when T < 2).
func energyTrend(e []float64) float64 {
	if len(e) < 2 {
		return 0
	}
	t := make([]float64, len(e))
	for i := range t {
		t[i] = float64(i)
	}
	d, _ := slope(t, e)
	return d
}
