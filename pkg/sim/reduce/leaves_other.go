//go:build !amd64 || purego

package reduce

// haveLeavesBatch is false: there is no SIMD leaf kernel on this platform.
const haveLeavesBatch = false

func leavesBatch(x []float64, mu float64, k kind, out []float64) {
	for i := range out {
		out[i] = leaf(x[i*leafSize:(i+1)*leafSize], mu, k)
	}
}
