package features

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
)

// goldenEdge is one synthetic case of feature_edge_cases in
// engine_cases.json.
type goldenEdge struct {
	ID            string          `json:"id"`
	FeatureConfig json.RawMessage `json:"feature_config"`
	Shape         []int           `json:"shape"`
	Input         any             `json:"input"`
	Features      Vector          `json:"features"`
	BoxSizes      []int           `json:"box_sizes"`
}

// flatten appends the numbers of a nested JSON list in row-major order.
func flatten(dst []float64, v any) []float64 {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			dst = flatten(dst, e)
		}
	case float64:
		dst = append(dst, x)
	}
	return dst
}

// configOverlay returns DefaultConfig with the given JSON keys applied.
func configOverlay(t *testing.T, raw json.RawMessage) Config {
	t.Helper()
	c := DefaultConfig()
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("feature_config: %v", err)
		}
	}
	return c
}

// maxEnergy returns max_t S(Hm_t^2) (mV^2), the scale of the E_trend
// tolerance of ENGINE.md §8.2.
func maxEnergy(history []float64, nn int) float64 {
	e := 0.0
	for s := 0; s+nn <= len(history); s += nn {
		sum := 0.0
		for _, x := range history[s : s+nn] {
			sum += (x * 1000) * (x * 1000)
		}
		e = max(e, sum)
	}
	return e
}

// compareVector checks got against the reference want with the tolerances
// of ENGINE.md §8: bit-exact for everything computed by numpy reductions,
// 1e-12 (absolute, or relative to the magnitude for V_skew/V_kurt and to
// the largest energy for E_trend) for the features computed through LAPACK
// least squares or library pow, whose last bits differ by design.
// skipR2 skips D_r2 for the degenerate equal-counts fit (§6.3 step 6).
func compareVector(got, want Vector, eMax float64, skipR2 bool) []string {
	var diffs []string
	exact := func(name string, g, w float64) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v (exact)", name, g, w))
		}
	}
	near := func(name string, g, w, tol float64) {
		if !(math.Abs(g-w) <= tol) {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v (diff %g > tol %g)", name, g, w, math.Abs(g-w), tol))
		}
	}
	near("D_box", got.DBox, want.DBox, 1e-12)
	if !skipR2 {
		near("D_r2", got.DR2, want.DR2, 1e-12)
	}
	exact("V_min", got.VMin, want.VMin)
	exact("V_max", got.VMax, want.VMax)
	exact("V_mean", got.VMean, want.VMean)
	exact("V_std", got.VStd, want.VStd)
	near("V_skew", got.VSkew, want.VSkew, 1e-12*max(1, math.Abs(want.VSkew)))
	near("V_kurt", got.VKurt, want.VKurt, 1e-12*max(1, math.Abs(want.VKurt)))
	exact("dV_mean", got.DVMean, want.DVMean)
	exact("dV_max", got.DVMax, want.DVMax)
	exact("T_stable", float64(got.TStable), float64(want.TStable))
	near("E_trend", got.ETrend, want.ETrend, 1e-12*max(1, eMax))
	exact("f_active", got.FActive, want.FActive)
	exact("N_clusters_low", float64(got.NClustersLow), float64(want.NClustersLow))
	exact("N_clusters_med", float64(got.NClustersMed), float64(want.NClustersMed))
	exact("N_clusters_high", float64(got.NClustersHigh), float64(want.NClustersHigh))
	exact("max_cluster_size", float64(got.MaxClusterSize), float64(want.MaxClusterSize))
	exact("cluster_size_std", got.ClusterSizeStd, want.ClusterSizeStd)
	return diffs
}

func TestGoldenEdgeCases(t *testing.T) {
	var file struct {
		FeatureEdgeCases struct {
			Cases []goldenEdge `json:"cases"`
		} `json:"feature_edge_cases"`
	}
	golden.Load(t, "engine_cases.json", &file)
	cases := file.FeatureEdgeCases.Cases
	if len(cases) < 10 {
		t.Fatalf("only %d edge cases in the golden file", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.ID, func(t *testing.T) {
			c := configOverlay(t, tc.FeatureConfig)
			x := flatten(nil, tc.Input)
			n := tc.Shape[len(tc.Shape)-1]
			steps := 1
			if len(tc.Shape) == 3 {
				steps = tc.Shape[0]
			}
			if len(x) != steps*n*n {
				t.Fatalf("input has %d values for shape %v", len(x), tc.Shape)
			}
			if got := BoxSizes(n, c); fmt.Sprint(got) != fmt.Sprint(tc.BoxSizes) {
				t.Errorf("BoxSizes = %v, want %v", got, tc.BoxSizes)
			}
			hist, err := FromHistory(x, steps, n, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range compareVector(hist, tc.Features, maxEnergy(x, n*n), false) {
				t.Errorf("FromHistory: %s", d)
			}
			st, err := NewStream(n, c)
			if err != nil {
				t.Fatal(err)
			}
			for s := range steps {
				if err := st.Add(x[s*n*n : (s+1)*n*n]); err != nil {
					t.Fatal(err)
				}
			}
			sv, err := st.Features()
			if err != nil {
				t.Fatal(err)
			}
			if sv != hist {
				t.Errorf("Stream = %+v\nFromHistory = %+v", sv, hist)
			}
		})
	}
}
