package rng

import (
	"math"
	"math/bits"
)

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
		x, idx, rabs := zigCandidate(g.Uint64())
		if rabs < zigKi[idx] {
			return x
		}
		if z, ok := g.zigSlow(x, idx, rabs); ok {
			return z
		}
	}
}

// FillStandardNormal fills dst with len(dst) consecutive StandardNormal
// values (the same stream as calling StandardNormal in a loop, as numpy's
// array fills do). It keeps the generator state in registers for the
// common fast path, which makes it about twice as fast as the loop.
func (g *Generator) FillStandardNormal(dst []float64) {
	sHi, sLo := g.state.Hi, g.state.Lo
	incHi, incLo := g.inc.Hi, g.inc.Lo
	for k := range dst {
		// PCG64 step and XSL-RR output, as in (*PCG64).Uint64.
		hi, lo := bits.Mul64(sLo, mulLo)
		hi += sHi*mulLo + sLo*mulHi
		lo, c := bits.Add64(lo, incLo, 0)
		hi += incHi + c
		sHi, sLo = hi, lo
		x, idx, rabs := zigCandidate(bits.RotateLeft64(hi^lo, -int(hi>>58)))
		if rabs < zigKi[idx] {
			dst[k] = x
			continue
		}
		g.state = Uint128{sHi, sLo}
		z, ok := g.zigSlow(x, idx, rabs)
		if !ok {
			z = g.StandardNormal()
		}
		dst[k] = z
		sHi, sLo = g.state.Hi, g.state.Lo
	}
	g.state = Uint128{sHi, sLo}
}

// zigCandidate splits a 64-bit output into the layer index, the 52-bit
// magnitude and the signed candidate x = ±rabs*wi[idx].
func zigCandidate(r uint64) (x float64, idx uint8, rabs uint64) {
	idx = uint8(r)
	r >>= 8
	rabs = (r >> 1) & 0x000fffffffffffff
	// rabs < 2^52: the signed conversion is exact and a single instruction.
	x = float64(int64(rabs)) * zigWi[idx]
	// Negate by flipping the sign bit when the sign bit of r is set
	// (exactly -x; branch-free, as the sign is a coin flip that a branch
	// predictor cannot learn).
	x = math.Float64frombits(math.Float64bits(x) ^ (r&1)<<63)
	return x, idx, rabs
}

// zigSlow handles a candidate outside the layer's rectangle: the tail for
// layer 0, otherwise the wedge test. ok is false when the candidate is
// rejected and the draw must start over.
func (g *Generator) zigSlow(x float64, idx uint8, rabs uint64) (z float64, ok bool) {
	if idx == 0 {
		return g.normalTail(rabs), true
	}
	// fl(fl(fl(fi[idx-1]-fi[idx]) * u) + fi[idx]) < exp(fl(fl(-0.5*x)*x));
	// the float64 conversions keep the products rounded on their own.
	lhs := float64((zigFi[idx-1]-zigFi[idx])*g.Float64()) + zigFi[idx]
	return x, lhs < math.Exp(float64(-0.5*x)*x)
}

// normalTail draws from the tail |x| > R; the sign comes from bit 8 of
// rabs, as in numpy.
func (g *Generator) normalTail(rabs uint64) float64 {
	for {
		// xx is rounded here: it is added to R below, and without the
		// conversion arm64 fuses the product into that addition.
		xx := float64(-zigInvR * log1p(-g.Float64()))
		yy := -log1p(-g.Float64())
		if yy+yy > float64(xx*xx) {
			if (rabs>>8)&1 != 0 {
				return -(zigR + xx)
			}
			return zigR + xx
		}
	}
}
