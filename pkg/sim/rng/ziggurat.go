package rng

import "math"

// StandardNormal returns numpy's standard_normal() (random_standard_normal
// with the 256-layer ziggurat of ztables.go):
//
//	r = Uint64(); idx = r & 0xff; r >>= 8; sign = r & 1
//	rabs = (r >> 1) & (2^52 - 1); x = rabs * wi[idx] (negated if sign)
//	rabs < ki[idx]: return x
//	idx == 0:  tail beyond R, Marsaglia's exponential method
//	otherwise: wedge test against exp(-x^2/2), else start over
func (g *Generator) StandardNormal() float64 {
	for {
		r := g.Uint64()
		idx := r & 0xff
		r >>= 8
		sign := r & 1
		rabs := (r >> 1) & 0x000fffffffffffff
		// rabs < 2^52: the signed conversion is exact and a single instruction.
		x := float64(int64(rabs)) * zigWi[idx]
		if sign != 0 {
			x = -x
		}
		if rabs < zigKi[idx] {
			return x
		}
		if idx == 0 {
			return g.normalTail(rabs)
		}
		// fl(fl(fl(fi[idx-1]-fi[idx]) * u) + fi[idx]) < exp(fl(fl(-0.5*x)*x));
		// the float64 conversions keep the products rounded on their own.
		lhs := float64((zigFi[idx-1]-zigFi[idx])*g.Float64()) + zigFi[idx]
		if lhs < math.Exp(float64(-0.5*x)*x) {
			return x
		}
	}
}

// normalTail draws from the tail |x| > R; the sign comes from bit 8 of
// rabs, as in numpy.
func (g *Generator) normalTail(rabs uint64) float64 {
	for {
		// xx is rounded here: it is added to R below, and without the
		// conversion arm64 fuses the product into that addition.
		xx := float64(-zigInvR * math.Log1p(-g.Float64()))
		yy := -math.Log1p(-g.Float64())
		if yy+yy > float64(xx*xx) {
			if (rabs>>8)&1 != 0 {
				return -(zigR + xx)
			}
			return zigR + xx
		}
	}
}
