//go:build !amd64 || purego

package features

// fused is fusedGo on architectures without the assembly kernel.
func fused(field, next, cur, prev, d []float64, m float64) float64 {
	return fusedGo(field, next, cur, prev, d, m)
}
