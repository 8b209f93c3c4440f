package reduce

import "math"

// BlockSize is the number of elements numpy sums pairwise before adding the
// partial result to its running accumulator (its buffer size).
const BlockSize = 8192

// leafSize is the largest slice that numpy's pairwise summation adds with
// the 8-accumulator loop instead of splitting further.
const leafSize = 128

// Sum returns numpy's add.reduce of x: x split into consecutive blocks of
// BlockSize elements, each summed pairwise, the block sums added in order to
// an accumulator that starts at 0.0.
func Sum(x []float64) float64 {
	acc := 0.0
	for len(x) > BlockSize {
		acc += Pairwise(x[:BlockSize])
		x = x[BlockSize:]
	}
	return acc + Pairwise(x)
}

// Mean returns Sum(x) / len(x) (NaN for an empty slice, as numpy).
func Mean(x []float64) float64 {
	return Sum(x) / float64(len(x))
}

// Var returns the population variance as numpy computes it:
//
//	mu  = Sum(x) / n
//	var = Sum((x_k - mu) * (x_k - mu)) / n
func Var(x []float64) float64 {
	return SumSqDev(x, Mean(x)) / float64(len(x))
}

// Std returns the population standard deviation (ddof 0) as numpy computes
// it: math.Sqrt(Var(x)).
func Std(x []float64) float64 {
	return math.Sqrt(Var(x))
}

// StdOfSum returns the population std of x given sum = Sum(x), which a
// caller may already have (see Summer.AddSum).
func StdOfSum(x []float64, sum float64) float64 {
	n := float64(len(x))
	return math.Sqrt(SumSqDev(x, sum/n) / n)
}

// SumSqDev returns Sum of the squared deviations (x_k - mu) * (x_k - mu)
// as numpy sums the temporary array of squares, without materialising it:
// each square is computed (and rounded) exactly as it would be stored, then
// added in Pairwise's order.
func SumSqDev(x []float64, mu float64) float64 {
	return sumKind(x, mu, kindSqDev)
}

// SumSquares returns Sum of x_k * x_k (numpy's sum(x**2)) without
// materialising the squares. (It is SumSqDev with mu = 0: x - 0.0 is
// exactly x, signed zeros included, so the squares are the same.)
func SumSquares(x []float64) float64 {
	return sumKind(x, 0, kindSqDev)
}

// Pairwise returns numpy's pairwise sum of x (one block; no BlockSize
// split):
//
//	n < 8:        ((0 + x0) + x1) + ...
//	8 <= n <= 128: eight strided partial sums p0..p7, combined as
//	              ((p0+p1)+(p2+p3))+((p4+p5)+(p6+p7)), then the n mod 8
//	              remaining elements added in order
//	n > 128:      h = n/2 rounded down to a multiple of 8;
//	              Pairwise(x[:h]) + Pairwise(x[h:])
func Pairwise(x []float64) float64 {
	return pairwiseKind(x, 0, kindSum)
}

// kind selects the values a reduction sums: x_k or (x_k - mu)^2.
type kind int

const (
	kindSum kind = iota
	kindSqDev
)

// sumKind is Sum over the values selected by k.
func sumKind(x []float64, mu float64, k kind) float64 {
	acc := 0.0
	for len(x) > BlockSize {
		acc += pairwiseKind(x[:BlockSize], mu, k)
		x = x[BlockSize:]
	}
	return acc + pairwiseKind(x, mu, k)
}

// pairwiseKind is Pairwise over the values selected by k. Slices of
// 128 * 2^j values (4 to 64 leaves) split into a perfectly balanced tree of
// 128-value leaves; those leaves are summed in batches by a SIMD kernel when
// there is one (leavesBatch), then combined level by level, which is the
// same tree as the recursion.
func pairwiseKind(x []float64, mu float64, k kind) float64 {
	n := len(x)
	if n <= leafSize {
		return leaf(x, mu, k)
	}
	if n >= 4*leafSize && n <= BlockSize && n&(n-1) == 0 && haveLeavesBatch {
		var sums [BlockSize / leafSize]float64
		w := n / leafSize
		leavesBatch(x, mu, k, sums[:w])
		for ; w > 1; w /= 2 {
			for i := range w / 2 {
				sums[i] = sums[2*i] + sums[2*i+1]
			}
		}
		return sums[0]
	}
	h := n / 2
	h -= h % 8
	return pairwiseKind(x[:h], mu, k) + pairwiseKind(x[h:], mu, k)
}

// leaf sums at most leafSize values selected by k in Pairwise's leaf order.
func leaf(x []float64, mu float64, k kind) float64 {
	if k == kindSqDev {
		return leafSqDev(x, mu)
	}
	return leafSum(x)
}

// leafSum is Pairwise for len(x) <= leafSize.
func leafSum(x []float64) float64 {
	n := len(x)
	if n < 8 {
		r := 0.0
		for _, v := range x {
			r += v
		}
		return r
	}
	p0, p1, p2, p3 := x[0], x[1], x[2], x[3]
	p4, p5, p6, p7 := x[4], x[5], x[6], x[7]
	end := n - n%8
	i := 8
	for ; i < end; i += 8 {
		g := x[i : i+8 : i+8]
		p0 += g[0]
		p1 += g[1]
		p2 += g[2]
		p3 += g[3]
		p4 += g[4]
		p5 += g[5]
		p6 += g[6]
		p7 += g[7]
	}
	r := ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
	for ; i < n; i++ {
		r += x[i]
	}
	return r
}

// leafSqDev is leafSum over (x_k - mu)^2. The explicit float64
// conversions keep the compiler from fusing square and sum into one FMA.
func leafSqDev(x []float64, mu float64) float64 {
	sq := func(v float64) float64 { d := v - mu; return float64(d * d) }
	n := len(x)
	if n < 8 {
		r := 0.0
		for _, v := range x {
			r += sq(v)
		}
		return r
	}
	p0, p1, p2, p3 := sq(x[0]), sq(x[1]), sq(x[2]), sq(x[3])
	p4, p5, p6, p7 := sq(x[4]), sq(x[5]), sq(x[6]), sq(x[7])
	end := n - n%8
	i := 8
	for ; i < end; i += 8 {
		g := x[i : i+8 : i+8]
		p0 += sq(g[0])
		p1 += sq(g[1])
		p2 += sq(g[2])
		p3 += sq(g[3])
		p4 += sq(g[4])
		p5 += sq(g[5])
		p6 += sq(g[6])
		p7 += sq(g[7])
	}
	r := ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
	for ; i < n; i++ {
		r += sq(x[i])
	}
	return r
}
