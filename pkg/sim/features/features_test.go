package features

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"min_box_0", func(c *Config) { c.MinBoxSize = 0 }, "min_box_size must be at least 1"},
		{"max_box_negative", func(c *Config) { c.MaxBoxSize = -1 }, "max_box_size"},
		{"num_scales_1", func(c *Config) { c.NumScales = 1 }, "num_scales must be at least 2"},
		{"num_scales_too_many", func(c *Config) { c.NumScales = MaxNumScales + 1 }, "num_scales must be at most 64"},
		{"connectivity_6", func(c *Config) { c.Connectivity = 6 }, "connectivity must be 4 or 8"},
		{"window_0", func(c *Config) { c.StabilityWindow = 0 }, "stability_window must be at least 1"},
		{"threshold_nan", func(c *Config) { c.ThresholdMedMV = math.NaN() }, "threshold_med_mv must be finite"},
		{"stability_inf", func(c *Config) { c.StabilityThresholdMV = math.Inf(1) }, "stability_threshold_mv must be finite"},
		{"connectivity_8", func(c *Config) { c.Connectivity = 8 }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	c := DefaultConfig()
	if _, err := FromHistory(make([]float64, 15), 1, 4, c); err == nil || !strings.Contains(err.Error(), "history has 15 values") {
		t.Errorf("short history: %v", err)
	}
	if _, err := FromHistory(nil, 0, 4, c); err == nil || !strings.Contains(err.Error(), "snapshots must be at least 1") {
		t.Errorf("t = 0: %v", err)
	}
	if _, err := FromField(nil, 0, c); err == nil || !strings.Contains(err.Error(), "grid size") {
		t.Errorf("n = 0: %v", err)
	}
	f := make([]float64, 16)
	f[5] = math.NaN()
	if _, err := FromField(f, 4, c); err == nil || !strings.Contains(err.Error(), "cell 5") {
		t.Errorf("NaN: %v", err)
	}
	bad := c
	bad.Connectivity = 3
	if _, err := FromField(make([]float64, 16), 4, bad); err == nil {
		t.Error("invalid config accepted")
	}
	if _, err := NewStream(4, bad); err == nil {
		t.Error("NewStream accepted an invalid config")
	}
	st, err := NewStream(4, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Features(); !errors.Is(err, ErrNoSnapshots) {
		t.Errorf("Features before Add: %v", err)
	}
	if err := st.Add(make([]float64, 9)); err == nil {
		t.Error("Add accepted a 3x3 field for n = 4")
	}
	if err := st.Add(f); err == nil || st.Len() != 0 {
		t.Errorf("Add accepted NaN (err %v, len %d)", err, st.Len())
	}
}

// field builds an n x n field at -70 mV with the listed cells at v volts.
func field(n int, v float64, cells ...[2]int) []float64 {
	f := make([]float64, n*n)
	for k := range f {
		f[k] = -0.070
	}
	for _, c := range cells {
		f[c[0]*n+c[1]] = v
	}
	return f
}

func TestClusters(t *testing.T) {
	// (1,0)-(1,1) share an edge; (1,1)-(2,2) touch only at a corner, so
	// they join only with 8-connectivity. (0,5) at the right border and
	// (1,0) at the left border of the next row are consecutive in memory
	// but not neighbours (no wrap), and neither are the top and bottom
	// rows ((0,5) and (5,3) are in different columns anyway).
	cells := [][2]int{{1, 1}, {2, 2}, {0, 5}, {1, 0}, {5, 3}}
	f := field(6, -0.045, cells...)
	v4, err := FromField(f, 6, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if v4.NClustersLow != 4 || v4.NClustersMed != 4 || v4.NClustersHigh != 0 || v4.MaxClusterSize != 2 {
		t.Errorf("4-conn: %+v", v4)
	}
	c8 := DefaultConfig()
	c8.Connectivity = 8
	v8, err := FromField(f, 6, c8)
	if err != nil {
		t.Fatal(err)
	}
	// (1,0), (1,1), (2,2) form one 8-connected cluster of 3.
	if v8.NClustersLow != 3 || v8.MaxClusterSize != 3 {
		t.Errorf("8-conn: %+v", v8)
	}
	// Sizes 3, 1, 1 (any order): population std sqrt(8/9).
	if want := math.Sqrt(8.0 / 9.0); math.Abs(v8.ClusterSizeStd-want) > 1e-15 {
		t.Errorf("cluster_size_std = %v, want %v", v8.ClusterSizeStd, want)
	}
	if v4.FActive != 5.0/36.0 {
		t.Errorf("f_active = %v", v4.FActive)
	}
}

// A spiral-shaped cluster covering most of a large grid: the labelling is
// iterative, so a component of 250 000 cells must not exhaust the stack.
func TestLargeSnakeCluster(t *testing.T) {
	n := 512
	f := field(n, -0.070)
	for i := 0; i < n; i += 2 {
		for j := range n {
			f[i*n+j] = -0.030
		}
		if i+1 < n {
			j := n - 1
			if (i/2)%2 == 1 {
				j = 0
			}
			f[(i+1)*n+j] = -0.030
		}
	}
	v, err := FromField(f, n, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	// n/2 full rows plus one connector cell below each of them (the last
	// connector, in row n-1, hangs off the last full row).
	want := (n/2)*n + n/2
	if v.NClustersLow != 1 || v.MaxClusterSize != want {
		t.Fatalf("clusters %d, max size %d, want 1 and %d", v.NClustersLow, v.MaxClusterSize, want)
	}
}

func TestEdgeCasesOfSpec(t *testing.T) {
	c := DefaultConfig()
	// Temporal features of a single snapshot are zero.
	v, err := FromField(field(8, -0.03, [2]int{0, 0}), 8, c)
	if err != nil {
		t.Fatal(err)
	}
	if v.DVMean != 0 || v.DVMax != 0 || v.TStable != 0 || v.ETrend != 0 {
		t.Errorf("single snapshot temporal features %+v", v)
	}
	// One active cell: equal counts at every scale, D_box 0.
	if v.DBox != 0 || v.DR2 != 0 {
		t.Errorf("single active cell: D_box %v D_r2 %v", v.DBox, v.DR2)
	}
	// A linear energy ramp: E_trend is the exact slope, T_stable = T when
	// T <= window.
	n, steps := 4, 6
	h := make([]float64, 0, steps*n*n)
	for s := range steps {
		for range n * n {
			h = append(h, -0.070+0.001*float64(s))
		}
	}
	v, err = FromHistory(h, steps, n, c)
	if err != nil {
		t.Fatal(err)
	}
	if v.TStable != steps {
		t.Errorf("T_stable = %d, want %d", v.TStable, steps)
	}
	// E_t = 16 * (-70 + t)^2 mV^2; its least-squares slope over t = 0..5
	// is 16 * (2 * (-70) + 5) = -2160.
	if math.Abs(v.ETrend-(-2160)) > 1e-9 {
		t.Errorf("E_trend = %v, want -2160", v.ETrend)
	}
	if math.Abs(v.DVMean-1) > 1e-12 || math.Abs(v.DVMax-1) > 1e-12 {
		t.Errorf("dV_mean %v dV_max %v, want 1", v.DVMean, v.DVMax)
	}
}

// randomHistory returns t snapshots of n x n cells: a drifting noisy field
// with some active blobs and, from step quiet on, almost no change so that
// T_stable is found.
func randomHistory(r *rand.Rand, t, n, quiet int) []float64 {
	h := make([]float64, t*n*n)
	cur := make([]float64, n*n)
	for k := range cur {
		cur[k] = -0.07 + 0.02*r.NormFloat64()
	}
	for s := range t {
		amp := 0.005
		if s >= quiet {
			amp = 1e-10
		}
		for k := range cur {
			cur[k] += amp * r.NormFloat64()
		}
		copy(h[s*n*n:], cur)
	}
	return h
}

// Stream and FromHistory are separate implementations of the temporal
// features (streaming Summer across snapshots vs one reduction over the
// materialised array); they must agree bit for bit, including grids whose
// N^2 is not a multiple of numpy's 8192-value block.
func TestStreamEqualsHistory(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 1))
	for _, tc := range []struct{ t, n, quiet int }{
		{1, 5, 0}, {2, 4, 9}, {12, 8, 2}, {30, 100, 10}, {9, 91, 3}, {5, 128, 1}, {40, 13, 25},
	} {
		h := randomHistory(r, tc.t, tc.n, tc.quiet)
		for _, c := range []Config{DefaultConfig(), {MinBoxSize: 1, NumScales: 7, ThresholdLowMV: -75, ThresholdMedMV: -70, ThresholdHighMV: -60, StabilityThresholdMV: 0.001, StabilityWindow: 3, Connectivity: 8}} {
			want, err := FromHistory(h, tc.t, tc.n, c)
			if err != nil {
				t.Fatal(err)
			}
			st, err := NewStream(tc.n, c)
			if err != nil {
				t.Fatal(err)
			}
			nn := tc.n * tc.n
			for s := range tc.t {
				if err := st.Add(h[s*nn : (s+1)*nn]); err != nil {
					t.Fatal(err)
				}
			}
			got, err := st.Features()
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("T=%d N=%d: Stream\n%+v\nFromHistory\n%+v", tc.t, tc.n, got, want)
			}
			if tc.t > 3 && tc.quiet+3 < tc.t && c.StabilityWindow == 3 && got.TStable == tc.t {
				t.Errorf("T=%d N=%d: no stable run found despite quiet steps", tc.t, tc.n)
			}
		}
	}
}

func TestVectorViews(t *testing.T) {
	v := Vector{DBox: 1.5, TStable: 7, MaxClusterSize: 3, ClusterSizeStd: 0.5}
	vals := v.Values()
	if vals[0] != 1.5 || vals[10] != 7 || vals[16] != 3 || vals[17] != 0.5 {
		t.Fatalf("Values = %v", vals)
	}
	m := v.Map()
	if len(m) != Count || m["T_stable"] != 7 || m["D_box"] != 1.5 {
		t.Fatalf("Map = %v", m)
	}
	if Names()[8] != "dV_mean" || len(Names()) != Count {
		t.Fatalf("Names = %v", Names())
	}
}

// FuzzFeatures feeds arbitrary bytes as a small history: no input may
// panic, and Stream must agree with FromHistory whenever both succeed.
func FuzzFeatures(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(4), uint8(2), uint8(4))
	f.Add([]byte{255, 0, 128, 64}, uint8(1), uint8(1), uint8(8))
	f.Add(make([]byte, 300), uint8(7), uint8(3), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, n8, t8, conn uint8) {
		n, steps := int(n8%12)+1, int(t8%6)+1
		h := make([]float64, steps*n*n)
		for k := range h {
			b := byte(0)
			if len(data) > 0 {
				b = data[k%len(data)]
			}
			h[k] = -0.1 + float64(b)/1000
		}
		c := DefaultConfig()
		c.Connectivity = int(conn)
		c.StabilityWindow = 2
		want, errH := FromHistory(h, steps, n, c)
		st, errS := NewStream(n, c)
		if (errH == nil) != (errS == nil) {
			t.Fatalf("FromHistory err %v, NewStream err %v", errH, errS)
		}
		if errS != nil {
			return
		}
		for s := range steps {
			if err := st.Add(h[s*n*n : (s+1)*n*n]); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.Features()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("Stream %+v != FromHistory %+v", got, want)
		}
	})
}

func TestDiff(t *testing.T) {
	want := Vector{DBox: 1.5, VMean: -70, VSkew: 1000, ETrend: -5, TStable: 3}
	if d := Diff(want, want, 0); d != nil {
		t.Fatalf("identical vectors differ: %v", d)
	}
	got := want
	got.DBox += 5e-13  // within 1e-12
	got.VSkew += 5e-10 // within 1e-12 * 1000
	got.ETrend += 1e-7 // within 1e-12 * 1e6
	got.VMean = -70.00000000000001
	got.TStable = 4
	d := Diff(got, want, 1e6)
	if len(d) != 2 || !strings.HasPrefix(d[0], "V_mean") || !strings.HasPrefix(d[1], "T_stable") {
		t.Fatalf("Diff = %q, want V_mean and T_stable", d)
	}
	got = want
	got.DR2 = math.NaN()
	if d := Diff(got, want, 0); len(d) != 1 {
		t.Fatalf("NaN D_r2 not reported: %q", d)
	}
	if e := MaxEnergy([]float64{0.001, 0.002, 0.003, 0.001}, 1); e != 9 {
		t.Fatalf("MaxEnergy = %v, want 9", e)
	}
}

// The branch-free threshold bits must equal the plain comparisons,
// including values equal to a threshold, its neighbours and signed zeros.
func TestThresholdBits(t *testing.T) {
	th := newThresholds(DefaultConfig())
	vals := []float64{-1, -0.095, -0.06, math.Nextafter(-0.06, 0), math.Nextafter(-0.06, -1), -0.05, -0.04,
		math.Nextafter(-0.04, 0), 0, math.Copysign(0, -1), 0.04, 5e-324, -5e-324, 1e300, -1e300}
	r := rand.New(rand.NewPCG(11, 12))
	for range 1000 {
		vals = append(vals, -0.1+0.15*r.Float64())
	}
	for _, x := range vals {
		var want uint8
		if x > th.low {
			want |= bitLow
		}
		if x > th.med {
			want |= bitMed
		}
		if x > th.high {
			want |= bitHigh
		}
		if got := th.bits(x); got != want {
			t.Fatalf("bits(%v) = %03b, want %03b", x, got, want)
		}
	}
	zero := newThresholds(Config{ThresholdLowMV: 0, ThresholdMedMV: math.Copysign(0, -1), ThresholdHighMV: 1e-300})
	for _, x := range []float64{0, math.Copysign(0, -1), 5e-324, -5e-324} {
		var want uint8
		if x > 0 {
			want |= bitLow | bitMed
		}
		if x > 1e-300/1000 {
			want |= bitHigh
		}
		if got := zero.bits(x); got != want {
			t.Fatalf("zero thresholds: bits(%v) = %03b, want %03b", x, got, want)
		}
	}
}
