//go:build !amd64 || purego

package sim

// Without the amd64 assembly the fast kernels process nothing and the
// portable loops of engine_kernels.go do all the work.

func lapInteriorFast(_, _, _, _ []float64, _ bool) int { return 0 }

func turingFast(_, _, _, _, _, _, _, _, _ []float64, _ *kernelConsts, _ bool) (done, turing, changed int, nan bool) {
	return 0, 0, 0, false
}

func diffuseFast(_, _, _ []float64, _ *kernelConsts) int { return 0 }

func jitterClampFast(_, _ []float64, _ *kernelConsts) (done, changed int, nan bool) {
	return 0, 0, false
}

func clampFast(_ []float64, _ *kernelConsts) (done, changed int, nan bool) { return 0, 0, false }
