package rng

import "math"

// log1p returns ln(1+x) exactly as the reference platform computes it:
// glibc 2.36 on x86-64 (Debian 12), whose log1p dispatches to a build of
// the fdlibm algorithm compiled with fused multiply-adds on CPUs with FMA
// (the golden data come from such a machine). Go's math.Log1p evaluates the
// same approximation without FMA and in a different order, which differs
// from it by one ulp on about 0.07 % of inputs; in the ziggurat tail that
// changes the normal variate itself.
//
// Algorithm (fdlibm, Sun Microsystems 1993): 1+x = 2^k * (1+f) with
// sqrt(2)/2 < 1+f < sqrt(2), c the rounding correction of 1+x,
// s = f/(2+f), z = s*s, R(z) = Lp1*z + ... + Lp7*z^7, hfsq = f*f/2;
// log1p(x) = k*ln2_hi - ((hfsq - (s*(hfsq+R) + (k*ln2_lo + c))) - f).
// The operation order and the fused operations below are those of the
// reference binary: R = fma(z6, R4, fma(z4, R3, fma(z, Lp1, z2*R2))) with
// R2..R4 = fma(z, Lp_odd, Lp_even), the k*ln2 terms fused. Every other
// product is rounded on its own (float64 conversions, so that the Go
// compiler cannot fuse it either).
func log1p(x float64) float64 {
	const (
		ln2Hi     = 0x1.62e42fee00000p-01 // 6.93147180369123816490e-01
		ln2Lo     = 0x1.a39ef35793c76p-33 // 1.90821492927058770002e-10
		twoThirds = 0x1.5555555555555p-01
		lp1       = 0x1.5555555555593p-01
		lp2       = 0x1.999999997fa04p-02
		lp3       = 0x1.2492494229359p-02
		lp4       = 0x1.c71c51d8e78afp-03
		lp5       = 0x1.7466496cb03dep-03
		lp6       = 0x1.39a09d078c69fp-03
		lp7       = 0x1.2f112df3e5244p-03
	)
	hx := int32(math.Float64bits(x) >> 32)
	ax := hx & 0x7fffffff
	k := int32(1)
	var f, c float64
	var hu int32
	if hx < 0x3fda827a { // x < 0.41422
		if ax >= 0x3ff00000 { // x <= -1
			if x == -1 {
				return math.Inf(-1)
			}
			return math.NaN()
		}
		if ax < 0x3e200000 { // |x| < 2^-29
			if ax < 0x3c900000 { // |x| < 2^-54
				return x
			}
			return fma(-float64(x*x), 0.5, x)
		}
		if hx > 0 || hx <= -0x402d413d { // -0.2929 < x < 0.41422 (0xbfd2bec3)
			k, f, hu = 0, x, 1
		}
	} else if hx >= 0x7ff00000 { // +Inf or NaN
		return x + x
	}
	if k != 0 {
		var u float64
		if hx < 0x43400000 {
			u = 1.0 + x
			hu = int32(math.Float64bits(u) >> 32)
			k = (hu >> 20) - 1023
			if k > 0 {
				c = 1.0 - (u - x)
			} else {
				c = x - (u - 1.0)
			}
			c /= u
		} else {
			u = x
			hu = hx
			k = (hu >> 20) - 1023
		}
		hu &= 0x000fffff
		low := math.Float64bits(u) & 0xffffffff
		if hu < 0x6a09e { // normalise u
			u = math.Float64frombits(uint64(uint32(hu)|0x3ff00000)<<32 | low)
		} else { // normalise u/2
			k++
			u = math.Float64frombits(uint64(uint32(hu)|0x3fe00000)<<32 | low)
			hu = (0x00100000 - hu) >> 2
		}
		f = u - 1.0
	}
	fk := float64(k)
	hfsq := float64(float64(0.5*f) * f)
	if hu == 0 { // |f| < 2^-20
		if f == 0 {
			if k == 0 {
				return 0
			}
			return fma(fk, ln2Hi, fma(fk, ln2Lo, c))
		}
		r := float64(fma(-f, twoThirds, 1.0) * hfsq)
		if k == 0 {
			return f - r
		}
		return fma(fk, ln2Hi, -((r - fma(fk, ln2Lo, c)) - f))
	}
	s := f / (2.0 + f)
	z := float64(s * s)
	r2 := fma(z, lp3, lp2)
	r3 := fma(z, lp5, lp4)
	r4 := fma(z, lp7, lp6)
	z2 := float64(z * z)
	z4 := float64(z2 * z2)
	z6 := float64(z2 * z4)
	r := fma(z, lp1, float64(z2*r2))
	r = fma(z4, r3, r)
	r = fma(z6, r4, r)
	t := float64((r + hfsq) * s)
	if k == 0 {
		return f - (hfsq - t)
	}
	return fma(fk, ln2Hi, -((hfsq - (fma(fk, ln2Lo, c) + t)) - f))
}

// fma is math.FMA kept out of line, so that hack/check-fma.sh can tell the
// intended fused operations (this function) from accidental ones.
//
//go:noinline
func fma(x, y, z float64) float64 { return math.FMA(x, y, z) }
