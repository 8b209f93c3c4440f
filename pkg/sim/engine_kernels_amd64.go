//go:build amd64 && !purego

package sim

import "golang.org/x/sys/cpu"

// Kernel levels: the portable Go loops, AVX2 (4 lanes) or AVX-512 (8
// lanes). Tests switch the level to compare every path with the loops.
const (
	levelGeneric = iota
	levelAVX2
	levelAVX512
)

var kernelLevel = detectKernelLevel()

func detectKernelLevel() int {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL:
		return levelAVX512
	case cpu.X86.HasAVX2:
		return levelAVX2
	}
	return levelGeneric
}

// width returns the lane count of the current level (0 for the loops).
func width() int {
	switch kernelLevel {
	case levelAVX512:
		return 8
	case levelAVX2:
		return 4
	}
	return 0
}

// prefix returns the largest multiple of the lane width not above n (0
// when the assembly is off).
func prefix(n int) int {
	w := width()
	if w == 0 || n < w {
		return 0
	}
	return n &^ (w - 1)
}

//go:noescape
func lapInteriorAVX2(dst, up, down, cur *float64, m int, rl bool)

//go:noescape
func turingAVX2(nv, v, lv, na, a, la, nb, b, lb *float64, m int, k *kernelConsts, clamp bool) (turing, changed int, nan bool)

//go:noescape
func diffuseAVX2(nv, v, lv *float64, m int, k *kernelConsts)

//go:noescape
func jitterClampAVX2(v, z *float64, m int, k *kernelConsts) (changed int, nan bool)

//go:noescape
func clampAVX2(v *float64, m int, k *kernelConsts) (changed int, nan bool)

//go:noescape
func lapInteriorAVX512(dst, up, down, cur *float64, m int, rl bool)

//go:noescape
func turingAVX512(nv, v, lv, na, a, la, nb, b, lb *float64, m int, k *kernelConsts, clamp bool) (turing, changed int, nan bool)

//go:noescape
func jitterClampAVX512(v, z *float64, m int, k *kernelConsts) (changed int, nan bool)

//go:noescape
func clampAVX512(v *float64, m int, k *kernelConsts) (changed int, nan bool)

// lapInteriorFast computes the interior dst[j], j = 1 .. len(cur)-2, in
// vectors and returns how many it computed (all of them, unless the row is
// shorter than a vector). A remainder that does not fill a vector is
// covered by one more vector ending at the last interior cell, which
// recomputes a few cells: harmless, as dst does not overlap the inputs.
func lapInteriorFast(dst, up, down, cur []float64, rl bool) int {
	n := len(cur)
	m := prefix(n - 2)
	if m == 0 {
		return 0
	}
	_, _, _, _ = dst[n-1], up[n-1], down[n-1], cur[n-1]
	lapInteriorVec(dst, up, down, cur, m, rl)
	if rest := n - 2 - m; rest > 0 {
		w := width()
		off := n - 2 - w // the vector covers j = off+1 .. n-2
		lapInteriorVec(dst[off:], up[off:], down[off:], cur[off:], w, rl)
	}
	return n - 2
}

// lapInteriorVec runs the assembly on j = 1 .. m (m a multiple of the
// lane width; the caller checked the bounds: cur[0 .. m+1]).
func lapInteriorVec(dst, up, down, cur []float64, m int, rl bool) {
	if kernelLevel == levelAVX512 {
		lapInteriorAVX512(&dst[0], &up[0], &down[0], &cur[0], m, rl)
	} else {
		lapInteriorAVX2(&dst[0], &up[0], &down[0], &cur[0], m, rl)
	}
}

func turingFast(nv, v, lv, na, a, la, nb, b, lb []float64, k *kernelConsts, clamp bool) (done, turing, changed int, nan bool) {
	m := prefix(len(nv))
	if m == 0 {
		return 0, 0, 0, false
	}
	_, _, _, _, _, _, _, _ = v[m-1], lv[m-1], na[m-1], a[m-1], la[m-1], nb[m-1], b[m-1], lb[m-1]
	if kernelLevel == levelAVX512 {
		turing, changed, nan = turingAVX512(&nv[0], &v[0], &lv[0], &na[0], &a[0], &la[0], &nb[0], &b[0], &lb[0], m, k, clamp)
	} else {
		turing, changed, nan = turingAVX2(&nv[0], &v[0], &lv[0], &na[0], &a[0], &la[0], &nb[0], &b[0], &lb[0], m, k, clamp)
	}
	return m, turing, changed, nan
}

// diffuseFast uses the AVX2 kernel at both vector levels (it is a single
// multiply-add pass, bound by memory rather than instructions).
func diffuseFast(nv, v, lv []float64, k *kernelConsts) int {
	m := len(nv) &^ 3
	if kernelLevel == levelGeneric || m == 0 {
		return 0
	}
	_, _ = v[m-1], lv[m-1]
	diffuseAVX2(&nv[0], &v[0], &lv[0], m, k)
	return m
}

func jitterClampFast(v, z []float64, k *kernelConsts) (done, changed int, nan bool) {
	m := prefix(len(v))
	if m == 0 {
		return 0, 0, false
	}
	_ = z[m-1]
	if kernelLevel == levelAVX512 {
		changed, nan = jitterClampAVX512(&v[0], &z[0], m, k)
	} else {
		changed, nan = jitterClampAVX2(&v[0], &z[0], m, k)
	}
	return m, changed, nan
}

func clampFast(v []float64, k *kernelConsts) (done, changed int, nan bool) {
	m := prefix(len(v))
	if m == 0 {
		return 0, 0, false
	}
	if kernelLevel == levelAVX512 {
		changed, nan = clampAVX512(&v[0], m, k)
	} else {
		changed, nan = clampAVX2(&v[0], m, k)
	}
	return m, changed, nan
}
