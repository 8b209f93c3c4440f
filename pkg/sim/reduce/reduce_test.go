package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// p53 is 2^53: above it the spacing of doubles is 2, so adding 1.0 ties
// and rounds to even (back to 2^53). The expected values below follow from
// that rule by hand, for each summation order of numpy's algorithm.
const p53 = 1 << 53

func ones(n int, first float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
	}
	x[0] = first
	return x
}

func TestSumOrder(t *testing.T) {
	tests := []struct {
		name string
		x    []float64
		want float64
	}{
		{"empty", nil, 0},
		{"single", []float64{-0.5}, -0.5},
		// n < 8: sequential from 0.0, each 1 lost against 2^53.
		{"sequential_7", ones(7, p53), p53},
		// n = 9: one group; p0 = 2^53, p1..p7 = 1;
		// ((2^53+1 -> 2^53) + 2) + 4 = 2^53 + 6, then x8 added alone:
		// 2^53 + 7 is a tie between +6 and +8; +8 has the even mantissa.
		// A sequential loop would give 2^53.
		{"unrolled_9", ones(9, p53), p53 + 8},
		// n = 16: two groups, p_m = x_m + x_{8+m}: p0 = 2^53 (1 lost),
		// p1..p7 = 2; ((2^53 + 2) + 4) + 8 = 2^53 + 14.
		{"unrolled_16", ones(16, p53), p53 + 14},
		// n = 200 > 128: halves of 96 and 104 elements.
		// Left leaf: p0 = 2^53 (11 ones lost), p1..p7 = 12 each -> 2^53+84.
		// Right leaf: 104. Total 2^53 + 188 (exact, even).
		// A single 200-element leaf would give 2^53 + 175 -> 2^53 + 176.
		{"split_200", ones(200, p53), p53 + 188},
		// Leading +0.0 accumulator: -0.0 + -0.0 sums to +0.0 in numpy.
		{"negative_zero", []float64{math.Copysign(0, -1), math.Copysign(0, -1)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Sum(tc.x)
			if got != tc.want || math.Signbit(got) != math.Signbit(tc.want) {
				t.Fatalf("Sum = %v (%x), want %v", got, math.Float64bits(got), tc.want)
			}
		})
	}
}

func TestSumBlocks(t *testing.T) {
	// 8192 ones followed by 0.5 repeated: the first block sums to exactly
	// 8192, every later block's pairwise sum is exact too, so the block
	// split is invisible; instead check the split point through a value
	// that only rounds away when it is added to the accumulator rather
	// than inside the pairwise tree.
	//
	// Block 0: x0 = 2^53, 8191 ones. Leaves of 128: the first leaf has
	// p0 = 2^53 (15 ones lost), p1..p7 = 16 -> 2^53 + 112; the other 63
	// leaves give 128 each -> block sum 2^53 + 112 + 8064 = 2^53 + 8176.
	// Block 1: a single 1.0 -> acc = 2^53 + 8177, a tie rounded to even
	// (2^53 + 8176).
	x := ones(BlockSize+1, p53)
	if got, want := Sum(x), float64(p53+8176); got != want {
		t.Fatalf("Sum = %v, want %v", got, want)
	}
	// Block 1 of two values 1.0 and 1.0: pairwise 2.0 added at once, no
	// rounding: 2^53 + 8178. Adding them one at a time to the accumulator
	// would give 2^53 + 8176 again.
	x = append(x, 1)
	if got, want := Sum(x), float64(p53+8178); got != want {
		t.Fatalf("Sum = %v, want %v", got, want)
	}
}

func TestMeanStd(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	if got := Mean(x); got != 2.5 {
		t.Fatalf("Mean = %v", got)
	}
	// deviations -1.5, -0.5, 0.5, 1.5 -> squares sum 5 -> var 1.25.
	if got := Var(x); got != 1.25 {
		t.Fatalf("Var = %v", got)
	}
	if got := Std(x); got != math.Sqrt(1.25) {
		t.Fatalf("Std = %v", got)
	}
	if got := Std([]float64{-0.07, -0.07, -0.07}); got != 0 {
		t.Fatalf("Std of constant = %v", got)
	}
	if !math.IsNaN(Mean(nil)) {
		t.Fatal("Mean(nil) should be NaN as in numpy")
	}
}

// SumSqDev and SumSquares compute the squares on the fly; they must agree
// bit for bit with Sum over the materialised squares, for every length.
func TestSumSqDevMatchesMaterialised(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 129, BlockSize - 1, BlockSize, BlockSize + 1, 3*BlockSize + 77} {
		x := make([]float64, n)
		for i := range x {
			x[i] = -0.07 + 0.005*r.NormFloat64()
		}
		mu := Mean(x)
		sq := make([]float64, n)
		for i, v := range x {
			sq[i] = (v - mu) * (v - mu)
		}
		if got, want := SumSqDev(x, mu), Sum(sq); got != want {
			t.Fatalf("n=%d: SumSqDev = %v, Sum(squares) = %v", n, got, want)
		}
		for i, v := range x {
			sq[i] = v * v
		}
		if got, want := SumSquares(x), Sum(sq); got != want {
			t.Fatalf("n=%d: SumSquares = %v, Sum(squares) = %v", n, got, want)
		}
	}
}

// A naive left-to-right loop differs from numpy's order on ordinary data:
// guards against a refactor to a simple loop.
func TestSumDiffersFromNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 10000)
	naive := 0.0
	for i := range x {
		x[i] = r.Float64() * 1e3
		naive += x[i]
	}
	if Sum(x) == naive {
		t.Fatal("pairwise sum equals naive sum on 10000 random values; order not applied")
	}
}

func TestSummerPieces(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 5, 100, BlockSize, BlockSize + 3, 5*BlockSize - 1, 70000} {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64() * 1e3
		}
		want := Sum(x)
		for trial := range 20 {
			var s Summer
			rest := x
			for len(rest) > 0 {
				var k int
				switch trial % 3 {
				case 0:
					k = 1 + r.IntN(min(len(rest), 50))
				case 1:
					k = 1 + r.IntN(len(rest))
				default:
					k = min(len(rest), 4096) // a grid of 64x64 per piece
				}
				s.Add(rest[:k])
				rest = rest[k:]
			}
			if got := s.Sum(); got != want {
				t.Fatalf("n=%d trial %d: Summer = %v, Sum = %v", n, trial, got, want)
			}
			if s.Len() != n {
				t.Fatalf("Len = %d, want %d", s.Len(), n)
			}
		}
	}
}

func TestSummerAddSum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, piece := range []int{1, 100, 4096, BlockSize, BlockSize + 5, 2 * BlockSize, 65536} {
		var s, ref Summer
		all := []float64(nil)
		for range 5 {
			x := make([]float64, piece)
			for i := range x {
				x[i] = r.NormFloat64()
			}
			all = append(all, x...)
			ref.Add(x)
			if got, want := s.AddSum(x), Sum(x); got != want {
				t.Fatalf("piece %d: AddSum = %v, Sum = %v", piece, got, want)
			}
		}
		if s.Sum() != ref.Sum() || s.Sum() != Sum(all) || s.Len() != len(all) {
			t.Fatalf("piece %d: running sum %v, want %v", piece, s.Sum(), Sum(all))
		}
	}
}

func TestSummerAddBlockSums(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := make([]float64, 3*BlockSize)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	var s, ref Summer
	for b := range 3 {
		s.AddBlockSums([]float64{Pairwise(x[b*BlockSize : (b+1)*BlockSize])})
	}
	ref.Add(x)
	if s.Sum() != ref.Sum() || s.Sum() != Sum(x) || s.Len() != ref.Len() {
		t.Fatalf("AddBlockSums: %v (len %d), Add: %v (len %d)", s.Sum(), s.Len(), ref.Sum(), ref.Len())
	}
	s.Add(x[:3])
	defer func() {
		if recover() == nil {
			t.Fatal("AddBlockSums on an unaligned Summer did not panic")
		}
	}()
	s.AddBlockSums([]float64{1})
}

func TestSummerSumIsNonDestructive(t *testing.T) {
	var s Summer
	x := ones(BlockSize+10, 0.25)
	s.Add(x[:100])
	_ = s.Sum()
	s.Add(x[100:])
	if got, want := s.Sum(), Sum(x); got != want {
		t.Fatalf("Summer after intermediate Sum = %v, want %v", got, want)
	}
	if got, want := s.Mean(), Mean(x); got != want {
		t.Fatalf("Mean = %v, want %v", got, want)
	}
	s.Reset()
	if s.Sum() != 0 || s.Len() != 0 {
		t.Fatal("Reset did not empty the Summer")
	}
}

func BenchmarkSum(b *testing.B) {
	x := ones(256*256, 0.5)
	b.ReportAllocs()
	b.SetBytes(int64(len(x) * 8))
	for b.Loop() {
		_ = Sum(x)
	}
}

func BenchmarkSumSqDev(b *testing.B) {
	x := ones(256*256, 0.5)
	b.ReportAllocs()
	b.SetBytes(int64(len(x) * 8))
	for b.Loop() {
		_ = SumSqDev(x, 0.25)
	}
}
