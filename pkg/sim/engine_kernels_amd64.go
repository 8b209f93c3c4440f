//go:build amd64 && !purego

package sim

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; tests switch it off to compare
// with the portable loops.
var useAVX2 = cpu.X86.HasAVX2

//go:noescape
func lapInteriorAVX2(dst, up, down, cur *float64, m int, rl bool)

//go:noescape
func turingAVX2(nv, v, lv, na, a, la, nb, b, lb *float64, m int, k *kernelConsts) (turing int, nan bool)

//go:noescape
func diffuseAVX2(nv, v, lv *float64, m int, k *kernelConsts)

//go:noescape
func jitterClampAVX2(v, z *float64, m int, k *kernelConsts) (changed int, nan bool)

//go:noescape
func clampAVX2(v *float64, m int, k *kernelConsts) (changed int, nan bool)

// lapInteriorFast computes dst[j] for j = 1 .. m, m the largest multiple
// of 4 with m <= len(cur)-2, and returns m. up and down must have at least
// len(cur) elements.
func lapInteriorFast(dst, up, down, cur []float64, rl bool) int {
	m := (len(cur) - 2) &^ 3
	if !useAVX2 || m <= 0 {
		return 0
	}
	_, _, _ = dst[m], up[m], down[m] // the kernel reads/writes [1, m] and cur[0, m+1]
	lapInteriorAVX2(&dst[0], &up[0], &down[0], &cur[0], m, rl)
	return m
}

func turingFast(nv, v, lv, na, a, la, nb, b, lb []float64, k *kernelConsts) (done, turing int, nan bool) {
	m := len(nv) &^ 3
	if !useAVX2 || m == 0 {
		return 0, 0, false
	}
	_, _, _, _, _, _, _, _ = v[m-1], lv[m-1], na[m-1], a[m-1], la[m-1], nb[m-1], b[m-1], lb[m-1]
	turing, nan = turingAVX2(&nv[0], &v[0], &lv[0], &na[0], &a[0], &la[0], &nb[0], &b[0], &lb[0], m, k)
	return m, turing, nan
}

func diffuseFast(nv, v, lv []float64, k *kernelConsts) int {
	m := len(nv) &^ 3
	if !useAVX2 || m == 0 {
		return 0
	}
	_, _ = v[m-1], lv[m-1]
	diffuseAVX2(&nv[0], &v[0], &lv[0], m, k)
	return m
}

func jitterClampFast(v, z []float64, k *kernelConsts) (done, changed int, nan bool) {
	m := len(v) &^ 3
	if !useAVX2 || m == 0 {
		return 0, 0, false
	}
	_ = z[m-1]
	changed, nan = jitterClampAVX2(&v[0], &z[0], m, k)
	return m, changed, nan
}

func clampFast(v []float64, k *kernelConsts) (done, changed int, nan bool) {
	m := len(v) &^ 3
	if !useAVX2 || m == 0 {
		return 0, 0, false
	}
	changed, nan = clampAVX2(&v[0], m, k)
	return m, changed, nan
}
