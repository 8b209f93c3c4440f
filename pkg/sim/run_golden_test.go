package sim

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// featureCase is the feature part of a case of engine_cases.json.
type featureCase struct {
	ID            string                     `json:"id"`
	API           string                     `json:"api"`
	Config        map[string]json.RawMessage `json:"config"`
	Steps         int                        `json:"steps"`
	TuringEnabled *bool                      `json:"turing_enabled"`
	Metrics       Metrics                    `json:"metrics"`
	Features      features.Vector            `json:"features"`
	FinalOnly     features.Vector            `json:"features_final_field_only"`
	BoxSizes      []int                      `json:"box_sizes_default_feature_config"`
	Extra         []struct {
		Config   json.RawMessage `json:"feature_config"`
		BoxSizes []int           `json:"box_sizes"`
		Features features.Vector `json:"features"`
	} `json:"features_extra_configs"`
}

// params turns the case's configuration into Params through DecodeParams
// (so the golden configs also exercise the decoder): the simulation API
// gives the 9 SimulationConfig keys; the engine API gives the 13 engine
// keys (random_seed is our seed; check_stability is always on) plus steps
// and turing_enabled beside the config.
func (c featureCase) params(t *testing.T) Params {
	t.Helper()
	cfg := make(map[string]json.RawMessage, len(c.Config)+2)
	for k, v := range c.Config {
		cfg[k] = v
	}
	if c.API == "engine" {
		cfg["seed"] = cfg["random_seed"]
		cfg["steps"], _ = json.Marshal(c.Steps)
		cfg["turing_enabled"], _ = json.Marshal(*c.TuringEnabled)
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodeParams(raw, DefaultParams(), Limits{})
	if err != nil {
		t.Fatalf("golden config %s: %v", raw, err)
	}
	return p
}

func loadFeatureCases(t *testing.T) []featureCase {
	t.Helper()
	var f struct {
		Cases []featureCase `json:"cases"`
	}
	golden.Load(t, "engine_cases.json", &f)
	if len(f.Cases) != 27 {
		t.Fatalf("engine_cases.json: want 27 cases, got %d", len(f.Cases))
	}
	return f.Cases
}

// history runs the engine and returns every step's field back to back.
func history(t *testing.T, p Params) ([]float64, Metrics) {
	t.Helper()
	eng, err := NewEngine(p.EngineConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := make([]float64, 0, p.Steps*p.GridSize*p.GridSize)
	m, err := eng.Simulate(p.Steps, p.TuringEnabled, func(_ int, f []float64) error {
		h = append(h, f...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, m
}

// streamOf feeds h to a features.Stream one snapshot at a time.
func streamOf(t *testing.T, h []float64, n int, c features.Config) features.Vector {
	t.Helper()
	st, err := features.NewStream(n, c)
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < len(h); s += n * n {
		if err := st.Add(h[s : s+n*n]); err != nil {
			t.Fatal(err)
		}
	}
	v, err := st.Features()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFeaturesGolden checks the 18 features of every golden case, from the
// engine's history through features.FromHistory and through
// features.Stream, against the reference under the ENGINE.md §8 rules
// (features.Diff), plus the extra feature configurations and the box sizes.
func TestFeaturesGolden(t *testing.T) {
	for _, c := range loadFeatureCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			p := c.params(t)
			n := p.GridSize
			h, _ := history(t, p)
			eMax := features.MaxEnergy(h, n)
			def := features.DefaultConfig()
			if got := features.BoxSizes(n, def); !slices.Equal(got, c.BoxSizes) {
				t.Errorf("box sizes %v, want %v", got, c.BoxSizes)
			}
			hv, err := features.FromHistory(h, p.Steps, n, def)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range features.Diff(hv, c.Features, eMax) {
				t.Errorf("history: %s", d)
			}
			if sv := streamOf(t, h, n, def); sv != hv {
				t.Errorf("stream differs from history:\n%+v\n%+v", sv, hv)
			}
			final := h[len(h)-n*n:]
			fv, err := features.FromField(final, n, def)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range features.Diff(fv, c.FinalOnly, features.MaxEnergy(final, n)) {
				t.Errorf("final field: %s", d)
			}
			for i, x := range c.Extra {
				fc := def
				if err := json.Unmarshal(x.Config, &fc); err != nil {
					t.Fatal(err)
				}
				if got := features.BoxSizes(n, fc); !slices.Equal(got, x.BoxSizes) {
					t.Errorf("extra %d (%s): box sizes %v, want %v", i, x.Config, got, x.BoxSizes)
				}
				xv, err := features.FromHistory(h, p.Steps, n, fc)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range features.Diff(xv, x.Features, eMax) {
					t.Errorf("extra %d (%s): %s", i, x.Config, d)
				}
				if sv := streamOf(t, h, n, fc); sv != xv {
					t.Errorf("extra %d: stream differs from history", i)
				}
			}
		})
	}
}

// TestRunGolden checks the facade: every feature source of Run gives the
// reference metrics bit for bit, the stream and history sources give
// identical features, and the final-field source matches the reference's
// features_final_field_only.
func TestRunGolden(t *testing.T) {
	for _, c := range loadFeatureCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			p := c.params(t)
			n := p.GridSize
			var res [3]Result
			for i, src := range []FeatureSource{FromStream, FromHistory, FromFinal} {
				r, err := Run(t.Context(), p, RunOptions{FeaturesFrom: src, KeepField: src == FromFinal})
				if err != nil {
					t.Fatalf("%v: %v", src, err)
				}
				if r.Metrics != c.Metrics {
					t.Errorf("%v: metrics\n%+v\nwant\n%+v", src, r.Metrics, c.Metrics)
				}
				res[i] = r
			}
			if res[0].Features != res[1].Features {
				t.Errorf("stream %+v\nhistory %+v", res[0].Features, res[1].Features)
			}
			h, _ := history(t, p)
			for _, d := range features.Diff(res[0].Features, c.Features, features.MaxEnergy(h, n)) {
				t.Errorf("stream: %s", d)
			}
			if len(res[2].Field) != n*n || res[0].Field != nil {
				t.Fatalf("KeepField: field of %d values; without it %d", len(res[2].Field), len(res[0].Field))
			}
			for _, d := range features.Diff(res[2].Features, c.FinalOnly, features.MaxEnergy(res[2].Field, n)) {
				t.Errorf("final: %s", d)
			}
		})
	}
}
