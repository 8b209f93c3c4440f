//go:build amd64 && !purego

package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withoutBatch runs f with the SIMD leaf kernels switched off.
func withoutBatch(f func()) {
	saved := haveLeavesBatch
	haveLeavesBatch = false
	defer func() { haveLeavesBatch = saved }()
	f()
}

// The AVX2 leaves must give the Go leaves' sums bit for bit: every length
// that takes the batched path (512 ... 8192 values, also inside larger
// arrays) and some that do not, on values with wide exponent ranges.
func TestLeavesAVX2MatchGo(t *testing.T) {
	if !haveLeavesBatch {
		t.Fatal("this amd64 machine has no AVX2; the kernel is untested")
	}
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{512, 1024, 2048, 4096, 8192, 8192 + 512, 3 * 8192, 65536, 1000, 640, 4097} {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-6))
		}
		mu := Mean(x)
		var want [4]float64
		withoutBatch(func() {
			want = [4]float64{Sum(x), SumSquares(x), SumSqDev(x, mu), Pairwise(x)}
		})
		got := [4]float64{Sum(x), SumSquares(x), SumSqDev(x, mu), Pairwise(x)}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("n=%d reduction %d: AVX2 %v, Go %v", n, i, got[i], want[i])
			}
		}
	}
}
