package sim

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
)

func TestDecodeParamsOverlay(t *testing.T) {
	base := DefaultParams()
	p, err := DecodeParams([]byte(`{"grid_size": 32, "steps": 10, "alpha": 0.2, "quantum_jitter": true,
		"seed": 42, "boundary_condition": "neumann", "d_activator": 0.02, "unknown": [1, 2], "timestamp": "x"}`), base, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := base
	want.GridSize, want.Steps, want.Alpha, want.QuantumJitter = 32, 10, 0.2, true
	seed := int64(42)
	want.Seed = &seed
	want.BoundaryCondition, want.DActivator = BoundaryNeumann, 0.02
	if p.Seed == nil || *p.Seed != 42 {
		t.Fatalf("seed = %v", p.Seed)
	}
	p.Seed, want.Seed = nil, nil
	if p != want {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	// Empty object: the base, unchanged; seed null clears a base seed.
	base.Seed = &seed
	p, err = DecodeParams([]byte(` {} `), base, DefaultLimits())
	if err != nil || p.Seed == nil || *p.Seed != 42 || p.GridSize != 64 {
		t.Fatalf("empty object: %+v, %v", p, err)
	}
	p, err = DecodeParams([]byte(`{"seed": null}`), base, DefaultLimits())
	if err != nil || p.Seed != nil {
		t.Fatalf("seed null: %+v, %v", p, err)
	}
}

func TestDecodeParamsErrors(t *testing.T) {
	tests := []struct {
		in, key, rule string
	}{
		{`[]`, "message", "must be a JSON object, got an array"},
		{`"x"`, "message", "must be a JSON object, got a string"},
		{``, "message", "must be a JSON object, got nothing"},
		{`{"grid_size": 8`, "message", "must be a JSON object"},
		{`{"grid_size": 8} {}`, "message", "must be a JSON object"},
		{`{"grid_size": 64.0}`, "grid_size", "must be a JSON integer, got a number 64.0"},
		{`{"grid_size": 1e2}`, "grid_size", "must be a JSON integer"},
		{`{"grid_size": "64"}`, "grid_size", `must be a JSON integer, got a string "64"`},
		{`{"grid_size": null}`, "grid_size", "must be a JSON integer, got null"},
		{`{"grid_size": 3}`, "grid_size", "must be an integer in [4, 512], got 3"},
		{`{"grid_size": 513}`, "grid_size", "must be an integer in [4, 512], got 513"},
		{`{"grid_size": 99999999999999999999999}`, "grid_size", "within 64 bits"},
		{`{"steps": 0}`, "steps", "must be an integer in [1, 10000], got 0"},
		{`{"steps": 10001}`, "steps", "[1, 10000]"},
		{`{"alpha": 0.25}`, "alpha", "must be a number in [0.05, 0.25), got 0.25"},
		{`{"alpha": 0.049}`, "alpha", "[0.05, 0.25)"},
		{`{"alpha": "nan"}`, "alpha", `must be a JSON number, got a string "nan"`},
		{`{"alpha": 1e400}`, "alpha", "must be a finite number"},
		{`{"alpha": true}`, "alpha", "must be a JSON number, got a boolean true"},
		{`{"spike_probability": 1.5}`, "spike_probability", "[0, 1]"},
		{`{"turing_threshold": 0.97}`, "turing_threshold", "[0.5, 0.95]"},
		{`{"jitter_var": 0.011}`, "jitter_var", "[0, 0.01]"},
		{`{"jitter_var": -0.0}`, "", ""},
		{`{"d_activator": 0.25}`, "d_activator", "[0.01, 0.25)"},
		{`{"d_inhibitor": 0.005}`, "d_inhibitor", "[0.01, 0.25)"},
		{`{"r_activator": 0.2}`, "r_activator", "[0.001, 0.1]"},
		{`{"r_inhibitor": 0.0005}`, "r_inhibitor", "[0.001, 0.1]"},
		{`{"turing_enabled": "false"}`, "turing_enabled", `must be a JSON boolean (true or false), got a string "false"`},
		{`{"quantum_jitter": 1}`, "quantum_jitter", "must be a JSON boolean"},
		{`{"seed": -1}`, "seed", "must be a non-negative integer or null, got -1"},
		{`{"seed": 4.2}`, "seed", "must be a JSON integer"},
		{`{"boundary_condition": "torus"}`, "boundary_condition", `must be one of periodic, neumann, dirichlet, got "torus"`},
		{`{"boundary_condition": 1}`, "boundary_condition", "must be a string"},
		// Several bad keys: sizes are checked first.
		{`{"alpha": 9, "grid_size": 100000}`, "grid_size", "[4, 512]"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := DecodeParams([]byte(tc.in), DefaultParams(), DefaultLimits())
			if tc.key == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParamError", err)
			}
			if pe.Key != tc.key || !strings.Contains(pe.Rule, tc.rule) {
				t.Fatalf("error %q, want key %s and rule containing %q", err, tc.key, tc.rule)
			}
			if !errors.Is(err, ErrInvalidParams) {
				t.Fatal("error does not match ErrInvalidParams")
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	lim := Limits{MaxGridSize: 16, MaxSteps: 5}
	if _, err := DecodeParams([]byte(`{"grid_size": 16, "steps": 5}`), DefaultParams(), lim); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeParams([]byte(`{"grid_size": 17, "steps": 5}`), DefaultParams(), lim); err == nil || !strings.Contains(err.Error(), "[4, 16]") {
		t.Fatalf("grid 17 with max 16: %v", err)
	}
	// The engine's own limit applies above a wider cap.
	if _, err := DecodeParams([]byte(`{"grid_size": 1025}`), DefaultParams(), Limits{MaxGridSize: 4096}); err == nil || !strings.Contains(err.Error(), "[4, 1024]") {
		t.Fatalf("grid 1025: %v", err)
	}
	// Zero limits: only the engine's ranges.
	if _, err := DecodeParams([]byte(`{"grid_size": 8, "steps": 1000000}`), DefaultParams(), Limits{}); err != nil {
		t.Fatalf("zero limits: %v", err)
	}
}

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		name, in, id string
		grid         int
		errKey       string
	}{
		{"envelope", `{"simulation_id": "sim-1", "simulation_params": {"grid_size": 8}, "timestamp": "2025-12-04T12:00:00Z"}`, "sim-1", 8, ""},
		{"envelope_without_id", `{"simulation_params": {"grid_size": 12}}`, "", 12, ""},
		{"envelope_ignores_outer_keys", `{"grid_size": 1, "simulation_params": {}}`, "", 64, ""},
		{"flat_with_id", `{"simulation_id": "abc", "grid_size": 16}`, "abc", 16, ""},
		{"flat_without_id", `{"steps": 3}`, "", 64, ""},
		{"params_not_object", `{"simulation_params": [1]}`, "", 0, "simulation_params"},
		{"params_null", `{"simulation_params": null}`, "", 0, "simulation_params"},
		{"id_not_string", `{"simulation_id": 7, "grid_size": 8}`, "", 0, "simulation_id"},
		{"payload_number", `42`, "", 0, "message"},
		{"inner_error", `{"simulation_params": {"steps": -1}}`, "", 0, "steps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, p, err := DecodeMessage([]byte(tc.in), DefaultParams(), DefaultLimits())
			if tc.errKey != "" {
				var pe *ParamError
				if !errors.As(err, &pe) || pe.Key != tc.errKey {
					t.Fatalf("error %v, want key %s", err, tc.errKey)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.id || p.GridSize != tc.grid {
				t.Fatalf("id %q grid %d, want %q %d", id, p.GridSize, tc.id, tc.grid)
			}
		})
	}
}

// Every configuration the reference rejects (golden invalid_configs.json)
// must be rejected by DecodeParams, with an error naming one of the keys
// that the case overrides. (The reference accepts NaN for some engine
// fields and fails later in the run; JSON has no NaN, and the golden file
// writes it as the string "nan", which is not a number here.)
func TestDecodeParamsGoldenInvalid(t *testing.T) {
	var file struct {
		Cases []struct {
			API       string          `json:"api"`
			Overrides json.RawMessage `json:"config_overrides"`
			Message   string          `json:"message"`
		} `json:"cases"`
	}
	golden.Load(t, "invalid_configs.json", &file)
	if len(file.Cases) < 30 {
		t.Fatalf("only %d cases", len(file.Cases))
	}
	for _, tc := range file.Cases {
		t.Run(tc.Message, func(t *testing.T) {
			var over map[string]any
			if err := json.Unmarshal(tc.Overrides, &over); err != nil {
				// The "not a SimulationConfig" case: a non-object payload.
				if _, _, err := DecodeMessage(tc.Overrides, DefaultParams(), DefaultLimits()); err == nil {
					t.Fatal("non-object payload accepted")
				}
				return
			}
			if s, ok := over["random_seed"]; ok {
				over["seed"] = s
				delete(over, "random_seed")
			}
			raw, err := json.Marshal(over)
			if err != nil {
				t.Fatal(err)
			}
			_, err = DecodeParams(raw, DefaultParams(), Limits{MaxGridSize: engineMaxGrid})
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("overrides %s accepted (err %v); reference: %s", raw, err, tc.Message)
			}
			if _, ok := over[pe.Key]; !ok {
				t.Fatalf("overrides %s: error names %s, not an overridden key", raw, pe.Key)
			}
		})
	}
}

func TestParamsJSONRoundTrip(t *testing.T) {
	p := DefaultParams()
	seed := int64(7)
	p.Seed = &seed
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodeParams(raw, Params{}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if q.Seed == nil || *q.Seed != 7 {
		t.Fatalf("seed lost: %s", raw)
	}
	q.Seed, p.Seed = nil, nil
	if q != p {
		t.Fatalf("round trip %+v != %+v", q, p)
	}
	for _, key := range []string{"grid_size", "steps", "alpha", "spike_probability", "turing_enabled", "turing_threshold",
		"quantum_jitter", "jitter_var", "seed", "boundary_condition", "d_activator", "d_inhibitor", "r_activator", "r_inhibitor"} {
		if !strings.Contains(string(raw), `"`+key+`":`) {
			t.Errorf("key %s missing from %s", key, raw)
		}
	}
}

// FuzzDecodeParams: no input may panic; an accepted input must yield
// parameters that pass Validate and re-encode to an equal value.
func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"grid_size": 8, "steps": 2}`, `{"simulation_params": {"alpha": 0.1}}`,
		`{"seed": 18446744073709551616}`, `{"grid_size": -0}`, `[`, `null`, `{"alpha": 1e-400}`,
		`{"turing_enabled": true, "boundary_condition": "dirichlet"}`, `{"jitter_var": "0.001"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, p, err := DecodeMessage(raw, DefaultParams(), DefaultLimits())
		if err != nil {
			if !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("error %v does not match ErrInvalidParams", err)
			}
			return
		}
		if err := p.Validate(DefaultLimits()); err != nil {
			t.Fatalf("accepted params fail Validate: %v", err)
		}
		if math.IsNaN(p.Alpha) {
			t.Fatal("NaN accepted")
		}
		enc, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := DecodeParams(enc, Params{}, DefaultLimits())
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if (p.Seed == nil) != (q.Seed == nil) || (p.Seed != nil && *p.Seed != *q.Seed) {
			t.Fatalf("seed changed: %s", enc)
		}
		p.Seed, q.Seed = nil, nil
		if p != q {
			t.Fatalf("round trip %+v != %+v", q, p)
		}
	})
}
