//go:build amd64 && !purego

package reduce

import "golang.org/x/sys/cpu"

// haveLeavesBatch selects the AVX2 leaf kernels; tests switch it off to
// compare them with the Go leaves.
var haveLeavesBatch = cpu.X86.HasAVX2

// The kernels sum 4 leaves of 128 values at a time: each leaf's eight
// partial sums p0..p7 live in two 4-lane registers and receive the leaf's
// groups of eight in order, exactly as the scalar leaf; the partials are
// then combined as ((p0+p1)+(p2+p3))+((p4+p5)+(p6+p7)). Deviations are
// VSUBPD and squares VMULPD, each rounded on its own (no fused
// multiply-add), so every leaf sum is bit-identical to leafSum/leafSqDev.
//
// len(x) = 128 * len(out), len(out) a multiple of 4.
//
//go:noescape
func leavesSumAVX2(x []float64, out []float64)

//go:noescape
func leavesSqDevAVX2(x []float64, mu float64, out []float64)

// leavesBatch writes the leaf sums of x (len(out) leaves of leafSize
// values, len(out) a multiple of 4) into out.
func leavesBatch(x []float64, mu float64, k kind, out []float64) {
	x = x[:len(out)*leafSize]
	if k == kindSqDev {
		leavesSqDevAVX2(x, mu, out)
		return
	}
	leavesSumAVX2(x, out)
}
