package features

import (
	"math"

	"github.com/mfn-io/mfn-operator/pkg/sim/reduce"
)

// mvScale converts volts to millivolts (the reference multiplies by 1000.0).
const mvScale = 1000.0

// workspace holds the O(N^2) scratch buffers of the static features so that
// a Stream allocates them once.
type workspace struct {
	n     int
	mv    []float64 // field in mV
	tmp   []float64 // centred powers
	label []int32   // cluster labels (0 = none)
	queue []int32   // BFS queue
	boxes []bool    // occupied boxes of one size
	sizes []float64 // low-threshold cluster sizes
}

func newWorkspace(n int) *workspace {
	nn := n * n
	return &workspace{
		n:     n,
		mv:    make([]float64, nn),
		tmp:   make([]float64, nn),
		label: make([]int32, nn),
		queue: make([]int32, nn),
		boxes: make([]bool, nn),
	}
}

// static fills the features computed from the final field f (volts): basic
// statistics, fractal dimension and structure. Temporal features are left
// untouched.
func (w *workspace) static(f []float64, c Config, v *Vector) {
	w.basicStats(f, v)
	thLow := c.ThresholdLowMV / mvScale
	sizes := BoxSizes(w.n, c)
	v.DBox, v.DR2 = w.boxDimension(f, thLow, sizes)
	w.structure(f, c, v)
}

// basicStats sets V_min, V_max, V_mean, V_std, V_skew, V_kurt (ENGINE.md
// §6.4) of M = 1000 * f:
//
//	V_mean = S(M)/N^2, V_std = sqrt(S((M - V_mean)^2)/N^2)
//	V_skew = (S(c^3)/N^2) / V_std^3, V_kurt = (S(c^4)/N^2) / V_std^4 - 3
//
// with c = M - V_mean; skew and kurtosis are 0 when V_std <= 1e-10.
func (w *workspace) basicStats(f []float64, v *Vector) {
	m := w.mv
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, x := range f {
		y := x * mvScale
		m[k] = y
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
// mask f > th for the given box sizes.
func (w *workspace) boxDimension(f []float64, th float64, sizes []int) (dbox, r2 float64) {
	var xs, ys [MaxNumScales]float64
	k := 0
	for _, s := range sizes {
		c := w.countBoxes(f, th, s)
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
// (N div s)*s square that contain at least one cell above th.
func (w *workspace) countBoxes(f []float64, th float64, s int) int {
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
			row := f[i*n : i*n+m*s]
			for bj, done := range occRow {
				if done {
					continue
				}
				for _, x := range row[bj*s : (bj+1)*s] {
					if x > th {
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
func (w *workspace) structure(f []float64, c Config, v *Vector) {
	thLow := c.ThresholdLowMV / mvScale
	active := 0
	for _, x := range f {
		if x > thLow {
			active++
		}
	}
	v.FActive = float64(active) / float64(len(f))
	var sizes []float64
	v.NClustersLow, sizes = w.clusters(f, thLow, c.Connectivity, true)
	v.NClustersMed, _ = w.clusters(f, c.ThresholdMedMV/mvScale, c.Connectivity, false)
	v.NClustersHigh, _ = w.clusters(f, c.ThresholdHighMV/mvScale, c.Connectivity, false)
	v.MaxClusterSize = 0
	for _, s := range sizes {
		v.MaxClusterSize = max(v.MaxClusterSize, int(s))
	}
	v.ClusterSizeStd = 0
	if len(sizes) >= 2 {
		v.ClusterSizeStd = reduce.Std(sizes)
	}
}

// clusters labels the connected components of the cells above th (no
// wrap-around) with union-find on flat arrays, in one row-major pass plus
// one counting pass; no recursion. The root of every component is its
// smallest cell index, i.e. its first cell in a row-major scan, so the
// sizes come out in the reference's order. It returns the number of
// components and, if wantSizes, their sizes.
func (w *workspace) clusters(f []float64, th float64, conn int, wantSizes bool) (int, []float64) {
	n := w.n
	parent := w.label // -1: inactive; otherwise a parent index
	for k, x := range f {
		v := int32(-1)
		if x > th {
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
	count := w.queue // per-root cell counts
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
