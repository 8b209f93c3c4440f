package features

import (
	"encoding/json"
	"fmt"
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
			for _, d := range Diff(hist, tc.Features, MaxEnergy(x, n)) {
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
