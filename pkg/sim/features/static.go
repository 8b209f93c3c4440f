package features

import (
	"math"

	"github.com/mfn-io/mfn-operator/pkg/sim/reduce"
)

// mvScale converts volts to millivolts (the reference multiplies by 1000.0).
const mvScale = 1000.0

// Bits of a cell in an activity mask: the cell is strictly above the low,
// medium and high thresholds (compared in volts, as the reference does).
const (
	bitLow uint8 = 1 << iota
	bitMed
	bitHigh
)

// thresholds are the three activity thresholds in volts
// (threshold_mv / 1000.0, a division as in the reference).
type thresholds struct{ low, med, high float64 }

func newThresholds(c Config) thresholds {
	return thresholds{volts(c.ThresholdLowMV), volts(c.ThresholdMedMV), volts(c.ThresholdHighMV)}
}

// volts converts a threshold from mV, with -0 made +0 so that bits is
// exact at zero (x > -0 and x > +0 are the same test).
func volts(mv float64) float64 {
	v := mv / mvScale
	if v == 0 {
		return 0
	}
	return v
}

// bits returns the mask bits of a cell with value x volts, without
// branches (a jitter field crosses the thresholds at random, which defeats
// branch prediction): for finite x and t, x > t exactly when t - x is
// negative (a nonzero difference of doubles never rounds to zero), i.e.
// when its sign bit is set. Results for NaN are unspecified; callers reject
// such fields.
func (th thresholds) bits(x float64) uint8 {
	lo := uint8(math.Float64bits(th.low-x) >> 63)
	med := uint8(math.Float64bits(th.med-x) >> 63)
	high := uint8(math.Float64bits(th.high-x) >> 63)
	return lo | med<<1 | high<<2
}

// workspace holds the O(N^2) scratch buffers of the static features so that
// a Stream allocates them once.
type workspace struct {
	n     int
	tmp   []float64 // centred powers
	label []int32   // union-find parents (-1 = inactive)
	count []int32   // cells per component root
	boxes []bool    // occupied boxes of one size
	mask  []uint8   // activity bits of the field
	sizes []float64 // low-threshold cluster sizes
}

func newWorkspace(n int) *workspace {
	nn := n * n
	return &workspace{
		n:     n,
		tmp:   make([]float64, nn),
		label: make([]int32, nn),
		count: make([]int32, nn),
		boxes: make([]bool, nn),
		mask:  make([]uint8, nn),
	}
}

// maskOf returns the activity bits of the field f (volts), in the
// workspace's mask buffer.
func (w *workspace) maskOf(f []float64, th thresholds) []uint8 {
	m := w.mask[:len(f)]
	for k, x := range f {
		m[k] = th.bits(x)
	}
	return m
}

// static fills the features computed from the final field: the basic
// statistics from mv (the field in mV, 1000 * volts) and the fractal and
// structural features from mask (bitLow/bitMed/bitHigh per cell). Temporal
// features are left untouched. The values must be finite.
func (w *workspace) static(mv []float64, mask []uint8, c Config, v *Vector) {
	w.basicStats(mv, v)
	v.DBox, v.DR2 = w.boxDimension(mask, BoxSizes(w.n, c))
	w.structure(mask, c.Connectivity, v)
}

// basicStats sets V_min, V_max, V_mean, V_std, V_skew, V_kurt (ENGINE.md
// §6.4) of the field in mV, M:
//
//	V_mean = S(M)/N^2, V_std = sqrt(S((M - V_mean)^2)/N^2)
//	V_skew = (S(c^3)/N^2) / V_std^3, V_kurt = (S(c^4)/N^2) / V_std^4 - 3
//
// with c = M - V_mean; skew and kurtosis are 0 when V_std <= 1e-10.
func (w *workspace) basicStats(m []float64, v *Vector) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, y := range m {
		// Inputs are finite (checked by the callers): plain comparisons.
		if y < lo {
			lo = y
		}
		if y > hi {
			hi = y
		}
	}
	nn := float64(len(m))
	mean := reduce.Sum(m) / nn
	std := math.Sqrt(reduce.SumSqDev(m, mean) / nn)
	v.VMin, v.VMax, v.VMean, v.VStd = lo, hi, mean, std
	v.VSkew, v.VKurt = 0, 0
	if !(std > 1e-10) {
		return
	}
	for k, y := range m {
		c := y - mean
		w.tmp[k] = float64(c*c) * c
	}
	m3 := reduce.Sum(w.tmp) / nn
	for k, y := range m {
		c := y - mean
		c2 := c * c
		w.tmp[k] = c2 * c2
	}
	m4 := reduce.Sum(w.tmp) / nn
	s2 := std * std
	v.VSkew = m3 / float64(s2*std)
	v.VKurt = m4/float64(s2*s2) - 3.0
}

// boxDimension returns D_box and D_r2 (ENGINE.md §6.3 steps 3-6) of the
// low-threshold mask for the given box sizes.
func (w *workspace) boxDimension(mask []uint8, sizes []int) (dbox, r2 float64) {
	var xs, ys [MaxNumScales]float64
	k := 0
	for _, s := range sizes {
		c := w.countBoxes(mask, s)
		if c == 0 {
			continue
		}
		xs[k] = math.Log(1.0 / float64(s))
		ys[k] = math.Log(float64(c))
		k++
	}
	if k < 2 {
		return 0, 0
	}
	d, c0 := slope(xs[:k], ys[:k])
	return d, rSquared(xs[:k], ys[:k], d, c0)
}

// countBoxes returns the number of s x s boxes of the top-left
// (N div s)*s square that contain at least one cell above the low threshold.
func (w *workspace) countBoxes(mask []uint8, s int) int {
	n := w.n
	if s <= 0 {
		return 0
	}
	m := n / s
	if m == 0 {
		return 0
	}
	occ := w.boxes[:m*m]
	clear(occ)
	count := 0
	for bi := range m {
		occRow := occ[bi*m : (bi+1)*m]
		for i := bi * s; i < (bi+1)*s; i++ {
			row := mask[i*n : i*n+m*s]
			for bj, done := range occRow {
				if done {
					continue
				}
				for _, b := range row[bj*s : (bj+1)*s] {
					if b&bitLow != 0 {
						occRow[bj] = true
						count++
						break
					}
				}
			}
		}
	}
	return count
}

// structure sets f_active, the three cluster counts, max_cluster_size and
// cluster_size_std (ENGINE.md §6.6).
func (w *workspace) structure(mask []uint8, conn int, v *Vector) {
	active := 0
	for _, b := range mask {
		active += int(b & bitLow)
	}
	v.FActive = float64(active) / float64(len(mask))
	var sizes []float64
	v.NClustersLow, sizes = w.clusters(mask, bitLow, conn, true)
	v.NClustersMed, _ = w.clusters(mask, bitMed, conn, false)
	v.NClustersHigh, _ = w.clusters(mask, bitHigh, conn, false)
	v.MaxClusterSize = 0
	for _, s := range sizes {
		v.MaxClusterSize = max(v.MaxClusterSize, int(s))
	}
	v.ClusterSizeStd = 0
	if len(sizes) >= 2 {
		v.ClusterSizeStd = reduce.Std(sizes)
	}
}

// clusters labels the connected components of the cells with bit set (no
// wrap-around) with union-find on flat arrays, in one row-major pass plus
// one counting pass; no recursion. The root of every component is its
// smallest cell index, i.e. its first cell in a row-major scan, so the
// sizes come out in the reference's order. It returns the number of
// components and, if wantSizes, their sizes.
func (w *workspace) clusters(mask []uint8, bit uint8, conn int, wantSizes bool) (int, []float64) {
	n := w.n
	parent := w.label // -1: inactive; otherwise a parent index
	for k, b := range mask {
		v := int32(-1)
		if b&bit != 0 {
			v = int32(k)
		}
		parent[k] = v
	}
	for i := range n {
		row := i * n
		for j := range n {
			k := row + j
			if parent[k] < 0 {
				continue
			}
			if j > 0 && parent[k-1] >= 0 {
				union(parent, k, k-1)
			}
			if i == 0 {
				continue
			}
			if parent[k-n] >= 0 {
				union(parent, k, k-n)
			}
			if conn == 8 {
				if j > 0 && parent[k-n-1] >= 0 {
					union(parent, k, k-n-1)
				}
				if j < n-1 && parent[k-n+1] >= 0 {
					union(parent, k, k-n+1)
				}
			}
		}
	}
	count := w.count
	roots := 0
	for k, p := range parent {
		if p < 0 {
			continue
		}
		r := find(parent, k)
		if r == int32(k) {
			roots++
			count[k] = 0
		}
		count[r]++
	}
	if !wantSizes {
		return roots, nil
	}
	sizes := w.sizes[:0]
	for k, p := range parent {
		if p == int32(k) {
			sizes = append(sizes, float64(count[k]))
		}
	}
	w.sizes = sizes
	return roots, sizes
}

// find returns the root of k, halving the path on the way.
func find(parent []int32, k int) int32 {
	x := int32(k)
	for parent[x] != x {
		parent[x] = parent[parent[x]]
		x = parent[x]
	}
	return x
}

// union joins the sets of a and b under the smaller root.
func union(parent []int32, a, b int) {
	ra, rb := find(parent, a), find(parent, b)
	switch {
	case ra < rb:
		parent[rb] = ra
	case rb < ra:
		parent[ra] = rb
	}
}
