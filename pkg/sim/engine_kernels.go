package sim

// Row kernels of the step. Each has a portable Go loop and, on amd64 with
// AVX2, an assembly version (engine_kernels_amd64.s) that processes the
// largest multiple-of-4 prefix of the row four cells at a time; the Go
// loop finishes the rest. The vector code performs the same IEEE-754
// operations in the same order on each lane (no FMA, round to nearest),
// so both paths give bit-identical results (TestKernelsMatchGeneric).

// kernelConsts are the step's constants, each repeated in four lanes so
// the assembly can use them as 256-bit memory operands.
type kernelConsts struct {
	alpha, da, di, ra, ri, theta, inc, one, zero, lo, hi, sigma, four [4]float64
}

func lanes(x float64) [4]float64 { return [4]float64{x, x, x, x} }

func newKernelConsts(cfg EngineConfig, sigma float64) kernelConsts {
	return kernelConsts{
		alpha: lanes(cfg.Alpha), da: lanes(cfg.DActivator), di: lanes(cfg.DInhibitor),
		ra: lanes(cfg.RActivator), ri: lanes(cfg.RInhibitor), theta: lanes(cfg.TuringThreshold),
		inc: lanes(TuringIncrementV), one: lanes(1), zero: lanes(0),
		lo: lanes(FieldMinV), hi: lanes(FieldMaxV), sigma: lanes(sigma), four: lanes(4),
	}
}

// lapRow writes the 5-point Laplacian of the row cur into dst, with up and
// down the neighbouring rows and left0, rightN the outside neighbours of
// the first and last column:
//
//	dst[j] = (((up[j] + down[j]) + cur[j-1]) + cur[j+1]) - 4*cur[j]   (rl false)
//	dst[j] = (((up[j] + down[j]) + cur[j+1]) + cur[j-1]) - 4*cur[j]   (rl true, Dirichlet)
//
// 4*cur[j] is exact; its float64 conversion only keeps the arm64 build
// free of fused operations (hack/check-fma.sh).
func lapRow(dst, up, cur, down []float64, left0, rightN float64, rl bool) {
	n := len(cur)
	dst, up, down = dst[:n], up[:n], down[:n]
	first, last := left0, cur[1]
	if rl {
		first, last = last, first
	}
	dst[0] = (((up[0] + down[0]) + first) + last) - float64(4*cur[0])
	done := lapInteriorFast(dst, up, down, cur, rl)
	if rl {
		for j := 1 + done; j < n-1; j++ {
			dst[j] = (((up[j] + down[j]) + cur[j+1]) + cur[j-1]) - float64(4*cur[j])
		}
	} else {
		for j := 1 + done; j < n-1; j++ {
			dst[j] = (((up[j] + down[j]) + cur[j-1]) + cur[j+1]) - float64(4*cur[j])
		}
	}
	first, last = cur[n-2], rightN
	if rl {
		first, last = last, first
	}
	dst[n-1] = (((up[n-1] + down[n-1]) + first) + last) - float64(4*cur[n-1])
}

// turingRow computes one row of the diffusion and Turing update:
//
//	V' = V + fl(alpha*LV)
//	da = fl(D_a*La) + fl(r_a*(fl(a*(1-a)) - b));  a' = a + da
//	db = fl(D_i*Lb) + fl(r_i*(a - b));            b' = b + db
//	V' = V' + 0.005 where a' > theta (unclipped a')
//	a, b = clip(a', 0, 1), clip(b', 0, 1)
//
// and, if clamp (no jitter to add first), also clamps V' like clampRow.
// It returns the number of cells with a' > theta, the number of clamped
// cells and whether a NaN remains in a, b or the clamped V.
func turingRow(nv, v, lv, na, a, la, nb, b, lb []float64, k *kernelConsts, clamp bool) (turing, changed int, nan bool) {
	n := len(nv)
	v, lv, na, a, la, nb, b, lb = v[:n], lv[:n], na[:n], a[:n], la[:n], nb[:n], b[:n], lb[:n]
	done, turing, changed, nan := turingFast(nv, v, lv, na, a, la, nb, b, lb, k, clamp)
	alpha, da, di, ra, ri, theta := k.alpha[0], k.da[0], k.di[0], k.ra[0], k.ri[0], k.theta[0]
	for j := done; j < n; j++ {
		x := v[j] + float64(alpha*lv[j])
		aj, bj := a[j], b[j]
		an := aj + (float64(da*la[j]) + float64(ra*(float64(aj*(1-aj))-bj)))
		bn := bj + (float64(di*lb[j]) + float64(ri*(aj-bj)))
		if an > theta {
			x += TuringIncrementV
			turing++
		}
		na[j], nan = clip01(an, nan)
		nb[j], nan = clip01(bn, nan)
		if clamp {
			c := clampV(x)
			if c != x {
				changed++
				nan = nan || c != c
			}
			x = c
		}
		nv[j] = x
	}
	return turing, changed, nan
}

// diffuseRow is turingRow without Turing: V' = V + fl(alpha*LV).
func diffuseRow(nv, v, lv []float64, k *kernelConsts) {
	n := len(nv)
	v, lv = v[:n], lv[:n]
	alpha := k.alpha[0]
	for j := diffuseFast(nv, v, lv, k); j < n; j++ {
		nv[j] = v[j] + float64(alpha*lv[j])
	}
}

// clip01 is numpy's clip(x, 0, 1): max(x, 0) then min(., 1), where numpy's
// max keeps a NaN x and otherwise takes the bound unless x is strictly
// greater (so -0.0 becomes +0.0); likewise min. nan is set when x is NaN.
func clip01(x float64, nan bool) (float64, bool) {
	switch {
	case x > 0:
		if !(x < 1) {
			x = 1
		}
	case x <= 0:
		x = 0
	default:
		nan = true
	}
	return x, nan
}

// jitterClampRow adds normal(0, sigma) = fl(0 + fl(sigma*z)) to every cell
// of v, then clamps it like clampRow.
func jitterClampRow(v, z []float64, k *kernelConsts) (changed int, nan bool) {
	n := len(v)
	z = z[:n]
	done, changed, nan := jitterClampFast(v, z, k)
	sigma := k.sigma[0]
	for j := done; j < n; j++ {
		x := v[j] + (0 + float64(sigma*z[j]))
		c := clampV(x)
		v[j] = c
		if c != x {
			changed++
			nan = nan || c != c
		}
	}
	return changed, nan
}

// clampRow clamps the field to [FieldMinV, FieldMaxV] like numpy's clip
// and counts the cells whose value changed (a NaN counts, as NaN != NaN in
// the reference's comparison). After the clamp only NaN can be
// non-finite, so nan reports whether any remains.
func clampRow(v []float64, k *kernelConsts) (changed int, nan bool) {
	done, changed, nan := clampFast(v, k)
	for j := done; j < len(v); j++ {
		x := v[j]
		c := clampV(x)
		v[j] = c
		if c != x {
			changed++
			nan = nan || c != c
		}
	}
	return changed, nan
}

// clampV is numpy's clip(x, FieldMinV, FieldMaxV). Go's min and max return
// NaN when an operand is NaN and differ from numpy only in the sign of a
// zero result, which cannot occur with these non-zero bounds; they compile
// to branch-free code, which matters because with jitter many cells are
// clamped in no predictable pattern.
func clampV(x float64) float64 {
	return min(max(x, FieldMinV), FieldMaxV)
}
