// Package reduce reproduces numpy's floating-point reductions (sum, mean,
// population std and variance) bit for bit, so that statistics computed in Go
// match the MFN reference implementation to the last bit.
//
// numpy's add.reduce over a contiguous float64 array splits the flattened
// array into blocks of [BlockSize] elements, sums each block with pairwise
// summation (8-way unrolled leaves of up to 128 elements) and accumulates the
// block sums sequentially, starting from 0.0. A naive loop, Kahan summation or
// a different block split changes the last bits of the result.
//
// On amd64 with AVX2 the 128-value leaves of power-of-two slices are summed
// four at a time by an assembly kernel whose lanes perform exactly the
// scalar leaf's additions (VADDPD/VMULPD/VSUBPD, no fused multiply-add), so
// the results do not depend on the kernel; build with -tags purego for the
// Go loops only.
//
// # Streaming
//
// [Summer] accepts the values in pieces of any size and gives exactly the
// result [Sum] would give on their concatenation, because it keeps the
// current partial block (at most BlockSize values) and only sums full blocks:
//
//	var s reduce.Summer
//	for _, part := range parts {
//		s.Add(part)
//	}
//	total := s.Sum() // == reduce.Sum(concat(parts...))
package reduce
