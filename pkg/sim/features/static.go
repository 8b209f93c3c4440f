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
		lo = min(lo, y)
		hi = max(hi, y)
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
	lim := m * s
	for i := range lim {
		row := f[i*n : i*n+lim]
		bi := (i / s) * m
		for j, x := range row {
			if x > th {
				b := bi + j/s
				if !occ[b] {
					occ[b] = true
					count++
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
// wrap-around) with an iterative breadth-first search on flat arrays. It
// returns their number and, if wantSizes, their sizes in the order of their
// first cell in a row-major scan.
func (w *workspace) clusters(f []float64, th float64, conn int, wantSizes bool) (int, []float64) {
	n := w.n
	label := w.label
	clear(label)
	queue := w.queue
	sizes := w.sizes[:0]
	count := int32(0)
	for start, x := range f {
		if !(x > th) || label[start] != 0 {
			continue
		}
		count++
		label[start] = count
		queue[0] = int32(start)
		head, tail := 0, 1
		for head < tail {
			k := int(queue[head])
			head++
			i, j := k/n, k%n
			for di := -1; di <= 1; di++ {
				ii := i + di
				if ii < 0 || ii >= n {
					continue
				}
				for dj := -1; dj <= 1; dj++ {
					jj := j + dj
					if jj < 0 || jj >= n || (di == 0 && dj == 0) || (conn == 4 && di != 0 && dj != 0) {
						continue
					}
					kk := ii*n + jj
					if label[kk] == 0 && f[kk] > th {
						label[kk] = count
						queue[tail] = int32(kk)
						tail++
					}
				}
			}
		}
		if wantSizes {
			sizes = append(sizes, float64(tail))
		}
	}
	w.sizes = sizes
	return int(count), sizes
}
