package features

import (
	"math"
	"math/big"
	"slices"
	"sync"
)

// defaultSizes is the authoritative box-size table of ENGINE.md §6.3 for the
// default configuration (min 2, 5 scales), indexed by s_max = min(32, N div 2).
var defaultSizes = map[int][]int{
	2: {2}, 3: {2, 3}, 4: {2, 3, 4}, 5: {2, 3, 5}, 6: {2, 3, 4, 6}, 7: {2, 3, 5, 7},
	8: {2, 3, 5, 8}, 9: {2, 4, 6, 9}, 10: {2, 4, 6, 10}, 11: {2, 3, 4, 7, 11},
	12: {2, 3, 4, 7, 12}, 13: {2, 3, 5, 8, 13}, 14: {2, 3, 5, 8, 14},
	15: {2, 3, 5, 9, 15}, 16: {2, 3, 5, 9, 16}, 17: {2, 3, 5, 9, 17},
	18: {2, 3, 6, 10, 18}, 19: {2, 3, 6, 10, 19}, 20: {2, 3, 6, 11, 20},
	21: {2, 3, 6, 11, 21}, 22: {2, 3, 6, 12, 22}, 23: {2, 3, 6, 12, 23},
	24: {2, 3, 6, 12, 24}, 25: {2, 3, 7, 13, 25}, 26: {2, 3, 7, 13, 26},
	27: {2, 3, 7, 14, 27}, 28: {2, 3, 7, 14, 28}, 29: {2, 3, 7, 14, 29},
	30: {2, 3, 7, 15, 30}, 31: {2, 3, 7, 15, 31}, 32: {2, 4, 7, 16, 32},
}

// BoxSizes returns the distinct box edges used for D_box on an n x n field,
// in increasing order (ENGINE.md §6.3 step 2):
//
//	s_max = MaxBoxSize, or if 0: min(MinBoxSize * 2^(NumScales-1), n div 2 if n >= 4 else n)
//	s_max = max(s_max, MinBoxSize)
//	sizes = distinct trunc(geomspace(MinBoxSize, s_max, NumScales))
//
// For the default configuration the authoritative table is used; otherwise
// numpy's geomspace is emulated with correctly rounded log10 and pow, which
// reproduces numpy's near-integer interior values (e.g. 7.999999999999999
// for geomspace(2, 32, 5)[2]) where Go's math.Log10/math.Pow do not.
// The config must be valid.
func BoxSizes(n int, c Config) []int {
	smin := c.MinBoxSize
	smax := c.MaxBoxSize
	if smax == 0 {
		smax = smin
		for range c.NumScales - 1 {
			if smax > n {
				break // already above the cap below
			}
			smax *= 2
		}
		limit := n
		if n >= 4 {
			limit = n / 2
		}
		smax = min(smax, limit)
	}
	smax = max(smax, smin)
	if c.isDefaultBoxes() {
		if s, ok := defaultSizes[smax]; ok {
			return slices.Clone(s)
		}
	}
	return geomspaceTrunc(smin, smax, c.NumScales)
}

// geomspaceTrunc emulates numpy 1.24 geomspace(smin, smax, num) followed by
// astype(int) and unique:
//
//	la = log10(smin), lb = log10(smax), step = (lb - la) / (num - 1)
//	y_k = fl(k * step) + la   (k = 1..num-2; la when step == 0)
//	g_k = 10^y_k, g_0 = smin, g_{num-1} = smax
func geomspaceTrunc(smin, smax, num int) []int {
	la := log10CR(float64(smin))
	lb := log10CR(float64(smax))
	div := float64(num - 1)
	step := (lb - la) / div
	out := []int{smin, smax}
	for k := 1; k < num-1; k++ {
		y := la
		if step != 0 {
			y = float64(float64(k)*step) + la
		}
		out = append(out, int(pow10CR(y)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// bigPrec is the working precision (bits) of the correctly rounded log10
// and pow: far beyond the 53 bits of the result, so the final rounding to
// float64 is correct except for inputs within 2^-200 of a rounding boundary.
const bigPrec = 256

var bigConst struct {
	once sync.Once
	ln2  *big.Float
	ln10 *big.Float
}

func newBig() *big.Float { return new(big.Float).SetPrec(bigPrec) }

func lnConstants() (ln2, ln10 *big.Float) {
	bigConst.once.Do(func() {
		third := newBig().Quo(newBig().SetInt64(1), newBig().SetInt64(3))
		bigConst.ln2 = atanh2(third) // ln 2 = 2 atanh(1/3)
		bigConst.ln10 = bigLn(newBig().SetInt64(10), bigConst.ln2)
	})
	return bigConst.ln2, bigConst.ln10
}

// atanh2 returns 2*atanh(z) = 2 * sum z^(2k+1)/(2k+1) for |z| <= 1/3.
func atanh2(z *big.Float) *big.Float {
	sum := newBig().Set(z)
	z2 := newBig().Mul(z, z)
	pow := newBig().Set(z)
	term := newBig()
	for k := int64(1); ; k++ {
		pow.Mul(pow, z2)
		term.Quo(pow, newBig().SetInt64(2*k+1))
		if term.Sign() == 0 || term.MantExp(nil) < sum.MantExp(nil)-bigPrec-8 {
			break
		}
		sum.Add(sum, term)
	}
	return sum.Mul(sum, newBig().SetInt64(2))
}

// bigLn returns ln(x) for x > 0: x = m 2^e with m in [0.5, 1),
// ln x = 2 atanh((m-1)/(m+1)) + e ln 2.
func bigLn(x, ln2 *big.Float) *big.Float {
	m := newBig()
	e := x.MantExp(m)
	one := newBig().SetInt64(1)
	z := newBig().Quo(newBig().Sub(m, one), newBig().Add(m, one))
	r := atanh2(z)
	return r.Add(r, newBig().Mul(newBig().SetInt64(int64(e)), ln2))
}

// log10CR returns log10(x) correctly rounded, for finite x > 0.
func log10CR(x float64) float64 {
	ln2, ln10 := lnConstants()
	r := bigLn(newBig().SetFloat64(x), ln2)
	f, _ := r.Quo(r, ln10).Float64()
	return f
}

// pow10CR returns 10^y correctly rounded, for finite y of moderate size.
func pow10CR(y float64) float64 {
	ln2, ln10 := lnConstants()
	t := newBig().Mul(newBig().SetFloat64(y), ln10)
	// exp(t) = 2^k exp(r), k = round(t / ln 2), |r| <= ln(2)/2.
	kf, _ := newBig().Quo(t, ln2).Float64()
	k := int(math.Round(kf))
	r := newBig().Sub(t, newBig().Mul(newBig().SetInt64(int64(k)), ln2))
	sum := newBig().SetInt64(1)
	term := newBig().SetInt64(1)
	for i := int64(1); ; i++ {
		term.Mul(term, r)
		term.Quo(term, newBig().SetInt64(i))
		if term.Sign() == 0 || term.MantExp(nil) < -bigPrec-8 {
			break
		}
		sum.Add(sum, term)
	}
	sum.SetMantExp(sum, k)
	f, _ := sum.Float64()
	return f
}
